package wsaudit.rules.ws108

import data.wsaudit.lib
import rego.v1

metadata := {
	"id": "WS108",
	"title": "Some requests may take another path than the one audited",
	"severity": "info",
	"category": "upgrade",
	"why": concat(" ", [
		"The audit follows one path through the chain, but some configuration picks the path per",
		"request: a CloudFront Function or Lambda@Edge on the viewer request can rewrite the URI or",
		"headers or answer itself, a continuous-deployment policy sends a share of requests (or those",
		"with a header) to a staging distribution with its own settings, and Route 53 weighted,",
		"latency, failover and geolocation records send different clients to different targets. A",
		"clean verdict for the audited path says nothing about the others; intermittent failures that",
		"hit only some users often live there.",
	]),
	"remediation": "Audit the other paths too: `wsaudit chain` audits each Route 53 record set's CloudFront or load balancer target as a chain of its own; pin any other target (`--alb`, `--cloudfront`) and run the chain again, and check what the edge function does with an `Upgrade: websocket` request.",
	"snippet": "wsaudit chain --domain ws.example.com --path /ws/ --alb other-alb",
	"references": [
		"https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/edge-functions.html",
		"https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/continuous-deployment.html",
		"https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/routing-policy.html",
	],
}

findings contains f if {
	some layer in input.layers
	some v in object.get(layer, "path_variants", [])
	# A record set's target audited as its own chain in the same report is no blind spot.
	not object.get(v, "audited", false)
	f := {
		"layer": layer.id,
		"headline": sprintf("some requests may go another way: %s", [v.kind]),
		"message": sprintf("%s: %s (%s): the audit covers one path, this one was not followed", [
			lib.label(layer), v.detail, where(v),
		]),
		"evidence": {"kind": v.kind, "locator": v.locator, "field": object.get(v, "field", null)},
	}
}

where(v) := sprintf("%s %s", [v.locator, v.field]) if is_string(object.get(v, "field", null))

else := v.locator
