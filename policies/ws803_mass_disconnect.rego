package wsaudit.rules.ws803

import rego.v1

metadata := {
	"id": "WS803",
	"title": "Access logs show many WebSockets closed in the same second",
	"severity": "medium",
	"category": "logs",
	"why": concat(" ", [
		"Connections opened at different times that all end in the same second were not closed by",
		"their own idle timers: something ended them together. Typical causes: an nginx reload whose",
		"old workers close their WebSockets (ingress-nginx does so `worker-shutdown-timeout`, 240 s,",
		"after every reload), Caddy closing WebSockets on a config reload, a deploy that replaced a",
		"backend without draining, a CDN edge restarting (close code 1001). Every client then",
		"reconnects at once. The rule fires for a second with at least ten times the log's mean ends",
		"per second (and at least 20) whose connections' lifetimes spread by more than a second;",
		"a cohort that started together and was cut by one idle timeout is left to WS801.",
	]),
	"remediation": "Drain WebSockets on reloads and deploys instead of cutting them (a longer worker_shutdown_timeout or deregistration delay, a graceful close with a reconnect hint), and schedule reloads away from peak hours.",
	"snippet": concat("\n", [
		"# nginx: let old workers keep WebSockets up to 10 minutes after a reload",
		"worker_shutdown_timeout 600s;",
		"# ingress-nginx ConfigMap",
		"worker-shutdown-timeout: \"600s\"",
	]),
	"references": [
		"https://nginx.org/en/docs/ngx_core_module.html#worker_shutdown_timeout",
		"https://github.com/kubernetes/ingress-nginx/issues/2461",
	],
}

where_text(m) := sprintf(", most on %s", [m.top_upstream]) if is_string(m.top_upstream)
else := ""

findings contains f if {
	some m in input.logs.mass_disconnects
	not m.at_peak
	m.count >= 20
	m.lifetime_stddev_s > 1
	f := {
		"layer": "chain",
		"message": sprintf("%v WebSockets of different ages (lifetimes %v ± %v s) ended at %s, where a typical second ends %v%s: a reload, deploy or restart closed them together", [
			m.count, m.lifetime_mean_s, m.lifetime_stddev_s, m.at, m.baseline_per_second, where_text(m),
		]),
		"evidence": {"mass_disconnect": m},
	}
}
