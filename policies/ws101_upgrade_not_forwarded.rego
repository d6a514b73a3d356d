package wsaudit.rules.ws101

import data.wsaudit.lib
import rego.v1

metadata := {
	"id": "WS101",
	"title": "A proxy does not forward the WebSocket upgrade request",
	"severity": "high",
	"category": "upgrade",
	"why": concat(" ", [
		"`Upgrade` and `Connection` are hop-by-hop headers: a proxy drops them unless it is told to",
		"pass them on. nginx forwards them only with `proxy_set_header Upgrade $http_upgrade;` and",
		"`proxy_set_header Connection $connection_upgrade;` (provider-facts §5). CloudFront forwards the",
		"upgrade only when the cache behavior's origin request policy passes all viewer headers",
		"(managed policy AllViewer) or at least `Sec-WebSocket-Key` and `Sec-WebSocket-Version`",
		"(provider-facts §3). Without them the next hop receives an ordinary GET, answers it with 200,",
		"400 or 426 instead of `101 Switching Protocols`, and every handshake fails: nothing works,",
		"it is not an intermittent problem.",
	]),
	"remediation": "Make the layer pass the handshake on: in nginx set the Upgrade and Connection headers explicitly for the WebSocket location; on CloudFront attach an origin request policy that forwards all viewer headers (or at least Sec-WebSocket-Key and Sec-WebSocket-Version) to the WebSocket cache behavior.",
	"snippet": concat("\n", [
		"# nginx (http {} block, then the WebSocket location)",
		"map $http_upgrade $connection_upgrade { default upgrade; '' close; }",
		"location /ws/ {",
		"    proxy_http_version 1.1;",
		"    proxy_set_header Upgrade $http_upgrade;",
		"    proxy_set_header Connection $connection_upgrade;",
		"    proxy_pass http://app;",
		"}",
		"# CloudFront: managed origin request policy AllViewer on the /ws/* behavior",
		"aws cloudfront get-distribution-config --id $DISTRIBUTION_ID > dist.json",
		"jq '.DistributionConfig | (.CacheBehaviors.Items[] | select(.PathPattern == \"/ws/*\") | .OriginRequestPolicyId) = \"216adef6-5c7f-47e4-b989-5492eafa07d3\"' dist.json > config.json",
		"aws cloudfront update-distribution --id $DISTRIBUTION_ID --if-match \"$(jq -r .ETag dist.json)\" --distribution-config file://config.json",
	]),
	"references": [
		"https://nginx.org/en/docs/http/websocket.html",
		"https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/distribution-working-with.websockets.html",
		"https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-origin-request-policies.html",
		"https://datatracker.ietf.org/doc/html/rfc6455#section-4.1",
	],
}

# What "not forwarding the upgrade" means for this kind of layer.
missing(layer) := "the Sec-WebSocket-Key and Sec-WebSocket-Version headers" if layer.kind == "cdn"
else := "the Upgrade header"

# What the next hop receives instead of the client's `Upgrade: websocket`: a header with
# another value (`proxy_set_header Upgrade $connection_upgrade` sends `upgrade` or `close`) is
# not the same mistake as no header, and its fix is different.
sent(layer) := sprintf("sends `Upgrade: %s` to the next hop instead of the client's `websocket`", [v]) if {
	v := layer.upgrade_header.value
	is_string(v)
	v != ""
	lower(v) != "websocket"
} else := sprintf("does not forward %s to the next hop", [missing(layer)])

findings contains f if {
	some layer in input.layers
	lib.passes_on(layer)
	layer.kind != "app"
	layer.forwards_upgrade.value == false
	f := {
		"layer": layer.id,
		"setting": "forwards_upgrade",
		"fix_value": true,
		"headline": "the Upgrade header does not reach the next hop: no WebSocket opens",
		"message": sprintf("%s %s (%s): the handshake arrives as a plain GET, no 101 comes back and every WebSocket connection fails", [
			lib.label(layer), sent(layer), lib.origin_text(layer.forwards_upgrade.origin),
		]),
		"evidence": {"forwards_upgrade": lib.evidence_setting(layer.forwards_upgrade)},
	}
}
