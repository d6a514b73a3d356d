package wsaudit.rules.ws702

import data.wsaudit.lib
import rego.v1

metadata := {
	"id": "WS702",
	"title": "Load balancer or CDN access logs are disabled",
	"severity": "low",
	"category": "observability",
	"why": concat(" ", [
		"When a WebSocket drops, the question is which layer closed it, and only the layers' own logs",
		"answer that. A CloudFront access-log line for a WebSocket is written at close time, with",
		"`sc-bytes` the bytes sent to the client over the connection's life (provider-facts §3); an",
		"ALB log line records the target, the ELB and target status codes and the processing times. With",
		"the edge or load-balancer logs off, a disconnect can be seen only at the app and at nginx,",
		"which cannot tell an edge idle cut or an edge restart from a client going away. ALB access",
		"logs are off by default (`access_logs.s3.enabled` false).",
	]),
	"remediation": "Enable access logs on the load balancer and the CDN for the WebSocket hostname (S3 for ALB and CloudFront standard logs, Logpush for Cloudflare) and keep them long enough to investigate a reported disconnect.",
	"snippet": concat("\n", [
		"# AWS ALB (the bucket policy must allow the ELB log delivery principal)",
		"aws elbv2 modify-load-balancer-attributes --load-balancer-arn $ALB_ARN --attributes \\",
		"  Key=access_logs.s3.enabled,Value=true Key=access_logs.s3.bucket,Value=my-lb-logs \\",
		"  Key=access_logs.s3.prefix,Value=web-alb",
		"# Cloudflare (Logpush, Enterprise): HTTP requests dataset to R2/S3",
		"curl -X POST \"https://api.cloudflare.com/client/v4/zones/$ZONE_ID/logpush/jobs\" \\",
		"  -H \"Authorization: Bearer $CLOUDFLARE_API_TOKEN\" -H 'Content-Type: application/json' \\",
		"  --data '{\"name\":\"ws-http\",\"dataset\":\"http_requests\",\"destination_conf\":\"s3://my-cf-logs/http?region=eu-west-1\"}'",
	]),
	"references": [
		"https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html",
		"https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/AccessLogs.html",
		"https://developers.cloudflare.com/logs/logpush/",
	],
}

findings contains f if {
	some layer in input.layers
	layer.kind in {"load_balancer", "cdn"}
	layer.access_log.value.enabled == false
	f := {
		"layer": layer.id,
		"setting": "access_log",
		"fix_value": true,
		"headline": "access logs disabled: no record of who closed a WebSocket",
		"message": sprintf("%s has access logs disabled (%s): when a WebSocket drops there is no record of whether this layer closed it, when, or toward which backend", [
			lib.label(layer), lib.origin_text(layer.access_log.origin),
		]),
		"evidence": {"access_log": lib.evidence_setting(layer.access_log)},
	}
}
