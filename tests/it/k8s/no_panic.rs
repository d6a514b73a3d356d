//! No input makes the manifest reader or the router panic: arbitrary text, and YAML stitched
//! from the fragments manifests are made of; and every value read keeps a line inside the text.

use proptest::prelude::*;
use wsaudit::providers::k8s::{parse_manifests, route, websocket_routes, K8sQuery};

fn exercise(text: &str) {
    if let Ok(m) = parse_manifests("fuzz.yaml", text) {
        let lines = text.lines().count().max(1) as u32;
        for o in &m.objects {
            assert!(
                o.line >= 1 && o.line <= lines + 1,
                "{} outside the text",
                o.line
            );
        }
        let _ = websocket_routes(&m, &[]);
        for (host, path) in [
            ("chat.example.com", "/ws"),
            ("a.live.example.com", "/"),
            ("x", "/socket"),
        ] {
            let _ = route(
                &m,
                &K8sQuery {
                    host: host.into(),
                    path: path.into(),
                },
            );
        }
    }
}

const FRAGMENTS: &[&str] = &[
    "apiVersion: networking.k8s.io/v1\n",
    "kind: Ingress\n",
    "kind: Service\n",
    "kind: ConfigMap\n",
    "kind: IngressClass\n",
    "kind: HTTPRoute\n",
    "kind: List\nitems:\n",
    "- ",
    "metadata:\n  name: chat\n  namespace: web\n",
    "  annotations:\n    nginx.ingress.kubernetes.io/proxy-read-timeout: \"3600\"\n",
    "    nginx.ingress.kubernetes.io/configuration-snippet: |\n      proxy_read_timeout 1;\n",
    "    alb.ingress.kubernetes.io/load-balancer-attributes: idle_timeout.timeout_seconds=x,=,\n",
    "spec:\n",
    "  ingressClassName: nginx\n",
    "  controller: k8s.io/ingress-nginx\n",
    "  rules:\n  - host: \"*.example.com\"\n    http:\n      paths:\n",
    "      - path: /ws\n        pathType: Exact\n        backend:\n          service:\n            name: chat\n            port:\n              number: 80\n",
    "  ports:\n  - port: 80\n    targetPort: ws\n    appProtocol: kubernetes.io/ws\n",
    "  defaultBackend: {service: {name: x, port: {name: p}}}\n",
    "  hostnames: [a, '*.b']\n",
    "  rules: [{matches: [{path: {type: PathPrefix, value: /}}], backendRefs: [{name: x}]}]\n",
    "data: {worker-shutdown-timeout: 1h, allow-snippet-annotations: 'true'}\n",
    "---\n",
    "&a ",
    "*a\n",
    "{",
    "}",
    "[",
    "]",
    "\"",
    "'",
    ": ",
    "\n",
    "  ",
    "\t",
    "~\n",
    "null\n",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        exercise(&text);
    }

    #[test]
    fn stitched_manifests_never_panic(parts in prop::collection::vec(0..FRAGMENTS.len(), 0..40)) {
        let text: String = parts.iter().map(|&i| FRAGMENTS[i]).collect();
        exercise(&text);
    }
}
