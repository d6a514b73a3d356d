package wsaudit.rules.ws203

import data.wsaudit.lib
import rego.v1

metadata := {
	"id": "WS203",
	"title": "A measured idle cut that no layer in the chain explains",
	"severity": "high",
	"category": "idle",
	"why": concat(" ", [
		"A live probe held a WebSocket idle and something closed it, but no layer the audit read has",
		"an idle timeout or maximum duration within the tolerance (`explain_tolerance_s`, default 1 s)",
		"of that moment. Either a hop is missing from",
		"the chain (a corporate or egress proxy, a Kubernetes ingress, a service-mesh sidecar, a NAT",
		"or firewall connection-tracking timeout, an unpublished CDN limit such as Cloudflare's), or a",
		"layer's live setting differs from the one read (config not deployed or overridden). Either",
		"way the configured chain does not describe what cuts the connections.",
	]),
	"remediation": "Find the hop from the probe's fingerprint and Server/Via headers, pin it (--nginx-conf, --alb, --cloudflare-zone) and re-run `wsaudit chain --probe`; until then send a server-originated heartbeat well under the measured time.",
	"snippet": concat("\n", [
		"wsaudit probe wss://ws.example.com/ws/ --idle 900s --samples 3 --format json | jq .probe.fingerprint",
		"wsaudit chain --domain ws.example.com --path /ws/ --probe --nginx-conf /etc/nginx/nginx.conf",
	]),
	"references": ["https://datatracker.ietf.org/doc/html/rfc6455#section-7.1.5"],
}

idle := input.probe.idle

how_text := sprintf("a Close frame (code %v)", [idle.close_code]) if idle.how == "close_frame"
else := "a TCP FIN without a Close frame (clients report 1006)" if idle.how == "fin"
else := "a TCP reset" if idle.how == "rst"
else := idle.how

# `explained_by` was decided by the probe merge with the same `explain_tolerance_s` the message
# names: the command hands the configured value to both.
# On `wsaudit probe` alone the chain has no configured layers, so nothing could explain a cut:
# the rule speaks only when there was a configuration to compare with.
findings contains f if {
	count(input.layers) > 0
	is_number(idle.closed_after_s)
	not is_string(idle.explained_by)
	f := {
		"layer": "chain",
		"message": sprintf("the live probe's idle WebSocket was closed after %v s by %s, but no layer in the chain has an idle timeout or maximum duration within %v s of that: a layer wsaudit could not see closes idle WebSockets at %v s", [
			idle.closed_after_s, how_text, lib.config.explain_tolerance_s, idle.closed_after_s,
		]),
		"evidence": {
			"closed_after_s": idle.closed_after_s,
			"how": idle.how,
			"configured": [{"layer": x.layer.id, "idle_timeout": x.t} | some x in lib.idle_layers],
		},
	}
}
