//! Which controller implements an Ingress: `spec.ingressClassName`, else the legacy
//! `kubernetes.io/ingress.class` annotation, else the IngressClass marked default
//! (`ingressclass.kubernetes.io/is-default-class`), and that class's `spec.controller`.

use super::manifests::{Manifests, Object};

/// The controllers wsaudit knows how each one turns manifests into a proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Controller {
    /// kubernetes/ingress-nginx (`k8s.io/ingress-nginx`).
    IngressNginx,
    /// AWS Load Balancer Controller (`ingress.k8s.aws/alb`): the Ingress is an ALB.
    AwsAlb,
    /// F5 NGINX Ingress Controller (`nginx.org/ingress-controller`).
    F5Nginx,
    /// A controller wsaudit does not model (Traefik, HAProxy, Contour, …).
    Other(String),
    /// No class and no default class: no controller is known to serve it.
    None,
}

impl Controller {
    pub fn from_name(controller: &str) -> Controller {
        match controller {
            "k8s.io/ingress-nginx" => Controller::IngressNginx,
            "ingress.k8s.aws/alb" => Controller::AwsAlb,
            "nginx.org/ingress-controller" => Controller::F5Nginx,
            other => Controller::Other(other.to_string()),
        }
    }

    /// How reports name it.
    pub fn label(&self) -> &str {
        match self {
            Controller::IngressNginx => "ingress-nginx",
            Controller::AwsAlb => "aws-load-balancer-controller",
            Controller::F5Nginx => "f5-nginx-ingress",
            Controller::Other(c) => c,
            Controller::None => "no controller",
        }
    }
}

/// The class decision for one Ingress, and how it was made.
#[derive(Debug, Clone)]
pub struct ClassChoice<'a> {
    pub name: Option<String>,
    pub controller: Controller,
    /// `spec.ingressClassName nginx → ingressclass/nginx spec.controller k8s.io/ingress-nginx`.
    pub how: String,
    pub class: Option<&'a Object>,
}

fn is_default(c: &Object) -> bool {
    c.annotation("ingressclass.kubernetes.io/is-default-class")
        .is_some_and(|(v, _)| v.trim() == "true")
}

pub fn ingress_class<'a>(m: &'a Manifests, ing: &Object) -> ClassChoice<'a> {
    let named = ing
        .spec()
        .and_then(|s| s.get("ingressClassName"))
        .and_then(|n| n.scalar().map(|v| (v.to_string(), n.line)));
    let (name, how) = match named {
        Some((n, line)) => (
            Some(n.clone()),
            format!("{}:{line} spec.ingressClassName {n}", ing.file),
        ),
        None => match ing.annotation("kubernetes.io/ingress.class") {
            Some((v, n)) => (
                Some(v.to_string()),
                format!(
                    "{}:{} annotation kubernetes.io/ingress.class {v} (deprecated)",
                    ing.file, n.line
                ),
            ),
            None => (None, String::new()),
        },
    };
    match name {
        Some(n) => match m.find("IngressClass", None, &n) {
            Some(class) => {
                let ctl = class
                    .spec()
                    .and_then(|s| s.get("controller"))
                    .and_then(|c| c.scalar())
                    .unwrap_or("");
                ClassChoice {
                    name: Some(n),
                    controller: Controller::from_name(ctl),
                    how: format!("{how} → {} spec.controller {ctl}", class.reference()),
                    class: Some(class),
                }
            }
            // The annotation predates IngressClass objects: its well-known values name the
            // controller by convention (each controller's default `--ingress-class`).
            None => {
                let controller = match n.as_str() {
                    "nginx" => Controller::IngressNginx,
                    "alb" => Controller::AwsAlb,
                    other => Controller::Other(format!("class {other}")),
                };
                ClassChoice {
                    how: format!(
                        "{how} (no IngressClass {n} in the manifests: taken as {} by its conventional class name)",
                        controller.label()
                    ),
                    name: Some(n),
                    controller,
                    class: None,
                }
            }
        },
        None => match m.of_kind("IngressClass").find(|c| is_default(c)) {
            Some(class) => {
                let ctl = class
                    .spec()
                    .and_then(|s| s.get("controller"))
                    .and_then(|c| c.scalar())
                    .unwrap_or("");
                ClassChoice {
                    name: Some(class.name.clone()),
                    controller: Controller::from_name(ctl),
                    how: format!(
                        "no class on the Ingress: the default {} ({}) spec.controller {ctl}",
                        class.reference(),
                        class.at()
                    ),
                    class: Some(class),
                }
            }
            None => ClassChoice {
                name: None,
                controller: Controller::None,
                how: "no spec.ingressClassName, no kubernetes.io/ingress.class annotation and no default IngressClass: controllers ignore this Ingress unless started with --watch-ingress-without-class".into(),
                class: None,
            },
        },
    }
}
