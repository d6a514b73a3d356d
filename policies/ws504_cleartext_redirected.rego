package wsaudit.rules.ws504

import data.wsaudit.lib
import rego.v1

metadata := {
	"id": "WS504",
	"title": "Clients dial ws:// but the chain redirects or refuses cleartext",
	"severity": "high",
	"category": "protocol",
	"why": concat(" ", [
		"A common setup sends plain-HTTP visitors to HTTPS: an ALB HTTP:80 listener whose default",
		"action redirects to HTTPS:443, a CloudFront behavior with ViewerProtocolPolicy",
		"redirect-to-https (301) or https-only (403), or no listener on port 80 at all. Pages follow",
		"the redirect; WebSocket clients do not. Browsers fail the connection on any handshake answer",
		"other than 101, a redirect included (WHATWG WebSockets standard), and RFC 6455 leaves",
		"following redirects optional, so most libraries do not either. A client dialing `ws://`",
		"therefore never connects: the application sees close code 1006 and, if it reconnects",
		"automatically, retries forever, every attempt answered by the same redirect.",
	]),
	"remediation": "Dial `wss://` in the client (build the URL from `location.protocol`, never hard-code `ws://`). If cleartext WebSockets are intended, let that layer pass them: CloudFront ViewerProtocolPolicy allow-all on the WebSocket behavior, an ALB rule on the HTTP:80 listener that forwards the WebSocket path instead of redirecting it.",
	"snippet": concat("\n", [
		"// Client: follow the page's scheme",
		"const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/`);",
		"# ALB, only if cleartext is intended: forward /ws/* on the HTTP:80 listener",
		"aws elbv2 create-rule --listener-arn \"$HTTP_LISTENER_ARN\" --priority 10 \\",
		"  --conditions Field=path-pattern,Values='/ws/*' \\",
		"  --actions Type=forward,TargetGroupArn=\"$TARGET_GROUP_ARN\"",
	]),
	"references": [
		"https://websockets.spec.whatwg.org/",
		"https://datatracker.ietf.org/doc/html/rfc6455#section-4.1",
		"https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-listeners.html",
		"https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-https-viewers-to-cloudfront.html",
	],
}

# A layer a cleartext handshake passes through unchanged: it allows cleartext (or does not say)
# and does not encrypt toward the next layer. The first layer that is not transparent decides
# what a `ws://` client gets; a layer that re-encrypts means nothing inward sees cleartext.
transparent(layer) if {
	layer.cleartext_from_client.value == "allow"
	not layer.tls_to_origin.value == true
}

transparent(layer) if {
	not is_string(layer.cleartext_from_client.value)
	not layer.tls_to_origin.value == true
}

decider_pos := min({i | some i, l in input.layers; not transparent(l)})

outcome := {
	"redirect": "answers ws:// handshakes with a redirect to HTTPS",
	"reject": "refuses ws:// handshakes",
}

findings contains f if {
	input.target.scheme == "ws"
	layer := input.layers[decider_pos]
	text := outcome[layer.cleartext_from_client.value]
	passed := [l.id | some i, l in input.layers; i < decider_pos]
	f := {
		"layer": layer.id,
		"setting": "cleartext_from_client",
		"headline": "does not carry ws:// handshakes through: those clients never connect",
		"message": sprintf("%s %s (%s): clients dial ws://%s%s, WebSocket clients do not follow redirects, so the handshake never succeeds and reconnecting clients retry forever", [
			lib.label(layer), text, lib.origin_text(layer.cleartext_from_client.origin),
			input.target.domain, input.target.path,
		]),
		"evidence": {
			"scheme": input.target.scheme,
			"cleartext_from_client": lib.evidence_setting(layer.cleartext_from_client),
			"passed_through": passed,
		},
	}
}
