package wsaudit.rules.ws106

import data.wsaudit.lib
import rego.v1

metadata := {
	"id": "WS106",
	"title": "A layer answers handshakes without a session or token itself",
	"severity": "medium",
	"category": "upgrade",
	"why": concat(" ", [
		"An AWS ALB listener rule can run `authenticate-oidc`, `authenticate-cognito` or",
		"`jwt-validation` before its `forward`. A handshake that carries no ALB session cookie is",
		"answered by the load balancer: a 302 to the identity provider (`OnUnauthenticatedRequest",
		"authenticate`, the default) or a 401 (`deny`), and WebSocket clients follow neither; JWT",
		"validation answers 401 unless the handshake carries `Authorization: Bearer`, which the",
		"browser WebSocket API cannot set. Browsers on the same site send the session cookie with the",
		"handshake once the user has signed in through a normal page, so the failure hits the first",
		"connection of a session, reconnects after the session expires, and every non-browser client.",
	]),
	"remediation": "Make sure every client has the ALB session cookie before it dials (sign in through a page of the same host first) and reconnects through a page load when the session expires, or send the WebSocket path through a rule without the authentication action and authenticate in the app (a token in the first message or the query string). For jwt-validation with browser clients, the token cannot travel in a header: validate it in the app instead.",
	"snippet": concat("\n", [
		"# A rule for the WebSocket path that forwards without authenticating",
		"aws elbv2 create-rule --listener-arn $LISTENER --priority 5 \\",
		"  --conditions Field=path-pattern,Values='/ws/*' \\",
		"  --actions Type=forward,TargetGroupArn=$TG",
	]),
	"references": [
		"https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-authenticate-users.html",
		"https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_Action.html",
	],
}

findings contains f if {
	some layer in input.layers
	lib.passes_on(layer)
	is_string(layer.handshake_auth.value)
	layer.handshake_auth.value != "none"
	f := {
		"layer": layer.id,
		"setting": "handshake_auth",
		"headline": sprintf("runs %s before forwarding: a handshake without a session never reaches the app", [layer.handshake_auth.value]),
		"message": sprintf("%s runs %s before forwarding the handshake (%s): a WebSocket client without a session or token never reaches the app", [
			lib.label(layer), layer.handshake_auth.value, lib.origin_text(layer.handshake_auth.origin),
		]),
		"evidence": {"handshake_auth": lib.evidence_setting(layer.handshake_auth)},
	}
}
