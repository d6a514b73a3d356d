package wsaudit.rules.ws701

import data.wsaudit.lib
import rego.v1

metadata := {
	"id": "WS701",
	"title": "No access log with upstream address and request time for the WebSocket location",
	"severity": "low",
	"category": "observability",
	"why": concat(" ", [
		"nginx writes a WebSocket's access-log line when the connection ends, so `$request_time` is",
		"how long the socket lived and `$upstream_addr` which backend held it. Those two fields are",
		"what tells an idle cut (a cluster of lifetimes at exactly the 60 s `proxy_read_timeout`), a",
		"deploy cut (every socket on one backend ending in the same second) and a reconnect storm",
		"apart; `wsaudit logs` reads them. The default `combined` format has neither, and a location",
		"with `access_log off` leaves no trace of disconnects at all, so the next \"users keep getting",
		"disconnected\" ticket starts from nothing.",
	]),
	"remediation": "Log the WebSocket location with a format that records $upstream_addr and $request_time (and $status, $upstream_status, $connection), and keep access_log on for it.",
	"snippet": concat("\n", [
		"# http {} block",
		"log_format ws '$remote_addr [$time_local] \"$request\" $status $body_bytes_sent '",
		"              'rt=$request_time ua=\"$upstream_addr\" us=$upstream_status '",
		"              'uct=$upstream_connect_time conn=$connection';",
		"# the WebSocket location",
		"access_log /var/log/nginx/ws_access.log ws;",
	]),
	"references": [
		"https://nginx.org/en/docs/http/ngx_http_log_module.html#log_format",
		"https://nginx.org/en/docs/http/ngx_http_upstream_module.html#variables",
		"https://nginx.org/en/docs/http/websocket.html",
	],
}

wanted := ["upstream_addr", "request_time"]

missing(log) := [w | some w in wanted; not w in log.fields]

findings contains f if {
	some layer in input.layers
	lib.passes_on(layer)
	layer.kind == "reverse_proxy"
	log := layer.access_log.value
	log.enabled == false
	f := {
		"layer": layer.id,
		"setting": "access_log",
		"fix_value": ["upstream_addr", "request_time"],
		"headline": "access_log off: WebSocket disconnects leave no trace",
		"message": sprintf("%s does not log WebSocket connections (access_log off, %s): disconnects, their duration and the backend that held them leave no trace", [
			lib.label(layer), lib.origin_text(layer.access_log.origin),
		]),
		"evidence": {"access_log": lib.evidence_setting(layer.access_log)},
	}
}

findings contains f if {
	some layer in input.layers
	lib.passes_on(layer)
	layer.kind == "reverse_proxy"
	log := layer.access_log.value
	log.enabled == true
	m := missing(log)
	count(m) > 0
	f := {
		"layer": layer.id,
		"setting": "access_log",
		"fix_value": m,
		"headline": sprintf("the access log lacks %s: lifetimes and backends cannot be read", [concat(" and ", [sprintf("$%s", [w]) | some w in m])]),
		"message": sprintf("%s logs WebSocket connections without %s (%s): how long each socket lived and which backend held it cannot be read from the log, so idle cuts, deploy cuts and reconnect storms look alike", [
			lib.label(layer), concat(" and ", [sprintf("$%s", [w]) | some w in m]),
			lib.origin_text(layer.access_log.origin),
		]),
		"evidence": {"access_log": lib.evidence_setting(layer.access_log), "missing_fields": m},
	}
}
