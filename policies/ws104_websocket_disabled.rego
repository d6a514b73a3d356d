package wsaudit.rules.ws104

import data.wsaudit.lib
import rego.v1

metadata := {
	"id": "WS104",
	"title": "A layer has WebSockets switched off",
	"severity": "high",
	"category": "upgrade",
	"why": concat(" ", [
		"Some layers proxy WebSockets only when a setting allows it. Cloudflare's zone setting",
		"`websockets` (`on`/`off`) decides whether the edge passes the upgrade on a proxied record;",
		"with it off the handshake is refused at the edge and never reaches the origin",
		"(provider-facts §4). Fastly's WebSockets passthrough is a per-service product that is",
		"disabled by default, and Envoy upgrades only with `upgrade_configs: websocket` on the",
		"connection manager or route (provider-facts §7.6, §7.8). nginx tunnels a WebSocket only from",
		"a location that ends in `proxy_pass`: one that answers the handshake itself (`return 444`",
		"closes the connection without a response, `return 301` redirects, `try_files $uri =404`, a",
		"static `root` or `alias` answer 404, `ssl_reject_handshake on` refuses TLS) never reaches the",
		"app. An AWS ALB forwarding to a Lambda target group answers the upgrade 400 (Lambda targets do",
		"not support WebSockets), and target groups with the target optimizer on do not support them",
		"either. Everything behind such a layer can be configured perfectly and still no client ever connects.",
	]),
	"remediation": "Enable WebSockets on that layer: send the WebSocket path to an instance or ip target group (not Lambda, target optimizer off) with an ALB listener rule, the Cloudflare zone setting `websockets` = on, the Fastly `websockets` product on the service, Envoy `upgrade_configs` with `upgrade_type: websocket`. In nginx, change the directive the finding names so the handshake ends in a location with `proxy_pass` (and the Upgrade and Connection headers): remove or narrow the `return`, `rewrite … redirect` or `if` that answers it, end `try_files` in a named location that proxies (`try_files $uri @app;`) instead of `=404`, give the WebSocket path its own `location` with `proxy_pass` instead of a static `root`/`alias`, and leave `ssl_reject_handshake` off in the server that serves the WebSocket host.",
	"snippet": concat("\n", [
		"# Cloudflare: Network -> WebSockets, or the API",
		"curl -X PATCH \"https://api.cloudflare.com/client/v4/zones/$ZONE_ID/settings/websockets\" \\",
		"  -H \"Authorization: Bearer $CLOUDFLARE_API_TOKEN\" -H 'Content-Type: application/json' \\",
		"  --data '{\"value\":\"on\"}'",
		"# nginx: the handshake must end in a location that proxies",
		"location / { try_files $uri @app; }       # not =404, not return 444",
		"location @app {",
		"    proxy_http_version 1.1;",
		"    proxy_set_header Upgrade $http_upgrade;",
		"    proxy_set_header Connection $connection_upgrade;",
		"    proxy_pass http://app;",
		"}",
		"# Envoy HttpConnectionManager",
		"upgrade_configs:",
		"- upgrade_type: websocket",
	]),
	"references": [
		"https://developers.cloudflare.com/network/websockets/",
		"https://developers.cloudflare.com/api/resources/zones/subresources/settings/methods/edit/",
		"https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/http/upgrades",
		"https://docs.fastly.com/products/websockets",
		"https://nginx.org/en/docs/http/ngx_http_core_module.html#try_files",
		"https://nginx.org/en/docs/http/ngx_http_rewrite_module.html#return",
	],
}

# What the finding says. A layer that answers the handshake itself (an nginx `return 444`, a
# redirect, a 404 for a path that is no file) says what it answers: that is the line to change.
message(layer) := sprintf("%s answers the WebSocket handshake itself at %s: %s. No WebSocket through it can ever open, whatever the layers behind it allow", [
	lib.label(layer), lib.origin_text(layer.websocket.origin), layer.websocket.origin.field,
]) if {
	layer.proxies.value == false
	is_string(layer.websocket.origin.field)
} else := sprintf("%s has WebSockets disabled (%s): it refuses the upgrade itself, so no WebSocket through it can ever open, whatever the layers behind it allow", [
	lib.label(layer), lib.origin_text(layer.websocket.origin),
])

# A ws:// handshake redirected to https is WS504's finding, with the fix that belongs to it
# (dial wss://); saying it twice would send the reader to two different fixes.
cleartext_redirect(layer) if {
	input.target.scheme == "ws"
	layer.cleartext_from_client.value == "redirect"
}

findings contains f if {
	some layer in input.layers
	layer.websocket.value == "disabled"
	not cleartext_redirect(layer)
	f := {
		"layer": layer.id,
		"setting": "websocket",
		"fix_value": "enabled",
		"headline": "answers or refuses the handshake itself: no WebSocket can open",
		"message": message(layer),
		"evidence": {"websocket": lib.evidence_setting(layer.websocket)},
	}
}
