//! Reading manifests: a file or a directory of YAML/JSON, several documents per file, `List`
//! objects (`kubectl get … -o yaml`) flattened, each object kept with its `file:line`.
//!
//! Objects are read by hand from the position-keeping tree rather than through `k8s-openapi`
//! structs: wsaudit needs a dozen fields of six kinds, each with the line it is on, and the
//! generated API crates (with `kube`) would add minutes to a clean build for none of that.

use super::error::K8sError;
use super::yaml::{parse_stream, Node};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The kinds the router reads; every other kind is skipped with a notice.
pub const KNOWN_KINDS: &[&str] = &[
    "Ingress",
    "Service",
    "ConfigMap",
    "IngressClass",
    "IngressClassParams",
    "HTTPRoute",
    "Gateway",
    "GatewayClass",
    // Read for `spec.replicas` behind a Service (how many backends a route balances over).
    "Deployment",
    "StatefulSet",
];

/// One Kubernetes object and where it was written.
#[derive(Debug, Clone)]
pub struct Object {
    pub kind: String,
    pub api_version: String,
    /// `default` when the manifest names none (a Helm render without `--namespace`).
    pub namespace: String,
    pub name: String,
    pub file: String,
    pub line: u32,
    pub node: Node,
}

impl Object {
    /// `ingress/web/chat`: how origins and messages name the object.
    pub fn reference(&self) -> String {
        if self.cluster_scoped() {
            format!("{}/{}", self.kind.to_ascii_lowercase(), self.name)
        } else {
            format!(
                "{}/{}/{}",
                self.kind.to_ascii_lowercase(),
                self.namespace,
                self.name
            )
        }
    }

    pub fn cluster_scoped(&self) -> bool {
        matches!(
            self.kind.as_str(),
            "IngressClass" | "IngressClassParams" | "GatewayClass"
        )
    }

    pub fn at(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }

    /// `metadata.annotations[key]` and the node holding it.
    pub fn annotation(&self, key: &str) -> Option<(&str, &Node)> {
        let n = self.node.at(&["metadata", "annotations", key])?;
        Some((n.scalar().unwrap_or(""), n))
    }

    pub fn spec(&self) -> Option<&Node> {
        self.node.get("spec")
    }
}

/// Everything read from the manifests.
#[derive(Debug, Clone, Default)]
pub struct Manifests {
    pub objects: Vec<Object>,
    pub files: Vec<String>,
    /// Objects skipped (unknown kinds, documents that are not objects), in words.
    pub notices: Vec<String>,
    index: Index,
}

/// Objects by kind and by name: routing looks up a Service per path and the ConfigMap per
/// layer, which scanning every object made quadratic on a cluster dump.
#[derive(Debug, Clone, Default)]
struct Index {
    by_kind: HashMap<String, Vec<usize>>,
    by_name: HashMap<(String, String, String), usize>,
    /// The first object of a kind and name in any namespace (cluster-scoped lookups).
    any_namespace: HashMap<(String, String), usize>,
}

impl Manifests {
    /// Rebuilds the lookups after `objects` changed (the readers call it).
    pub fn reindex(&mut self) {
        let mut index = Index::default();
        for (i, o) in self.objects.iter().enumerate() {
            index.by_kind.entry(o.kind.clone()).or_default().push(i);
            index
                .by_name
                .entry((o.kind.clone(), o.namespace.clone(), o.name.clone()))
                .or_insert(i);
            index
                .any_namespace
                .entry((o.kind.clone(), o.name.clone()))
                .or_insert(i);
        }
        self.index = index;
    }

    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Object> + 'a {
        self.index
            .by_kind
            .get(kind)
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .map(|&i| &self.objects[i])
    }

    pub fn find(&self, kind: &str, namespace: Option<&str>, name: &str) -> Option<&Object> {
        let i = match namespace {
            Some(ns) => {
                self.index
                    .by_name
                    .get(&(kind.to_string(), ns.to_string(), name.to_string()))
            }
            None => self
                .index
                .any_namespace
                .get(&(kind.to_string(), name.to_string())),
        }?;
        self.objects.get(*i)
    }
}

