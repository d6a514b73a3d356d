# A user rule in the built-in pack's form: wss:// required for every public endpoint.
package wsaudit.rules.acme101

import rego.v1

metadata := {
	"id": "ACME101",
	"title": "Public WebSocket endpoints must use wss://",
	"severity": "critical",
	"category": "company",
	"why": "Our security standard forbids clear-text WebSockets on public names.",
	"remediation": "Terminate TLS at the edge and publish the wss:// URL.",
	"snippet": "listen 443 ssl;",
	"references": [],
}

findings contains f if {
	input.target.scheme == "ws"
	f := {"layer": "chain", "message": sprintf("%s is served as ws://", [input.target.domain])}
}
