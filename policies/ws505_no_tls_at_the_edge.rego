package wsaudit.rules.ws505

import data.wsaudit.lib
import rego.v1

metadata := {
	"id": "WS505",
	"title": "The edge serves no TLS, so wss:// fails there",
	"severity": "critical",
	"category": "protocol",
	"why": concat(" ", [
		"Clients dial `wss://`, which needs a TLS handshake with the first layer they reach, but that",
		"layer does not serve TLS to its clients: Cloudflare's SSL/TLS encryption mode Off means no",
		"encryption between visitors and Cloudflare (Cloudflare SSL modes docs), so a `wss://` (or",
		"`https://`) connection to a proxied hostname fails at the edge before any WebSocket handshake",
		"is sent. No origin setting can fix it, and it is not WS503's problem (clear text behind a",
		"TLS edge): here there is no TLS edge at all. A Configuration Rule can set Off for one hostname",
		"while the zone's mode is fine.",
	]),
	"remediation": "Set the SSL/TLS encryption mode to Full (strict) for the zone, or remove the Configuration Rule that sets SSL Off for this hostname; make sure the edge certificate (Universal SSL or an advanced certificate) covers the hostname.",
	"snippet": concat("\n", [
		"# Cloudflare: SSL mode Full (strict) for the zone",
		"curl -X PATCH \"https://api.cloudflare.com/client/v4/zones/$ZONE_ID/settings/ssl\" \\",
		"  -H \"Authorization: Bearer $CLOUDFLARE_API_TOKEN\" -H 'Content-Type: application/json' \\",
		"  --data '{\"value\":\"strict\"}'",
	]),
	"references": [
		"https://developers.cloudflare.com/ssl/origin-configuration/ssl-modes/",
		"https://developers.cloudflare.com/ssl/origin-configuration/ssl-modes/off/",
		"https://developers.cloudflare.com/rules/configuration-rules/settings/",
	],
}

findings contains f if {
	input.target.scheme == "wss"
	layer := input.layers[0]
	layer.tls_from_client.value == false
	f := {
		"layer": layer.id,
		"setting": "tls_from_client",
		"fix_value": true,
		"headline": "serves no TLS to clients: wss:// never opens",
		"message": sprintf("%s serves no TLS to clients (%s): a wss://%s%s client cannot complete its TLS handshake with the edge, so no WebSocket ever opens", [
			lib.label(layer), lib.origin_text(layer.tls_from_client.origin),
			input.target.domain, input.target.path,
		]),
		"evidence": {
			"scheme": input.target.scheme,
			"tls_from_client": lib.evidence_setting(layer.tls_from_client),
		},
	}
}
