package wsaudit.rules.ws804

import rego.v1

metadata := {
	"id": "WS804",
	"title": "Access logs show many WebSocket upgrades refused",
	"severity": "high",
	"category": "logs",
	"why": concat(" ", [
		"Of the requests that asked for a WebSocket (`Upgrade: websocket`, ALB `ws`/`wss`,",
		"CloudFront `cs-protocol` `ws`/`wss`), the share answered `101 Switching Protocols` is the",
		"health of the endpoint. Below 95 % (with at least 20 attempts) clients are being refused",
		"and will retry, and the failing status says by whom: 400 or 426 when a hop dropped the",
		"`Upgrade`/`Connection` headers or speaks HTTP/1.0 upstream (WS101–WS103), 403 from a WAF or",
		"an `Origin` check, 404 when a router or location does not match the path, 502/503/504 when",
		"the backend is down, full or slow to answer the handshake.",
	]),
	"remediation": "Fix what the dominant failing status points at on its path: the upgrade headers and HTTP/1.1 for 400/426, the WAF or Origin allow-list for 403, the route for 404, the backend's health and capacity for 5xx.",
	"snippet": concat("\n", [
		"# nginx: what a WebSocket location needs",
		"proxy_http_version 1.1;",
		"proxy_set_header Upgrade $http_upgrade;",
		"proxy_set_header Connection $connection_upgrade;",
	]),
	"references": ["https://datatracker.ietf.org/doc/html/rfc6455#section-4.1", "https://nginx.org/en/docs/http/websocket.html"],
}

min_ratio := 0.95

min_attempts := 20

path_text(top) := sprintf(", mostly on %s", [top.top_path]) if is_string(top.top_path)
else := ""

findings contains f if {
	u := input.logs.upgrades
	is_number(u.ratio)
	u.attempts >= min_attempts
	u.ratio < min_ratio
	top := u.failing[0]
	f := {
		"layer": "chain",
		"message": sprintf("only %v%% of %v WebSocket upgrade attempts were answered 101; the most common failure is %v (%v times%s)", [
			round(u.ratio * 1000) / 10, u.attempts, top.status, top.count, path_text(top),
		]),
		"evidence": {"upgrades": u},
	}
}
