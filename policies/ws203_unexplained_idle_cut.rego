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
		"way the configured chain does not describe what cuts the connections. The measured hop is",
		"added to the chain as the `unseen` layer, so the idle rules (WS201, WS202, WS401) judge its",
		"timeout like any other, and the summary names it as the layer that cuts first.",
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
# names: the command hands the configured value to both. The merge also adds the hop that cut
# as a layer of provider `unseen`, which is the measurement, not configuration read.
configured := [l | some l in input.layers; l.provider != "unseen"]

# Whether the run read configuration, or tried to (what it could not read is a gap, what it did
# not look at is listed as not consulted): `chain --probe` always did, even when it found no
# layer; `wsaudit probe` alone did not, and then nothing could explain a cut, so the rule is
# silent and WS201/WS202 judge the measured hop.
looked_for_configuration if count(configured) > 0

looked_for_configuration if count(input.gaps) > 0

looked_for_configuration if count(input.not_consulted) > 0

findings contains f if {
	looked_for_configuration
	is_number(idle.closed_after_s)
	not is_string(idle.explained_by)
	f := {
		"layer": "chain",
		"headline": sprintf("a hop wsaudit cannot see cut the idle probe after %v s", [idle.closed_after_s]),
		"message": sprintf("the live probe's idle WebSocket was closed after %v s by %s, but no layer in the chain has an idle timeout or maximum duration within %v s of that: a layer wsaudit could not see closes idle WebSockets at %v s", [
			idle.closed_after_s, how_text, lib.config.explain_tolerance_s, idle.closed_after_s,
		]),
		"evidence": {
			"closed_after_s": idle.closed_after_s,
			"how": idle.how,
			"configured": [{"layer": x.layer.id, "idle_timeout": x.t} |
				some x in lib.idle_layers
				x.layer.provider != "unseen"
			],
		},
	}
}
