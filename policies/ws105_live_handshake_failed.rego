package wsaudit.rules.ws105

import rego.v1

metadata := {
	"id": "WS105",
	"title": "The live WebSocket handshake failed",
	"severity": "high",
	"category": "upgrade",
	"why": concat(" ", [
		"A WebSocket opens only when the server answers the upgrade request with `101 Switching",
		"Protocols` and a `Sec-WebSocket-Accept` equal to base64(SHA-1(Sec-WebSocket-Key +",
		"258EAFA5-E914-47DA-95CA-C5AB0DC85B11)); anything else and the client must fail the connection",
		"(RFC 6455 §4.1, §4.2.2). A probe that got another status saw what every real client sees: a",
		"200 or 404 usually means a layer did not forward the upgrade and the app answered a plain",
		"GET, 400/426 that the app rejected the request as a handshake, 502/504 that a proxy could not",
		"reach the backend, 403 that a WAF or bot filter stopped it; a 101 with a wrong Accept means",
		"something in between answered or rewrote the handshake. The response body and `Server`",
		"header usually name the layer that answered.",
	]),
	"remediation": "Find the layer that answered (Server/Via headers, body) and fix its upgrade forwarding (WS101-WS104, WS501); re-run `wsaudit probe` until it reports 101 with a valid Sec-WebSocket-Accept.",
	"snippet": concat("\n", [
		"# reproduce the handshake by hand (HTTP/1.1 forced; a 101 is the only good answer)",
		"curl -si --http1.1 -N https://ws.example.com/ws/ \\",
		"  -H 'Connection: Upgrade' -H 'Upgrade: websocket' \\",
		"  -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' | head -20",
		"# expected: HTTP/1.1 101 Switching Protocols",
		"#           Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
	]),
	"references": [
		"https://datatracker.ietf.org/doc/html/rfc6455#section-4.1",
		"https://datatracker.ietf.org/doc/html/rfc6455#section-4.2.2",
		"https://nginx.org/en/docs/http/websocket.html",
	],
}

handshake := input.probe.handshake

failed if handshake.status != 101

failed if handshake.accept_ok == false

# What came back, in words.
answer := "no HTTP answer at all" if handshake.status == 0
else := "101 with a Sec-WebSocket-Accept that does not match the key" if handshake.status == 101
else := sprintf("HTTP %v instead of 101", [handshake.status])

details contains sprintf("error: %s", [handshake.error]) if is_string(handshake.error)

details contains sprintf("body: %s", [trim_space(handshake.body_snippet)]) if {
	is_string(handshake.body_snippet)
	trim_space(handshake.body_snippet) != ""
}

details contains sprintf("server: %s", [server]) if {
	some k, server in handshake.headers
	lower(k) == "server"
}

detail_text := sprintf(" (%s)", [concat("; ", sort(details))]) if count(details) > 0
else := ""

findings contains f if {
	failed
	f := {
		"layer": "chain",
		"headline": sprintf("the live handshake got %s: no WebSocket opens", [answer]),
		"message": sprintf("The live handshake to %s got %s%s: every client fails the same way and no WebSocket opens", [
			input.probe.url, answer, detail_text,
		]),
		"evidence": {
			"url": input.probe.url,
			"status": handshake.status,
			"accept_ok": handshake.accept_ok,
			"headers": object.get(handshake, "headers", {}),
			"error": object.get(handshake, "error", null),
			"body_snippet": object.get(handshake, "body_snippet", null),
		},
	}
}
