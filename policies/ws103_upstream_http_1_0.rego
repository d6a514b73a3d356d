package wsaudit.rules.ws103

import data.wsaudit.lib
import rego.v1

metadata := {
	"id": "WS103",
	"title": "The upstream HTTP version is below 1.1",
	"severity": "high",
	"category": "upgrade",
	"why": concat(" ", [
		"The WebSocket handshake is defined only for HTTP/1.1 (RFC 6455 §4.1: the request must be",
		"HTTP/1.1 or higher, and HTTP/1.0 has no protocol upgrade). nginx speaks HTTP/1.0 to upstreams",
		"unless `proxy_http_version 1.1;` is set on versions before 1.29.7; 1.1 is the default only",
		"since 1.29.7 (provider-facts §5). Over HTTP/1.0 the backend either rejects the handshake or",
		"answers it as a normal request, so no 101 ever reaches the client. This is the single most",
		"common reason a WebSocket works against the app directly and fails behind nginx.",
	]),
	"remediation": "Set the upstream HTTP version to 1.1 on the WebSocket location (explicitly, even on nginx 1.29.7+, so the config does not depend on the build).",
	"snippet": concat("\n", [
		"location /ws/ {",
		"    proxy_http_version 1.1;",
		"    proxy_set_header Upgrade $http_upgrade;",
		"    proxy_set_header Connection $connection_upgrade;",
		"    proxy_pass http://app;",
		"}",
	]),
	"references": [
		"https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_http_version",
		"https://nginx.org/en/docs/http/websocket.html",
		"https://datatracker.ietf.org/doc/html/rfc6455#section-4.1",
	],
}

below_1_1 := {"1.0", "1", "0.9"}

# Where the value comes from; for nginx's default, why it is 1.0.
source(layer) := "default; nginx before 1.29.7 defaults proxy_http_version to 1.0" if {
	layer.upstream_http_version.origin.kind == "default"
	layer.provider == "nginx"
} else := lib.origin_text(layer.upstream_http_version.origin)

findings contains f if {
	some layer in input.layers
	lib.passes_on(layer)
	v := lib.norm(layer.upstream_http_version)
	v in below_1_1
	f := {
		"layer": layer.id,
		"setting": "upstream_http_version",
		"fix_value": "1.1",
		"headline": sprintf("talks HTTP/%s to the next hop: no upgrade, no WebSocket", [layer.upstream_http_version.value]),
		"message": sprintf("%s talks HTTP/%s to the next hop (%s): HTTP/1.0 has no protocol upgrade, so the WebSocket handshake never gets a 101", [
			lib.label(layer), layer.upstream_http_version.value, source(layer),
		]),
		"evidence": {"upstream_http_version": lib.evidence_setting(layer.upstream_http_version)},
	}
}
