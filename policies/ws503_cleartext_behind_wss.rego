package wsaudit.rules.ws503

import data.wsaudit.lib
import rego.v1

metadata := {
	"id": "WS503",
	"title": "A clear-text hop behind a wss:// edge",
	"severity": "high",
	"category": "protocol",
	"why": concat(" ", [
		"Clients dial `wss://` and see a padlock, but the CDN terminates TLS and may reach the origin",
		"over plain HTTP: a CloudFront origin with `OriginProtocolPolicy` http-only turns `wss` into",
		"plain `ws` from the edge on (provider-facts §3), and Cloudflare's SSL mode Flexible",
		"connects to the origin on port 80 without TLS (provider-facts §4). Every frame, including",
		"the handshake's cookies and tokens and everything the socket carries afterwards, crosses the",
		"public internet between the edge and the origin in clear text, readable and modifiable by",
		"anyone on that path, while the application believes the connection is encrypted. (SSL mode",
		"Off serves no TLS at the edge either, so `wss://` fails there: that is WS505.)",
	]),
	"remediation": "Encrypt the edge-to-origin hop: CloudFront OriginProtocolPolicy https-only (or match-viewer), Cloudflare SSL mode Full (strict) with a valid origin certificate (a Cloudflare Origin CA certificate is enough).",
	"snippet": concat("\n", [
		"# Cloudflare: SSL mode Full (strict)",
		"curl -X PATCH \"https://api.cloudflare.com/client/v4/zones/$ZONE_ID/settings/ssl\" \\",
		"  -H \"Authorization: Bearer $CLOUDFLARE_API_TOKEN\" -H 'Content-Type: application/json' \\",
		"  --data '{\"value\":\"strict\"}'",
		"# CloudFront: https-only to the custom origin",
		"aws cloudfront get-distribution-config --id $DISTRIBUTION_ID > dist.json",
		"jq '.DistributionConfig | .Origins.Items[].CustomOriginConfig.OriginProtocolPolicy = \"https-only\"' dist.json > config.json",
		"aws cloudfront update-distribution --id $DISTRIBUTION_ID --if-match \"$(jq -r .ETag dist.json)\" --distribution-config file://config.json",
	]),
	"references": [
		"https://developers.cloudflare.com/ssl/origin-configuration/ssl-modes/",
		"https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/distribution-working-with.websockets.html",
		"https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CustomOriginConfig.html",
	],
}

edge_without_tls if input.layers[0].tls_from_client.value == false

findings contains f if {
	input.target.scheme == "wss"
	some layer in input.layers
	layer.kind == "cdn"
	layer.tls_to_origin.value == false
	# An edge that serves no TLS at all fails `wss://` before any hop is reached (WS505).
	not edge_without_tls
	f := {
		"layer": layer.id,
		"setting": "tls_to_origin",
		"fix_value": true,
		"headline": "reaches its origin without TLS behind wss://",
		"message": sprintf("%s reaches its origin without TLS (%s): clients dial wss://%s but every frame, tokens included, crosses the internet from the edge to the origin in clear text", [
			lib.label(layer), lib.origin_text(layer.tls_to_origin.origin), input.target.domain,
		]),
		"evidence": {
			"scheme": input.target.scheme,
			"tls_to_origin": lib.evidence_setting(layer.tls_to_origin),
		},
	}
}
