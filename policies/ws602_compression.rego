package wsaudit.rules.ws602

import data.wsaudit.lib
import rego.v1

metadata := {
	"id": "WS602",
	"title": "Compression on a WebSocket location (matters for fallback transports)",
	"severity": "low",
	"category": "buffering",
	"why": concat(" ", [
		"This does not affect an upgraded WebSocket: nginx relays upgraded bytes with raw recv/send,",
		"outside the output filters, so `gzip` never touches WebSocket frames (provider-facts §5);",
		"message compression on a WebSocket is permessage-deflate (RFC 7692), negotiated end to end",
		"between client and server in the handshake and not something a proxy adds. What response",
		"compression can affect is the fallback traffic on the same location: a compressing proxy",
		"collects output to fill a compression block, so streamed responses (Server-Sent Events,",
		"chunked long-poll answers) can arrive late or batched unless each event is flushed through,",
		"and small long-poll answers gain little. nginx compresses only the `gzip_types` listed",
		"(text/html by default), so this matters when they include the fallback's content types",
		"(text/event-stream, text/plain, application/json).",
	]),
	"remediation": "Disable gzip on locations that stream long-polling or SSE responses (or exclude those content types); if the location serves only WebSockets, suppress this finding. Use permessage-deflate in the client/server library if WebSocket payloads need compressing.",
	"snippet": concat("\n", [
		"location /socket.io/ {",
		"    gzip off;",
		"    proxy_buffering off;",
		"    proxy_pass http://app;",
		"}",
		"# or keep gzip but leave event streams alone: list only what may be compressed",
		"gzip_types text/css application/javascript image/svg+xml;  # not text/event-stream or the polling transport's types",
	]),
	"references": [
		"https://nginx.org/en/docs/http/ngx_http_gzip_module.html",
		"https://nginx.org/en/docs/http/websocket.html",
		"https://datatracker.ietf.org/doc/html/rfc7692",
	],
}

findings contains f if {
	some layer in input.layers
	lib.passes_on(layer)
	layer.compression.value == true
	f := {
		"layer": layer.id,
		"setting": "compression",
		"fix_value": false,
		"headline": "compresses responses: SSE and long-poll fallbacks can stall",
		"message": sprintf("%s compresses responses (%s): WebSocket frames are not affected, but SSE and long-polling fallbacks on this path can be held back to fill a compression block", [
			lib.label(layer), lib.origin_text(layer.compression.origin),
		]),
		"evidence": {"compression": lib.evidence_setting(layer.compression)},
	}
}
