package wsaudit.rules.ws501

import data.wsaudit.lib
import rego.v1

metadata := {
	"id": "WS501",
	"title": "The hop toward the app is HTTP/2 or gRPC where the WebSocket needs HTTP/1.1",
	"severity": "high",
	"category": "protocol",
	"why": concat(" ", [
		"The WebSocket handshake is an HTTP/1.1 Upgrade (RFC 6455). HTTP/2 has no Upgrade: WebSockets",
		"over HTTP/2 need the extended CONNECT of RFC 8441, which both ends of the hop must support.",
		"AWS describes ALB WebSockets only as an HTTP/1.1 upgrade and a target group's",
		"`ProtocolVersion` HTTP2 or GRPC is not documented to carry them (provider-facts §1, treat",
		"HTTP1 as required); nginx has no extended-CONNECT support toward upstreams, so",
		"`proxy_http_version 2` cannot carry a WebSocket (provider-facts §5). The handshake then fails at",
		"that hop although every layer in front of it is right. HTTP/2 between the client and the",
		"edge is not the problem: browsers open a separate HTTP/1.1 connection for WebSockets.",
	]),
	"remediation": "Route the WebSocket path to a target group / upstream that speaks HTTP/1.1 (ALB ProtocolVersion HTTP1, nginx proxy_http_version 1.1); keep HTTP/2 or gRPC for the paths that need it with a separate listener rule or location.",
	"snippet": concat("\n", [
		"# ALB: ProtocolVersion is fixed at creation; add an HTTP1 target group for the WebSocket path",
		"aws elbv2 create-target-group --name ws-http1 --protocol HTTPS --protocol-version HTTP1 \\",
		"  --port 443 --vpc-id $VPC_ID --target-type ip",
		"aws elbv2 modify-rule --rule-arn $WS_RULE_ARN \\",
		"  --actions Type=forward,TargetGroupArn=$WS_HTTP1_TG_ARN",
		"# nginx, the WebSocket location",
		"proxy_http_version 1.1;",
	]),
	"references": [
		"https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-target-groups.html",
		"https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-listeners.html",
		"https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_http_version",
		"https://datatracker.ietf.org/doc/html/rfc8441",
	],
}

http2 := {"2", "2.0", "http2", "http/2", "h2", "grpc"}

findings contains f if {
	some layer in input.layers
	lib.passes_on(layer)
	v := lib.norm(layer.upstream_http_version)
	v in http2
	f := {
		"layer": layer.id,
		"setting": "upstream_http_version",
		"fix_value": "1.1",
		"headline": sprintf("talks %s to the next hop: the handshake fails there", [shown(v)]),
		"message": sprintf("%s talks %s to the next hop (%s): a WebSocket needs an HTTP/1.1 Upgrade on that hop, so the handshake fails there however the outer layers are set", [
			lib.label(layer), shown(v), lib.origin_text(layer.upstream_http_version.origin),
		]),
		"evidence": {"upstream_http_version": lib.evidence_setting(layer.upstream_http_version)},
	}
}

shown(v) := "gRPC (HTTP/2)" if v == "grpc"
else := "HTTP/2"
