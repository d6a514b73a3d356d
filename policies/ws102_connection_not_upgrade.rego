package wsaudit.rules.ws102

import data.wsaudit.lib
import rego.v1

metadata := {
	"id": "WS102",
	"title": "The Connection header sent upstream is not `upgrade`",
	"severity": "high",
	"category": "upgrade",
	"why": concat(" ", [
		"A WebSocket handshake is an HTTP/1.1 request carrying both `Upgrade: websocket` and",
		"`Connection: Upgrade` (RFC 6455 §4.1); a server that does not see the `upgrade` token in",
		"`Connection` must not switch protocols. nginx does not pass the client's `Connection` on",
		"(hop-by-hop): before 1.29.7 it sends `Connection: close`, since 1.29.7 none at all, and the",
		"common upstream-keepalive recipe `proxy_set_header Connection \"\";` removes it on purpose",
		"(provider-facts §5). Any of these turns the handshake into a plain request: the backend answers",
		"200/400/426 instead of 101 and the WebSocket never opens. The nginx documentation's fix is a",
		"map that sends `upgrade` when the client asked for one and `close` otherwise.",
	]),
	"remediation": "Send `Connection: upgrade` upstream for WebSocket requests (via the $connection_upgrade map, which still lets plain requests use keep-alive or close), instead of a fixed `close`, `keep-alive` or empty value.",
	"snippet": concat("\n", [
		"# http {} block",
		"map $http_upgrade $connection_upgrade {",
		"    default upgrade;",
		"    ''      close;     # or '' to keep upstream keep-alive for plain requests",
		"}",
		"# the WebSocket location",
		"proxy_http_version 1.1;",
		"proxy_set_header Upgrade $http_upgrade;",
		"proxy_set_header Connection $connection_upgrade;",
	]),
	"references": [
		"https://nginx.org/en/docs/http/websocket.html",
		"https://nginx.org/en/docs/http/ngx_http_upstream_module.html#keepalive",
		"https://datatracker.ietf.org/doc/html/rfc6455#section-4.1",
	],
}

# The tokens of a Connection value ("keep-alive, Upgrade" carries the upgrade token too).
tokens(v) := {trim_space(t) | some t in split(v, ",")}

shown(v) := "no Connection header (empty value)" if v == ""
else := sprintf("`Connection: %s`", [v])

findings contains f if {
	some layer in input.layers
	lib.passes_on(layer)
	v := lib.norm(layer.connection_header)
	not "upgrade" in tokens(v)
	f := {
		"layer": layer.id,
		"setting": "connection_header",
		"fix_value": "upgrade",
		"headline": sprintf("sends %s upstream on the handshake: no WebSocket opens", [shown(v)]),
		"message": sprintf("%s sends %s upstream on the WebSocket handshake (%s): the backend sees no upgrade request, answers without 101 and the connection never opens", [
			lib.label(layer), shown(v), lib.origin_text(layer.connection_header.origin),
		]),
		"evidence": {"connection_header": lib.evidence_setting(layer.connection_header)},
	}
}
