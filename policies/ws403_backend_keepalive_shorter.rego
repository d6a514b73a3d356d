package wsaudit.rules.ws403

import data.wsaudit.lib
import rego.v1

metadata := {
	"id": "WS403",
	"title": "A backend's keep-alive is shorter than its proxy's (502 race)",
	"severity": "medium",
	"category": "align",
	"why": concat(" ", [
		"A load balancer or proxy keeps idle connections to its backends open and reuses them for",
		"later requests. If the backend closes an idle keep-alive connection before the proxy stops",
		"reusing it, the proxy can send a request down a connection the backend has just closed (FIN",
		"or RST in flight) and answers the client with 502. AWS documents this for ALB and asks for",
		"the target's keep-alive timeout to be larger than the load balancer's idle timeout, which",
		"applies to the target-side connection too (provider-facts §1, \"Classic 502 race\"). Common",
		"framework defaults lose the race against a 60 s ALB: Node.js `keepAliveTimeout` 5 s, Gunicorn",
		"`keepalive` 2 s, Puma `persistent_timeout` 20 s. The 502s are sporadic and hit plain requests",
		"and WebSocket handshakes alike (a failed handshake is a reconnect the user notices); an",
		"upgraded WebSocket itself is not affected, since it is no longer an idle keep-alive connection.",
		"The same race runs one hop further out: Cloudflare keeps idle connections to an origin for up",
		"to 900 s and answers 520 when the origin closed one first, CloudFront pools for its",
		"`OriginKeepaliveTimeout`, an nginx upstream for `keepalive_timeout`; an ALB behind them closes",
		"idle connections after its idle timeout (60 s by default). ALB's `client_keep_alive.seconds`",
		"is not part of this race: it is a connection's maximum lifetime, closed gracefully after a",
		"response.",
	]),
	"remediation": "Make the backend's idle keep-alive timeout longer than the time the layer in front of it keeps pooled connections (for an ALB its idle timeout), e.g. 65 s behind a 60 s ALB; or shorten the proxy's upstream keep-alive below the backend's. Behind Cloudflare (which pools for up to 900 s) raise the ALB's idle_timeout.timeout_seconds above 900 s.",
	"snippet": concat("\n", [
		"// Node.js behind a 60 s ALB (headersTimeout must exceed keepAliveTimeout)",
		"server.keepAliveTimeout = 65_000;",
		"server.headersTimeout = 66_000;",
		"# Gunicorn",
		"gunicorn --keep-alive 65 app:app",
		"# nginx as the backend (default 75s) / as the proxy (upstream keepalive_timeout, default 60s)",
		"keepalive_timeout 75s;",
		"upstream app { server 10.0.1.10:3000; keepalive 32; keepalive_timeout 4s; }",
	]),
	"references": [
		"https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html",
		"https://www.flightcontrol.dev/docs/troubleshooting/load-balancer-502-keepalive-timeout",
		"https://nginx.org/en/docs/http/ngx_http_upstream_module.html#keepalive_timeout",
		"https://nginx.org/en/docs/http/ngx_http_core_module.html#keepalive_timeout",
	],
}

# How long `layer` keeps an idle pooled connection to the next layer. An ALB has no separate
# setting: its idle timeout applies to the target-side connection as well (provider-facts §1).
pool(layer) := {"setting": "upstream_keepalive", "s": layer.upstream_keepalive} if {
	is_number(layer.upstream_keepalive.value)
} else := {"setting": "idle_timeout", "s": layer.idle_timeout} if {
	layer.provider == "alb"
	is_number(layer.idle_timeout.value)
}

# How long `layer` keeps an idle client connection open. An ALB closes idle connections after
# its idle timeout; `client_keep_alive.seconds` is a lifetime counted from the connection's
# opening, not an idle timer (chains saved before it was read as a lifetime carry it as
# `client_keepalive`, so the idle timeout is read directly). An NLB forgets an idle flow after
# its idle timeout and resets the next packet on it (provider-facts §2a): the same race.
keepalive(layer) := {"setting": "idle_timeout", "s": layer.idle_timeout} if {
	layer.provider in {"alb", "nlb"}
	is_number(layer.idle_timeout.value)
} else := {"setting": "client_keepalive", "s": layer.client_keepalive} if {
	is_number(layer.client_keepalive.value)
}

# What the outer layer answers the client when it reuses a connection the backend closed.
status(outer) := "520" if outer.provider == "cloudflare"

else := "502"

findings contains f if {
	some i, outer in input.layers
	lib.passes_on(outer)
	inner := input.layers[i + 1]
	k := keepalive(inner)
	k.s.value > 0 # 0 turns keep-alive off: every response says Connection: close
	p := pool(outer)
	k.s.value < p.s.value
	f := {
		"layer": inner.id,
		"setting": k.setting,
		"fix_value": p.s.value + 5,
		"headline": sprintf("closes idle connections after %v s, %s may reuse them for %v s: %s race", [k.s.value, outer.id, p.s.value, status(outer)]),
		"message": sprintf("%s closes idle keep-alive connections after %s while %s may reuse them for %s: %s can send a request or WebSocket handshake on a connection the backend just closed and answer the client %s", [
			lib.label(inner), lib.describe_seconds(k.s),
			lib.label(outer), lib.describe_seconds(p.s), lib.title(outer), status(outer),
		]),
		"evidence": {
			"client_keepalive": lib.evidence_setting(k.s),
			"proxy": outer.id,
			"proxy_setting": p.setting,
			"proxy_keepalive": lib.evidence_setting(p.s),
		},
	}
}
