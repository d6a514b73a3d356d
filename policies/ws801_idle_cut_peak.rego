package wsaudit.rules.ws801

import data.wsaudit.lib
import rego.v1

metadata := {
	"id": "WS801",
	"title": "Access logs show WebSockets cut idle at one lifetime",
	"severity": "high",
	"category": "logs",
	"why": concat(" ", [
		"A WebSocket's access-log line is written when it closes, with how long it lived (nginx",
		"`$request_time`, ALB `time − request_creation_time`, CloudFront `time-taken`, Cloudflare's",
		"start and end). Users close tabs at any time, so lifetimes spread; a narrow peak (± 1 s)",
		"holding a large share of all connections at one value T is a timer: a layer closes every",
		"WebSocket that stays quiet for T seconds, and the client reconnects. With the chain",
		"(`--chain`, `--nginx-conf`, `chain --logs`) the layer whose configured idle timeout or",
		"maximum duration is T is named; when no layer read has it, a hop the audit cannot see cuts",
		"(the `unseen-logs` layer). Smaller peaks at 2T, 3T are connections a heartbeat kept alive",
		"only sometimes: one at or above T, which must be well under it.",
	]),
	"remediation": "Raise the idle timeout of the layer that cuts at T (or find the unseen hop), and send a server heartbeat well under the chain's shortest idle timeout.",
	"snippet": concat("\n", [
		"# nginx: the location that proxies the WebSocket",
		"proxy_read_timeout 3600s;",
		"proxy_send_timeout 3600s;",
		"# ALB: aws elbv2 modify-load-balancer-attributes --attributes Key=idle_timeout.timeout_seconds,Value=3600",
	]),
	"references": [
		"https://nginx.org/en/docs/http/ngx_http_log_module.html#var_request_time",
		"https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-access-logs.html",
		"https://developers.cloudflare.com/logs/logpush/logpush-job/datasets/zone/websocket_analytics/",
	],
}

layer_by_id(id) := [l | some l in input.layers; l.id == id][0]

configured_layer(p) := l if {
	l := layer_by_id(p.explained_by)
	l.provider != "unseen"
}

multiples(p) := [q.at_s | some q in input.logs.peaks; q.multiple_of_s == p.at_s]

multiples_text(p) := "" if count(multiples(p)) == 0
else := sprintf("; smaller peaks at %v s are connections that outlived one or more periods: a heartbeat at or above %v s, which must be well under it", [concat(", ", [sprintf("%v", [t]) | some t in multiples(p)]), p.at_s])

share_text(p) := sprintf("%v WebSockets (%v%% of those established) lived %v ± %v s", [p.count, round(p.share * 1000) / 10, p.at_s, p.half_width_s])

heartbeat_text := sprintf("; the heartbeat (%s) did not keep them alive", [lib.heartbeat_text]) if lib.heartbeat
else := ""

base_peaks contains p if {
	some p in input.logs.peaks
	not is_number(p.multiple_of_s)
}

findings contains f if {
	some p in base_peaks
	l := configured_layer(p)
	s := object.get(p, "explained_setting", "idle_timeout")
	f := {
		"layer": l.id,
		"setting": s,
		"message": sprintf("%s: %s cuts idle WebSockets at %v s (its %s, %s)%s%s", [
			share_text(p), lib.label(l), l[s].value, s, lib.origin_text(l[s].origin), heartbeat_text, multiples_text(p),
		]),
		"evidence": {"peak": p, s: lib.evidence_setting(l[s])},
	}
}

findings contains f if {
	some p in base_peaks
	not configured_layer(p)
	f := {
		"layer": object.get(p, "explained_by", "chain"),
		"message": sprintf("%s: a layer cuts idle WebSockets at %v s, and no layer read has that timeout: a hop the audit cannot see (give the chain with --chain or --nginx-conf to name it)%s%s", [
			share_text(p), p.at_s, heartbeat_text, multiples_text(p),
		]),
		"evidence": {"peak": p, "configured": [{"layer": x.layer.id, "idle_timeout": x.t} |
			some x in lib.idle_layers
			x.layer.provider != "unseen"
		]},
	}
}
