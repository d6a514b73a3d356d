package wsaudit.rules.ws401

import data.wsaudit.lib
import rego.v1

metadata := {
	"id": "WS401",
	"title": "An outer layer's idle timeout is shorter than an inner one's",
	"severity": "high",
	"category": "align",
	"why": concat(" ", [
		"An idle WebSocket is cut by the layer with the shortest idle timeout. When that layer sits",
		"outside a layer configured for longer (an ALB at its 60 s default in front of nginx's",
		"proxy_read_timeout 3600s), the inner setting never takes effect: the outer layer closes both",
		"TCP connections and clients reconnect every time the socket stays quiet that long.",
		"The layer people tuned is rarely the one that cuts.",
		"When a heartbeat keeps every layer alive (at most `heartbeat_margin` of each idle timeout, in",
		"a direction each layer counts; CloudFront counts only origin→client bytes) no idle timer runs",
		"out and the mismatch is a dead setting rather than an outage: the finding drops to low.",
	]),
	"remediation": "Raise the outer layer's idle timeout to at least the inner one's (or lower the inner one deliberately), and keep a heartbeat shorter than the smallest value. With a heartbeat that already keeps every layer alive this is cleanup of a setting that never takes effect, not an outage fix.",
	"snippet": concat("\n", [
		"# AWS ALB: idle timeout 1-4000 s (default 60)",
		"aws elbv2 modify-load-balancer-attributes --load-balancer-arn $ALB_ARN \\",
		"  --attributes Key=idle_timeout.timeout_seconds,Value=3600",
		"# nginx in front of another proxy:",
		"proxy_read_timeout 3600s;",
	]),
	"references": [
		"https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html",
		"https://nginx.org/en/docs/http/websocket.html",
	],
}

# Only the layer that actually cuts first is reported: it is the one whose setting matters.
findings contains f if {
	c := lib.cutter
	shadowed := [x |
		some x in lib.idle_layers
		x.pos > c.pos
		x.t > c.t
	]
	count(shadowed) > 0
	longest := max({x.t | some x in shadowed})
	inner := [x | some x in shadowed; x.t == longest][0]
	f := {
		"layer": c.layer.id,
		"setting": "idle_timeout",
		"fix_value": max({longest, lib.config.baseline_idle_s}),
		"severity": severity,
		"headline": concat("", [sprintf("cuts idle WebSockets after %v s, before %s (%v s) would", [c.t, inner.layer.id, inner.t]), covered_short]),
		"message": concat("", [sprintf("%s closes idle WebSockets after %s, before %s would (%s): the inner setting never takes effect", [
			lib.label(c.layer), lib.describe_seconds(c.layer.idle_timeout),
			lib.label(inner.layer), lib.describe_seconds(inner.layer.idle_timeout),
		]), covered_text]),
		"evidence": {
			"cuts_first": c.layer.id,
			"idle_timeout": lib.evidence_setting(c.layer.idle_timeout),
			"shadowed": [{"layer": x.layer.id, "idle_timeout": lib.evidence_setting(x.layer.idle_timeout)} | some x in shadowed],
		},
	}
}

# The consequence sets the severity: when a heartbeat keeps every layer alive no idle timer runs
# out, and the inner setting that never takes effect is dead configuration, not an outage.
severity := "low" if lib.heartbeat_covers_every_layer
else := "high"

covered_text := sprintf("; the heartbeat %s keeps every layer alive, so this is a dead setting rather than an outage", [lib.heartbeat_text]) if {
	lib.heartbeat_covers_every_layer
} else := ""

covered_short := " (a dead setting: the heartbeat covers every layer)" if {
	lib.heartbeat_covers_every_layer
} else := ""
