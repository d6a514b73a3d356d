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
		"connection manager or route (provider-facts §7.6, §7.8). Everything behind such a layer can be",
		"configured perfectly and still no client ever connects.",
	]),
	"remediation": "Enable WebSockets on that layer: the Cloudflare zone setting `websockets` = on, the Fastly `websockets` product on the service, Envoy `upgrade_configs` with `upgrade_type: websocket`.",
	"snippet": concat("\n", [
		"# Cloudflare: Network -> WebSockets, or the API",
		"curl -X PATCH \"https://api.cloudflare.com/client/v4/zones/$ZONE_ID/settings/websockets\" \\",
		"  -H \"Authorization: Bearer $CLOUDFLARE_API_TOKEN\" -H 'Content-Type: application/json' \\",
		"  --data '{\"value\":\"on\"}'",
		"# Envoy HttpConnectionManager",
		"upgrade_configs:",
		"- upgrade_type: websocket",
	]),
	"references": [
		"https://developers.cloudflare.com/network/websockets/",
		"https://developers.cloudflare.com/api/resources/zones/subresources/settings/methods/edit/",
		"https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/http/upgrades",
		"https://docs.fastly.com/products/websockets",
	],
}

findings contains f if {
	some layer in input.layers
	layer.websocket.value == "disabled"
	f := {
		"layer": layer.id,
		"setting": "websocket",
		"message": sprintf("%s has WebSockets disabled (%s): it refuses the upgrade itself, so no WebSocket through it can ever open, whatever the layers behind it allow", [
			lib.label(layer), lib.origin_text(layer.websocket.origin),
		]),
		"evidence": {"websocket": lib.evidence_setting(layer.websocket)},
	}
}