/// Reads `path` (a file, a directory searched for `.yaml`/`.yml`/`.json` files, or `-` for
/// standard input).
pub fn read_manifests(path: &str) -> Result<Manifests, K8sError> {
    let mut m = Manifests::default();
    let mut skipped: BTreeMap<String, (usize, String)> = BTreeMap::new();
    if path == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map_err(|e| {
            K8sError::Io {
                path: "-".into(),
                message: e.to_string(),
            }
        })?;
        read_text("<stdin>", &text, &mut m, &mut skipped)?;
    } else {
        let p = Path::new(path);
        let meta = std::fs::metadata(p).map_err(|e| K8sError::Io {
            path: path.into(),
            message: e.to_string(),
        })?;
        let files = if meta.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found)?;
            found.sort();
            if found.is_empty() {
                return Err(K8sError::Empty {
                    path: path.into(),
                    why: "the directory holds no .yaml, .yml or .json file".into(),
                });
            }
            found
        } else {
            vec![p.to_path_buf()]
        };
        for f in files {
            let shown = f.display().to_string();
            let text = std::fs::read_to_string(&f).map_err(|e| K8sError::Io {
                path: shown.clone(),
                message: e.to_string(),
            })?;
            read_text(&shown, &text, &mut m, &mut skipped)?;
        }
    }
    m.reindex();
    for (kind, (n, first)) in skipped {
        m.notices.push(format!(
            "skipped {n} {kind} object{} (first at {first}): wsaudit reads only {}",
            if n == 1 { "" } else { "s" },
            KNOWN_KINDS.join(", ")
        ));
    }
    if m.objects.is_empty() {
        return Err(K8sError::Empty {
            path: path.into(),
            why: format!(
                "no object of a kind wsaudit reads ({}){}",
                KNOWN_KINDS.join(", "),
                if m.notices.is_empty() {
                    String::new()
                } else {
                    format!("; {}", m.notices.join("; "))
                }
            ),
        });
    }
    Ok(m)
}

/// The objects of one text (a file's content), for callers that hold it already.
pub fn parse_manifests(file: &str, text: &str) -> Result<Manifests, K8sError> {
    let mut m = Manifests::default();
    let mut skipped = BTreeMap::new();
    read_text(file, text, &mut m, &mut skipped)?;
    m.reindex();
    for (kind, (n, first)) in skipped {
        m.notices
            .push(format!("skipped {n} {kind} object(s) (first at {first})"));
    }
    Ok(m)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), K8sError> {
    let entries = std::fs::read_dir(dir).map_err(|e| K8sError::Io {
        path: dir.display().to_string(),
        message: e.to_string(),
    })?;
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out)?;
        } else if p
            .extension()
            .and_then(|x| x.to_str())
            .is_some_and(|x| matches!(x, "yaml" | "yml" | "json"))
        {
            out.push(p);
        }
    }
    Ok(())
}

/// Parses one file's documents into objects.
pub fn read_text(
    file: &str,
    text: &str,
    m: &mut Manifests,
    skipped: &mut BTreeMap<String, (usize, String)>,
) -> Result<(), K8sError> {
    let docs = parse_stream(text).map_err(|e| K8sError::Yaml {
        file: file.into(),
        line: e.line,
        col: e.col,
        message: e.message,
    })?;
    m.files.push(file.to_string());
    for d in docs {
        take(file, &d.root, m, skipped);
    }
    Ok(())
}

fn take(
    file: &str,
    node: &Node,
    m: &mut Manifests,
    skipped: &mut BTreeMap<String, (usize, String)>,
) {
    let at = format!("{file}:{}", node.line);
    let Some(kind) = node.get("kind").and_then(Node::scalar) else {
        m.notices.push(format!(
            "{at}: a document that is not a Kubernetes object (no kind) was skipped"
        ));
        return;
    };
    // `kubectl get a,b -o yaml` and `-o json` wrap everything in a List (also `ServiceList`,
    // …, from the API directly).
    if kind == "List" || (kind.ends_with("List") && node.get("items").is_some()) {
        for item in node.get("items").map(Node::seq).unwrap_or(&[]) {
            take(file, item, m, skipped);
        }
        return;
    }
    if !KNOWN_KINDS.contains(&kind) {
        let e = skipped.entry(kind.to_string()).or_insert((0, at));
        e.0 += 1;
        return;
    }
    let Some(name) = node.at(&["metadata", "name"]).and_then(Node::scalar) else {
        m.notices
            .push(format!("{at}: {kind} without metadata.name was skipped"));
        return;
    };
    m.objects.push(Object {
        kind: kind.to_string(),
        api_version: node
            .get("apiVersion")
            .and_then(Node::scalar)
            .unwrap_or("")
            .to_string(),
        namespace: node
            .at(&["metadata", "namespace"])
            .and_then(Node::scalar)
            .unwrap_or("default")
            .to_string(),
        name: name.to_string(),
        file: file.to_string(),
        line: node.line,
        node: node.clone(),
    });
}
