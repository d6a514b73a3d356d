//! Kubernetes manifests: `wsaudit k8s` and `chain --k8s` through the binary on manifests in the
//! shapes `kubectl get -o yaml` (a `List`), `-o json` and a Helm render print; the generated
//! ingress-nginx configuration checked by a real `nginx -t`; bad input; no-panic properties.

mod alb_live;
mod cli;
mod no_panic;
