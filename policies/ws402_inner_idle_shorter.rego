package wsaudit.rules.ws402

import data.wsaudit.lib
import rego.v1

metadata := {
	"id": "WS402",
	"title": "An inner layer's idle timeout is shorter than an outer one's",
	"severity": "medium",
	"category": "align",
	"why": concat(" ", [
		"An idle WebSocket is cut by the layer with the shortest idle timeout, wherever it sits. When",
		"that layer is behind one configured for longer (nginx at its 60 s `proxy_read_timeout`",
		"default behind an ALB raised to 3600 s), the outer setting never takes effect: someone raised",
		"it, the symptom stayed, and the reason is one hop further in. nginx then closes both TCP",
		"connections without a WebSocket Close frame, so clients see 1006 (provider-facts §10), and the",
		"outer layer logs a normal close, which points the investigation at the wrong place.",
		"When a heartbeat keeps every layer alive (at most `heartbeat_margin` of each idle timeout, in",
		"a direction each layer counts; CloudFront counts only origin→client bytes) no idle timer runs",
		"out and the mismatch is a dead setting rather than an outage: the finding drops to low.",
	]),
	"remediation": "Raise the inner layer's idle timeout to the outer one's (for nginx both proxy_read_timeout and proxy_send_timeout on the WebSocket location), or lower the outer one deliberately so the intent is visible, and keep a heartbeat shorter than the smallest value. With a heartbeat that already keeps every layer alive this is cleanup of a setting that never takes effect, not an outage fix.",
	"snippet": concat("\n", [
		"# nginx, the WebSocket location (default 60s each)",
		"location /ws/ {",
		"    proxy_read_timeout 3600s;",
		"    proxy_send_timeout 3600s;",
		"}",
		"# ingress-nginx, per Ingress",
		"nginx.ingress.kubernetes.io/proxy-read-timeout: \"3600\"",
		"nginx.ingress.kubernetes.io/proxy-send-timeout: \"3600\"",
	]),
	"references": [
		"https://nginx.org/en/docs/http/websocket.html",
		"https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_read_timeout",
		"https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html",
	],
}

# Only the layer that actually cuts first is reported: it is the one whose setting matters.
findings contains f if {
	c := lib.cutter
	outer := [x |
		some x in lib.idle_layers
		x.pos < c.pos
		x.t > c.t
	]
	count(outer) > 0
	longest := max({x.t | some x in outer})
	o := [x | some x in outer; x.t == longest][0]
	f := {
		"layer": c.layer.id,
		"setting": "idle_timeout",
		"fix_value": max({longest, lib.config.baseline_idle_s}),
		"severity": severity,
		"headline": concat("", [sprintf("cuts idle WebSockets after %v s, before %s (%v s) in front of it would", [c.t, o.layer.id, o.t]), covered_short]),
		"message": concat("", [sprintf("%s closes idle WebSockets after %s, before %s in front of it would (%s): the longer outer setting never takes effect", [
			lib.label(c.layer), lib.describe_seconds(c.layer.idle_timeout),
			lib.label(o.layer), lib.describe_seconds(o.layer.idle_timeout),
		]), covered_text]),
		"evidence": {
			"cuts_first": c.layer.id,
			"idle_timeout": lib.evidence_setting(c.layer.idle_timeout),
			"outer": [{"layer": x.layer.id, "idle_timeout": lib.evidence_setting(x.layer.idle_timeout)} | some x in outer],
		},
	}
}

# The consequence sets the severity: when a heartbeat keeps every layer alive no idle timer runs
# out, and the outer setting that never takes effect is dead configuration, not an outage.
severity := "low" if lib.heartbeat_covers_every_layer
else := "medium"

covered_text := sprintf("; the heartbeat %s keeps every layer alive, so this is a dead setting rather than an outage", [lib.heartbeat_text]) if {
	lib.heartbeat_covers_every_layer
} else := ""

covered_short := " (a dead setting: the heartbeat covers every layer)" if {
	lib.heartbeat_covers_every_layer
} else := ""
