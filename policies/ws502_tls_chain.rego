package wsaudit.rules.ws502

import data.wsaudit.lib
import rego.v1

metadata := {
	"id": "WS502",
	"title": "The TLS certificate chain is incomplete, expired or about to expire",
	"severity": "high",
	"category": "protocol",
	"why": concat(" ", [
		"A `wss://` client must fail the WebSocket connection when the server's certificate cannot be",
		"verified (RFC 6455 §4.1), and it does so silently: `new WebSocket()` gets no certificate",
		"prompt, only an error event and close code 1006. A chain served without its intermediate",
		"certificate often still works in browsers, which cache intermediates or fetch them through",
		"the certificate's AIA URL, and fails in clients that do neither: Node.js, Python, Go and Java",
		"WebSocket libraries, mobile SDKs, IoT devices. That is why a missing intermediate shows up as",
		"\"works in Chrome, fails from the backend job\". An expired certificate fails everyone at",
		"once; one close to expiry is a dated outage.",
	]),
	"remediation": "Serve the full chain (leaf followed by its intermediates) at the TLS-terminating layer, renew the certificate, and alert well before expiry (`tls_expiry_warn_days`, default 14).",
	"snippet": concat("\n", [
		"# nginx: the certificate file must hold leaf + intermediates (Let's Encrypt: fullchain.pem, not cert.pem)",
		"ssl_certificate     /etc/letsencrypt/live/ws.example.com/fullchain.pem;",
		"ssl_certificate_key /etc/letsencrypt/live/ws.example.com/privkey.pem;",
		"# check what is served (look for 'Verify return code: 0 (ok)' and the depth of the chain)",
		"openssl s_client -connect ws.example.com:443 -servername ws.example.com -showcerts </dev/null",
		"# ACM-imported certificates: re-import with the chain",
		"aws acm import-certificate --certificate-arn $CERT_ARN --certificate fileb://cert.pem \\",
		"  --private-key fileb://privkey.pem --certificate-chain fileb://chain.pem",
	]),
	"references": [
		"https://datatracker.ietf.org/doc/html/rfc6455#section-4.1",
		"https://nginx.org/en/docs/http/configuring_https_servers.html#chains",
		"https://docs.aws.amazon.com/acm/latest/userguide/import-reimport.html",
	],
}

tls := input.probe.tls

problems contains "the certificate chain does not verify" if tls.verified == false

problems contains "the server does not send the intermediate certificate(s)" if tls.missing_intermediate == true

problems contains "the certificate has expired" if tls.expired == true

problems contains "the certificate has expired" if {
	is_number(tls.days_to_expiry)
	tls.days_to_expiry < 0
}

error_text := sprintf(" (%s)", [tls.error]) if is_string(tls.error)
else := ""

evidence := {
	"url": input.probe.url,
	"verified": tls.verified,
	"missing_intermediate": object.get(tls, "missing_intermediate", false),
	"expired": object.get(tls, "expired", false),
	"days_to_expiry": object.get(tls, "days_to_expiry", null),
	"error": object.get(tls, "error", null),
	"chain": object.get(tls, "chain", []),
}

findings contains f if {
	count(problems) > 0
	f := {
		"layer": "chain",
		"headline": sprintf("TLS fails at %s: %s", [input.probe.url, concat(", ", sort(problems))]),
		"message": sprintf("TLS at %s fails: %s%s; wss:// clients that cannot verify the chain abort the handshake with no prompt, only close code 1006", [
			input.probe.url, concat(", and ", sort(problems)), error_text,
		]),
		"evidence": evidence,
	}
}

findings contains f if {
	count(problems) == 0
	is_number(tls.days_to_expiry)
	tls.days_to_expiry < lib.config.tls_expiry_warn_days
	f := {
		"layer": "chain",
		"severity": "medium",
		"headline": sprintf("the certificate expires in %v days", [tls.days_to_expiry]),
		"message": sprintf("The certificate served at %s expires in %v days (warning at %v): once it does, every wss:// client fails the handshake at the same moment", [
			input.probe.url, tls.days_to_expiry, lib.config.tls_expiry_warn_days,
		]),
		"evidence": evidence,
	}
}
