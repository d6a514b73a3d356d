# An `opa test` unit test kept beside the user rule, as OPA's convention has it. wsaudit must
# not load it as a rule: it has no metadata, and loading it would fail the whole --policy DIR.
package wsaudit.rules.acme101_test

import rego.v1

import data.wsaudit.rules.acme101

test_ws_scheme_fires if {
	count(acme101.findings) == 1 with input as {"target": {"domain": "ws.example.com", "scheme": "ws"}}
}
