package wsaudit.rules.ws202

import data.wsaudit.lib
import rego.v1

metadata := {
	"id": "WS202",
	"title": "No heartbeat, or one that does not keep every layer alive",
	"severity": "high",
	"category": "idle",
	"why": concat(" ", [
		"Idle timeouts count silence; only bytes on the wire reset them. A heartbeat (WebSocket ping",
		"frames or an application message) is what keeps a quiet connection open through every layer,",
		"so it must be shorter than the smallest idle timeout with room to spare: a ping at exactly the",
		"idle timeout races it, and loses under load or after a GC pause (Mattermost pinged every 60 s",
		"behind an ALB at its 60 s default and dropped connections; provider-facts §1). It must also",
		"flow in a direction each layer counts: CloudFront's 10-minute WebSocket quota is reset only by",
		"bytes from the origin to the client (provider-facts §3), so a client-sent heartbeat nobody",
		"answers does not keep it open, while a server ping (answered by a pong) or a client ping",
		"(answered by the server's pong) does. Browsers cannot send ping frames; the server or the",
		"application protocol must originate the heartbeat (provider-facts §8).",
	]),
	"remediation": "Have the server send a heartbeat (WebSocket ping or an app message) at most `heartbeat_margin` (default 0.5) times the smallest idle timeout in the chain, e.g. every 20-30 s, and declare it (`--heartbeat 25s` or `[heartbeat]` in wsaudit.toml) so the audit can check it.",
	"snippet": concat("\n", [
		"// socket.io v4: server pings every 25 s by default (pingInterval); keep it below the chain's idle timeout",
		"const io = new Server(httpServer, { pingInterval: 25000, pingTimeout: 20000 });",
		"// ws (Node.js): it sends no pings by itself",
		"setInterval(() => wss.clients.forEach((ws) => ws.ping()), 25000);",
		"# Python websockets: websockets.serve(handler, host, port, ping_interval=20, ping_timeout=20)",
		"# wsaudit.toml",
		"[heartbeat]",
		"interval = \"25s\"",
		"direction = \"server_to_client\"",
	]),
	"references": [
		"https://github.com/mattermost/docs/issues/8929",
		"https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html",
		"https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html",
		"https://datatracker.ietf.org/doc/html/rfc6455#section-5.5.2",
		"https://socket.io/docs/v4/server-options/#pinginterval",
		"https://github.com/websockets/ws#how-to-detect-and-close-broken-connections",
	],
}

hb := lib.heartbeat

hb_text := sprintf("every %v s (%s, %s)", [hb.interval_s, lib.direction_text(hb.direction), hb.source])

# No heartbeat at all: say what the chain will do to a quiet connection.
findings contains f if {
	not lib.heartbeat
	count(lib.hops) > 0
	f := {
		"layer": "chain",
		"severity": no_heartbeat_severity,
		"headline": no_heartbeat_headline,
		"message": no_heartbeat_message,
		"fix": no_heartbeat_fix,
		"evidence": object.union({"heartbeat": null}, cutter_evidence),
	}
}

no_heartbeat_message := sprintf("No heartbeat is declared, and the access logs show WebSockets dying after %s, cut by %s: every WebSocket quiet for that long is cut unless the application sends something first", [
	lib.describe_seconds(lib.cutter.layer.idle_timeout), lib.label(lib.cutter.layer),
]) if {
	logged_cut
} else := sprintf("No heartbeat is declared, and the live probe's quiet WebSocket was cut after %s by %s with no server ping in between: every WebSocket quiet for that long is cut unless the application sends something first", [
	lib.describe_seconds(lib.cutter.layer.idle_timeout), lib.label(lib.cutter.layer),
]) if {
	measured_cut
} else := sprintf("No heartbeat is declared and the chain's effective idle timeout is %s, set by %s: a WebSocket quiet for that long is cut unless the application sends something first", [
	lib.describe_seconds(lib.cutter.layer.idle_timeout), lib.label(lib.cutter.layer),
]) if {
	lib.cutter
} else := "No heartbeat is declared and no layer's idle timeout is known: nothing shows that quiet WebSockets survive the chain"

# Without a declared heartbeat the application may still send something in time, so a short
# configured timeout is a risk (medium). When the live probe held the connection quiet and saw
# the chain's effective idle timeout cut it, with no server ping in between, the outage is
# observed, not inferred (high).
no_heartbeat_severity := "high" if measured_cut
else := "medium"

measured_cut if lib.cutter.layer.idle_timeout.origin.kind == "probed"

# Access logs showed the connections dying at this timeout (a lifetime peak at it).
measured_cut if logged_cut

