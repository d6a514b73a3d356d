package wsaudit.rules.acme102

import rego.v1

metadata := {"id": "ACME102", "title": "x", "severity": "low", "category": "c",
  "why": "w", "remediation": "r", "snippet": "s"}

findings contains f if {
	input.target.scheme ==
}
