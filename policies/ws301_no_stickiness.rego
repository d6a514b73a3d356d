package wsaudit.rules.ws301

import data.wsaudit.lib
import rego.v1

metadata := {
	"id": "WS301",
	"title": "Several backends and no stickiness",
	"severity": "medium",
	"category": "sticky",
	"why": concat(" ", [
		"An upgraded WebSocket is one TCP tunnel and stays on the backend that answered the handshake",
		"whatever the balancing policy (provider-facts §1, \"Stickiness and WS\"), so stickiness does not",
		"matter for the open socket. It matters for everything around it: a handshake that follows",
		"an HTTP request on the same session, every reconnect (it lands on a random backend that may",
		"not hold the session, subscription or buffered messages), and fallback transports. socket.io",
		"starts with HTTP long-polling and upgrades later; when the polling requests of one session hit",
		"different backends they fail with `400 {\"code\":1,\"message\":\"Session ID unknown\"}` and the",
		"client loops. Cloudflare recommends session affinity for load-balanced WebSocket origins for",
		"the same reason (provider-facts §4). Backends that keep no per-connection state can be",
		"declared in `stateless_backends` to silence this rule.",
	]),
	"remediation": "Turn on stickiness on the balancing layer (ALB target group cookie, nginx ip_hash/hash/sticky, Cloudflare Load Balancing session affinity), or, if the backends share all session state, list the layer in `stateless_backends` in wsaudit.toml.",
	"snippet": concat("\n", [
		"# AWS ALB target group: load-balancer cookie, 1 day",
		"aws elbv2 modify-target-group-attributes --target-group-arn $TG_ARN --attributes \\",
		"  Key=stickiness.enabled,Value=true Key=stickiness.type,Value=lb_cookie \\",
		"  Key=stickiness.lb_cookie.duration_seconds,Value=86400",
		"# nginx upstream (sticky cookie needs 1.29.6+ or NGINX Plus; ip_hash works everywhere)",
		"upstream app { ip_hash; server 10.0.1.10:3000; server 10.0.1.11:3000; }",
		"# wsaudit.toml, when the backends really are stateless",
		"stateless_backends = [\"web-tg\"]",
	]),
	"references": [
		"https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetGroupAttribute.html",
		"https://nginx.org/en/docs/http/ngx_http_upstream_module.html",
		"https://developers.cloudflare.com/load-balancing/understand-basics/session-affinity/",
		"https://socket.io/docs/v4/using-multiple-nodes/",
	],
}

findings contains f if {
	some layer in input.layers
	lib.passes_on(layer)
	is_number(layer.targets.value)
	layer.targets.value > 1
	lower(trim_space(layer.stickiness.value.mode)) == "none"
	not lib.names_layer(lib.config.stateless_backends, layer)
	f := {
		"layer": layer.id,
		"setting": "stickiness",
		"fix_value": "cookie",
		"headline": sprintf("%v backends and no stickiness: reconnects land on another backend", [layer.targets.value]),
		"message": sprintf("%s balances across %v backends (%s) with no stickiness (%s): reconnects and long-polling fallbacks land on backends that do not hold the session (socket.io: \"Session ID unknown\")", [
			lib.label(layer), layer.targets.value, lib.origin_text(layer.targets.origin),
			lib.origin_text(layer.stickiness.origin),
		]),
		"evidence": {
			"targets": lib.evidence_setting(layer.targets),
			"stickiness": lib.evidence_setting(layer.stickiness),
		},
	}
}
