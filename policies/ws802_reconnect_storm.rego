package wsaudit.rules.ws802

import rego.v1

metadata := {
	"id": "WS802",
	"title": "Access logs show a reconnect storm",
	"severity": "medium",
	"category": "logs",
	"why": concat(" ", [
		"When a layer drops many WebSockets at once (an idle cut, a reload, a backend going away),",
		"every client reconnects within seconds, usually all at the same moment: the minute's new",
		"connections jump far above the log's baseline, and most come from clients whose previous",
		"connection had just closed. The burst itself hurts: handshakes, authentication and state",
		"resynchronisation for every client at once, often overloading the backend that is coming up",
		"and causing the next wave. This rule fires when a minute has at least five times the log's",
		"median new WebSockets per minute (and at least 20), and most of them are reconnects within",
		"10 s of the same client's close.",
	]),
	"remediation": "Find what closed the previous connections (WS801, WS803 in the same report), and make clients reconnect with exponential backoff and jitter so a mass close does not become a synchronised storm.",
	"snippet": concat("\n", [
		"// client: back off with full jitter",
		"const delay = Math.random() * Math.min(30000, 500 * 2 ** attempt);",
		"setTimeout(connect, delay);",
	]),
	"references": ["https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/"],
}

findings contains f if {
	some s in input.logs.storms
	s.reconnects * 2 >= s.new_connections
	f := {
		"layer": "chain",
		"message": sprintf("%v new WebSockets in %v minute(s) from %s (up to %v a minute against a median of %v): %v of them from clients reconnecting within %v s of their own close, a reconnect storm", [
			s.new_connections, s.minutes, s.start, s.peak_per_minute, s.baseline_per_minute, s.reconnects, s.reconnect_window_s,
		]),
		"evidence": {"storm": s},
	}
}
