package wsaudit.rules.ws302

import data.wsaudit.lib
import rego.v1

metadata := {
	"id": "WS302",
	"title": "Draining on deploy is shorter than the sessions it cuts",
	"severity": "medium",
	"category": "sticky",
	"why": concat(" ", [
		"WebSockets live for minutes or hours; a deploy that removes a backend ends every session on",
		"it when the drain window closes. ALB and NLB stop sending new requests to a deregistering",
		"target and wait `deregistration_delay.timeout_seconds` (default 300 s, 0-3600); if the target",
		"closes connections before then clients get errors, and CLB (and NLB with",
		"`connection_termination`) force-close what is left at the end (provider-facts §1, §2).",
		"nginx keeps old workers serving open WebSockets after a reload until",
		"`worker_shutdown_timeout` (ingress-nginx: 240 s) cuts them (provider-facts §5, §6a). A short",
		"window cuts almost every open WebSocket at the same moment, and all those clients reconnect",
		"at once onto the remaining backends: a reconnect storm that can look like an outage, and",
		"with socket.io or a backoff-free client it repeats on every deploy. An NLB also resets the",
		"connections of a target as soon as it fails its health checks",
		"(`target_health_state.unhealthy.connection_termination.enabled`, on by default): one flap",
		"of a health check under load cuts every WebSocket on that target the same way.",
	]),
	"remediation": "Give deregistration/draining at least `min_drain_s` (default 300 s) (on an NLB with connection termination on; with it off connections are not cut), keep an NLB's connections to unhealthy targets for a draining interval (`target_health_state.unhealthy.connection_termination.enabled=false` with `draining_interval_seconds`), have the app close its WebSockets itself with close code 1001 during that window (clients reconnect spread out, with jittered backoff), and keep client reconnect backoff randomised.",
	"snippet": concat("\n", [
		"# AWS ALB/NLB target group",
		"aws elbv2 modify-target-group-attributes --target-group-arn $TG_ARN \\",
		"  --attributes Key=deregistration_delay.timeout_seconds,Value=300",
		"# nginx (main context): let old workers finish WebSockets for up to 5 minutes after a reload",
		"worker_shutdown_timeout 300s;",
		"# ingress-nginx ConfigMap",
		"worker-shutdown-timeout: \"300s\"",
	]),
	"references": [
		"https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetGroupAttribute.html",
		"https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/config-conn-drain.html",
		"https://nginx.org/en/docs/ngx_core_module.html#worker_shutdown_timeout",
		"https://github.com/kubernetes/ingress-nginx/pull/1088",
	],
}

findings contains f if {
	some layer in input.layers
	lib.passes_on(layer)
	is_number(layer.drain_timeout.value)
	layer.drain_timeout.value < lib.config.min_drain_s
	f := {
		"layer": layer.id,
		"setting": "drain_timeout",
		"fix_value": lib.config.min_drain_s,
		"headline": sprintf("only %v s to drain: a deploy cuts open WebSockets at once", [layer.drain_timeout.value]),
		"message": sprintf("%s gives draining connections (a deregistered backend, a reloaded worker) only %s, below the %v s minimum: a deploy cuts the WebSockets still open at once and their clients all reconnect together (reconnect storm)", [
			lib.label(layer), lib.describe_seconds(layer.drain_timeout), lib.config.min_drain_s,
		]),
		"evidence": {
			"drain_timeout": lib.evidence_setting(layer.drain_timeout),
			"min_drain_s": lib.config.min_drain_s,
		},
	}
}

findings contains f if {
	some layer in input.layers
	lib.passes_on(layer)
	is_number(layer.unhealthy_drain_timeout.value)
	layer.unhealthy_drain_timeout.value < lib.config.min_drain_s
	f := {
		"layer": layer.id,
		"setting": "unhealthy_drain_timeout",
		"message": sprintf("%s resets the connections of a target %s after it fails its health checks, below the %v s minimum: one health-check flap cuts every WebSocket on that target at once and their clients all reconnect together", [
			lib.label(layer), lib.describe_seconds(layer.unhealthy_drain_timeout), lib.config.min_drain_s,
		]),
		"evidence": {
			"unhealthy_drain_timeout": lib.evidence_setting(layer.unhealthy_drain_timeout),
			"min_drain_s": lib.config.min_drain_s,
		},
	}
}
