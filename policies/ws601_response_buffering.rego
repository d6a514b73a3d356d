package wsaudit.rules.ws601

import data.wsaudit.lib
import rego.v1

metadata := {
	"id": "WS601",
	"title": "Response buffering on a WebSocket location (matters for fallback transports)",
	"severity": "low",
	"category": "buffering",
	"why": concat(" ", [
		"This does not affect an upgraded WebSocket: once nginx has relayed the 101 it copies bytes",
		"between the two sockets with raw recv/send, bypassing `proxy_buffering` and every output",
		"filter (provider-facts §5). It matters for what the same location serves when the",
		"WebSocket cannot be used: socket.io/Engine.IO and SockJS long-polling, SignalR's",
		"long-polling and Server-Sent Events fallbacks. With `proxy_buffering on` (the nginx default)",
		"nginx reads the upstream response into its buffers instead of relaying each write, so a",
		"Server-Sent Events stream or a chunked streaming poll reaches the client late or in bursts;",
		"a short, complete long-poll answer is barely affected. The fallback that should rescue",
		"clients behind WebSocket-hostile networks then looks broken. ingress-nginx already",
		"defaults `proxy-buffering` to off (provider-facts §6a).",
	]),
	"remediation": "Turn proxy buffering off on locations that also serve long-polling or SSE (or have the app send `X-Accel-Buffering: no` on those responses). If the location serves nothing but WebSockets, this finding can be suppressed.",
	"snippet": concat("\n", [
		"location /socket.io/ {",
		"    proxy_buffering off;",
		"    proxy_http_version 1.1;",
		"    proxy_set_header Upgrade $http_upgrade;",
		"    proxy_set_header Connection $connection_upgrade;",
		"    proxy_pass http://app;",
		"}",
		"# or per response, from the app: X-Accel-Buffering: no",
	]),
	"references": [
		"https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_buffering",
		"https://nginx.org/en/docs/http/websocket.html",
		"https://socket.io/docs/v4/how-it-works/",
	],
}

findings contains f if {
	some layer in input.layers
	lib.passes_on(layer)
	layer.buffering.value == true
	f := {
		"layer": layer.id,
		"setting": "buffering",
		"fix_value": false,
		"headline": "buffers responses: SSE and long-poll fallbacks arrive late",
		"message": sprintf("%s buffers upstream responses (%s): upgraded WebSockets are not affected, but SSE and streaming long-poll fallbacks on this path receive their messages late or in bursts", [
			lib.label(layer), lib.origin_text(layer.buffering.origin),
		]),
		"evidence": {"buffering": lib.evidence_setting(layer.buffering)},
	}
}
