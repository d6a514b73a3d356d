package wsaudit.rules.ws107

import data.wsaudit.lib
import rego.v1

metadata := {
	"id": "WS107",
	"title": "The subprotocol offer is dropped on the way",
	"severity": "high",
	"category": "upgrade",
	"why": concat(" ", [
		"A client that negotiates a subprotocol (`graphql-ws`, `mqtt`, STOMP, SignalR's, …) sends",
		"`Sec-WebSocket-Protocol` with the handshake, and a server that needs one refuses a handshake",
		"without it, or answers without choosing one, which the client then closes (RFC 6455 §4.1).",
		"CloudFront forwards only the viewer headers its origin request policy names: a whitelist",
		"policy that lists `Sec-WebSocket-Key` and `Sec-WebSocket-Version` but not",
		"`Sec-WebSocket-Protocol` opens plain WebSockets and breaks every subprotocol (AWS's 2023",
		"WebSocket page recommended forwarding it too). This fires only when the probe saw a",
		"subprotocol chosen or `wsaudit.toml` declares the app's (`subprotocols = [...]`).",
	]),
	"remediation": "Add `Sec-WebSocket-Protocol` (and `Sec-WebSocket-Extensions`) to the origin request policy's headers, or use the managed AllViewer policy on the WebSocket behavior.",
	"snippet": concat("\n", [
		"aws cloudfront get-origin-request-policy-config --id $POLICY > p.json",
		"# add to HeadersConfig.Headers.Items: Sec-WebSocket-Protocol, Sec-WebSocket-Extensions",
		"aws cloudfront update-origin-request-policy --id $POLICY --if-match $ETAG \\",
		"  --origin-request-policy-config file://p.json",
	]),
	"references": [
		"https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/distribution-working-with.websockets.html",
		"https://datatracker.ietf.org/doc/html/rfc6455#section-4.1",
	],
}

# Where the chain shows the app uses a subprotocol.
subprotocol := sprintf("the probe's handshake chose %s", [input.probe.handshake.subprotocol]) if {
	is_string(input.probe.handshake.subprotocol)
} else := sprintf("wsaudit.toml declares %s", [concat(", ", lib.config.subprotocols)]) if {
	count(object.get(lib.config, "subprotocols", [])) > 0
}

findings contains f if {
	some layer in input.layers
	lib.passes_on(layer)
	layer.forwards_subprotocol.value == false
	why := subprotocol
	f := {
		"layer": layer.id,
		"setting": "forwards_subprotocol",
		"headline": "drops Sec-WebSocket-Protocol: the server never sees the subprotocol offer",
		"message": sprintf("%s does not pass Sec-WebSocket-Protocol on (%s) while %s: the server never sees the subprotocol offer and the handshake fails or opens without one", [
			lib.label(layer), lib.origin_text(layer.forwards_subprotocol.origin), why,
		]),
		"evidence": {
			"forwards_subprotocol": lib.evidence_setting(layer.forwards_subprotocol),
			"subprotocol": why,
		},
	}
}