logged_cut if lib.cutter.layer.idle_timeout.origin.kind == "logged"

logged_cut if {
	some p in input.logs.peaks
	p.explained_by == lib.cutter.layer.id
	p.explained_setting == "idle_timeout"
}

measured_cut if input.probe.idle.explained_by == lib.cutter.layer.id

cutter_evidence := {
	"cuts_first": lib.cutter.layer.id,
	"effective_idle_s": lib.effective_idle,
} if {
	lib.cutter
} else := {}

# The heartbeat flows in a direction this layer's idle timer does not count.
wrong_direction contains x if {
	some x in lib.idle_layers
	not lib.heartbeat_resets(x.layer, hb.direction)
}

# The heartbeat is slower than the margin allows.
too_slow contains x if {
	some x in lib.idle_layers
	lib.heartbeat_resets(x.layer, hb.direction)
	hb.interval_s > lib.config.heartbeat_margin * x.t
}

findings contains f if {
	some x in wrong_direction
	f := {
		"layer": x.layer.id,
		"setting": "idle_timeout",
		"fix": {"kind": "application", "text": sprintf("Send the heartbeat from the server (a WebSocket ping or a message towards the client) at least every %v s, and declare it: --heartbeat %vs --heartbeat-from server", [ping_every(x.t), ping_every(x.t)])},
		"headline": sprintf("the heartbeat flows the wrong way for it: quiet WebSockets are cut after %v s", [x.t]),
		"message": sprintf("%s resets its %s idle timer only on %s bytes, so the heartbeat %s does not keep it alive: quiet WebSockets are cut after %v s anyway", [
			lib.label(x.layer), lib.describe_seconds(x.layer.idle_timeout),
			lib.direction_text(lib.reset_by(x.layer)), hb_text, x.t,
		]),
		"evidence": {
			"heartbeat": hb,
			"idle_timeout": lib.evidence_setting(x.layer.idle_timeout),
			"idle_reset_by": lib.evidence_setting(x.layer.idle_reset_by),
		},
	}
}

# At or past the idle timeout the heartbeat loses the race; between the margin and the
# timeout it only has no room for a delayed ping.
consequence(x) := sprintf("the layer closes the connection before (or just as) the next heartbeat arrives, so quiet WebSockets drop every %v s", [x.t]) if {
	hb.interval_s >= x.t
} else := "one delayed or lost heartbeat (load, a GC pause, a backgrounded tab) and the layer cuts the connection"

severity(x) := "high" if hb.interval_s >= x.t
else := "medium"

findings contains f if {
	some x in too_slow
	limit := lib.config.heartbeat_margin * x.t
	f := {
		"layer": x.layer.id,
		"setting": "idle_timeout",
		"severity": severity(x),
		"fix": {"kind": "application", "text": sprintf("Send the heartbeat at least every %v s (now every %v s), and declare the new interval: --heartbeat %vs", [ping_every(x.t), hb.interval_s, ping_every(x.t)])},
		"headline": sprintf("the heartbeat every %v s is too slow for its %v s idle timeout", [hb.interval_s, x.t]),
		"message": sprintf("%s closes idle WebSockets after %s and the heartbeat %s is above %v × that = %v s: %s", [
			lib.label(x.layer), lib.describe_seconds(x.layer.idle_timeout), hb_text,
			lib.config.heartbeat_margin, limit, consequence(x),
		]),
		"evidence": {
			"heartbeat": hb,
			"heartbeat_margin": lib.config.heartbeat_margin,
			"max_interval_s": limit,
			"idle_timeout": lib.evidence_setting(x.layer.idle_timeout),
		},
	}
}

# The slowest heartbeat that keeps a layer with idle timeout `t` alive with the margin.
ping_every(t) := max({1, floor(lib.config.heartbeat_margin * t)})

no_heartbeat_fix := {"kind": "application", "text": sprintf("Have the server send a WebSocket ping (or any message) at least every %v s on every connection (socket.io pingInterval, ws/uWebSockets ping, Action Cable beat), then declare it: --heartbeat %vs or heartbeat in wsaudit.toml", [ping_every(lib.effective_idle), ping_every(lib.effective_idle)])} if {
	lib.cutter
} else := {"kind": "application", "text": "Have the server send a WebSocket ping (or any message) every 25 s or less, then declare it: --heartbeat 25s or heartbeat in wsaudit.toml"}

no_heartbeat_headline := sprintf("no heartbeat: quiet WebSockets are cut after %v s", [lib.effective_idle]) if {
	lib.cutter
} else := "no heartbeat declared and no idle timeout known"
