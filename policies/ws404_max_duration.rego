package wsaudit.rules.ws404

import data.wsaudit.lib
import rego.v1

metadata := {
	"id": "WS404",
	"title": "A layer caps the lifetime of every connection",
	"severity": "medium",
	"category": "align",
	"why": concat(" ", [
		"Some layers close a connection after a fixed time whether or not it is busy. A heartbeat",
		"cannot help and raising idle timeouts changes nothing. API Gateway WebSocket APIs end every",
		"connection after 2 hours and Azure Front Door after 4 hours; on Google Cloud's external",
		"Application Load Balancer the backend service `timeoutSec` (default 30 s) is, for",
		"WebSockets, the maximum lifetime of the connection, so the default kills every WebSocket",
		"after 30 s; Envoy's `max_stream_duration` does the same when set (provider-facts §0, §7).",
		"Clients must reconnect at least that often; without a reconnect that resumes state, users",
		"see periodic disconnects, and many clients connected at the same time hit the cap together.",
	]),
	"remediation": "Raise the cap where it is configurable (GCP timeoutSec, Envoy max_stream_duration) well above the sessions you expect; where it is fixed, make clients reconnect transparently with jittered backoff and resume their state, or close and reopen the socket on your own schedule before the cap.",
	"snippet": concat("\n", [
		"# GCP backend service: lifetime of a WebSocket (default 30 s)",
		"gcloud compute backend-services update ws-backend --global --timeout=86400s",
		"# GKE BackendConfig",
		"spec:",
		"  timeoutSec: 86400",
		"# Envoy route",
		"max_stream_duration: { max_stream_duration: 0s }",
	]),
	"references": [
		"https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html",
		"https://learn.microsoft.com/azure/frontdoor/standard-premium/websocket",
		"https://pkg.go.dev/github.com/agau4779/ingress-gce/examples/websocket",
		"https://www.envoyproxy.io/docs/envoy/latest/faq/configuration/timeouts",
	],
}

findings contains f if {
	some layer in input.layers
	is_number(layer.max_duration.value)
	layer.max_duration.value > 0
	f := {
		"layer": layer.id,
		"setting": "max_duration",
		"headline": sprintf("closes every connection after %v s whatever the traffic", [layer.max_duration.value]),
		"message": sprintf("%s closes every connection after %s whatever the traffic: each WebSocket is cut at least that often, and no heartbeat or idle setting prevents it", [
			lib.label(layer), lib.describe_seconds(layer.max_duration),
		]),
		"evidence": {"max_duration": lib.evidence_setting(layer.max_duration)},
	}
}
