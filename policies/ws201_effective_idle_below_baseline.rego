package wsaudit.rules.ws201

import data.wsaudit.lib
import rego.v1

metadata := {
	"id": "WS201",
	"title": "The chain's effective idle timeout is below the baseline",
	"severity": "medium",
	"category": "idle",
	"why": concat(" ", [
		"An established WebSocket that carries no bytes is closed by the first layer whose idle timer",
		"runs out, so the whole chain behaves like its shortest idle timeout. The common defaults are",
		"short: ALB and CLB 60 s, nginx `proxy_read_timeout` 60 s, Cloudflare unpublished (commonly",
		"observed ≈100 s) (provider-facts §0). nginx closes the TCP connections without a Close frame,",
		"so clients see code 1006 and reconnect (provider-facts §10). A quiet chat room, a dashboard",
		"with slow updates or a backgrounded tab then reconnects every minute, and every reconnect",
		"re-runs authentication and re-subscription. A heartbeat can hide a short timeout (WS202), but",
		"only for clients that run it; the baseline (`baseline_idle_s`, default 300 s) is the floor",
		"below which the chain relies on it entirely.",
	]),
	"remediation": "Raise the idle timeout of the layer that cuts first to at least the baseline (and every layer in front of and behind it to match, see WS401/WS402), and keep a heartbeat well below the smallest value.",
	"snippet": concat("\n", [
		"# AWS ALB (1-4000 s, default 60)",
		"aws elbv2 modify-load-balancer-attributes --load-balancer-arn $ALB_ARN \\",
		"  --attributes Key=idle_timeout.timeout_seconds,Value=3600",
		"# AWS NLB TCP listener (60-6000 s, default 350)",
		"aws elbv2 modify-listener-attributes --listener-arn $LISTENER_ARN \\",
		"  --attributes Key=tcp.idle_timeout.seconds,Value=3600",
		"# nginx, the WebSocket location",
		"proxy_read_timeout 3600s;",
		"proxy_send_timeout 3600s;",
	]),
	"references": [
		"https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html",
		"https://docs.aws.amazon.com/elasticloadbalancing/latest/network/update-idle-timeout.html",
		"https://nginx.org/en/docs/http/websocket.html",
		"https://developers.cloudflare.com/network/websockets/",
	],
}

findings contains f if {
	c := lib.cutter
	c.t < lib.config.baseline_idle_s
	f := {
		"layer": c.layer.id,
		"setting": "idle_timeout",
		"fix_value": raise_to(c),
		"headline": sprintf("cuts idle WebSockets after %v s, below the %v s baseline", [c.t, lib.config.baseline_idle_s]),
		"message": sprintf("%s closes idle WebSockets after %s, the shortest idle timeout in the chain and below the %v s baseline: every connection quiet for that long is cut unless a heartbeat keeps it busy", [
			lib.label(c.layer), lib.describe_seconds(c.layer.idle_timeout), lib.config.baseline_idle_s,
		]),
		"evidence": {
			"effective_idle_s": lib.effective_idle,
			"baseline_idle_s": lib.config.baseline_idle_s,
			"idle_timeout": lib.evidence_setting(c.layer.idle_timeout),
		},
	}
}

# What to raise the cutter to: the baseline, or the next layer's limit when that is longer
# (raising past it gains nothing: that layer would cut instead).
raise_to(c) := max({lib.config.baseline_idle_s, min(longer)}) if {
	longer := {x.t | some x in lib.idle_layers; x.t > c.t}
	count(longer) > 0
} else := lib.config.baseline_idle_s
