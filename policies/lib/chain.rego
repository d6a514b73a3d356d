# Helpers shared by the rule pack: reading settings, the effective idle timeout, wording.
#
# Every helper here must stay total over any valid chain: an empty `layers` list, a chain with
# no known timeout, no heartbeat or no probe makes a helper undefined, never an error, and no
# helper has two bodies that can produce different values (a conflict is an evaluation error).
package wsaudit.lib

import rego.v1

# "60 s (default)", "3600 s (nginx.conf:12)", "100 s (assumed, not published)".
describe_seconds(s) := sprintf("%v s (%s)", [s.value, origin_text(s.origin)])

# Where a value comes from, in a few words: the file and line, the resource and its field,
# or the kind of origin.
origin_text(o) := sprintf("%s:%v", [o.locator, o.line]) if {
	o.kind == "explicit"
	is_number(o.line)
} else := sprintf("%s %s", [o.locator, o.field]) if {
	o.kind == "explicit"
	is_string(o.field)
} else := o.locator if {
	o.kind == "explicit"
} else := "default" if {
	o.kind == "default"
} else := "assumed, not published" if {
	o.kind == "assumed"
} else := "measured" if {
	o.kind == "probed"
} else := "measured in access logs" if {
	o.kind == "logged"
} else := "unknown"

label(layer) := sprintf("%s (%s)", [title(layer), layer.provider])

# The layer's name with the rewrite that led the request to it, in the words the reports use
# (report::layer_title): a finding on /cable/x must show it is judged as location /socket/.
title(layer) := concat("", array.concat([layer.name], route_notes(layer)))

# A comprehension, not `else := ""`: regorus' VM leaves a function undefined when its body
# reads a missing field, where the interpreter takes the else.
route_notes(layer) := [sprintf(p[1], [at.file, at.line]) |
	some p in [
		["reached_by_rewrite", " (reached by the rewrite at %s:%v)"],
		["reached_by_fallback", " (reached by the fallback at %s:%v)"],
		["rewrite_not_followed", " (the rewrite at %s:%v depends on request data and is not followed)"],
	]
	at := object.get(layer, p[0], null)
	at != null
]

# Whether a layer passes the handshake on to a next hop. A layer that answers the handshake
# itself (`proxies` false: an nginx `return`, a static file) has no next hop, so no rule about
# forwarding, the upstream protocol, buffering, upstream timeouts or a proxy's logs applies to
# it; an unknown `proxies` reads as "it does", as every layer did before the field existed.
passes_on(layer) if not layer.proxies.value == false

# The layers a WebSocket could be carried through.
hops := [l | some l in input.layers; passes_on(l)]

# Layers with a known idle timeout, outermost first, with their position.
idle_layers := [{"pos": i, "layer": l, "t": l.idle_timeout.value} |
	some i, l in input.layers
	passes_on(l)
	l.idle_timeout.value != null
]

# The chain's effective idle timeout: the shortest known one (undefined when none is known).
effective_idle := min({x.t | some x in idle_layers})

# The layer that cuts an idle WebSocket first (the outermost of equals).
cutter := [x | some x in idle_layers; x.t == effective_idle][0]

# What resets a layer's idle timer; unknown means "either direction" (the common case).
reset_by(layer) := layer.idle_reset_by.value if layer.idle_reset_by.value != null
else := "either"

# Whether traffic in heartbeat direction `dir` resets `layer`'s idle timer. A heartbeat in
# both directions (a protocol ping answered by a pong) resets every layer.
heartbeat_resets(layer, dir) if dir == "both"

heartbeat_resets(layer, _) if reset_by(layer) == "either"

heartbeat_resets(layer, dir) if reset_by(layer) == dir

# The heartbeat the chain declares; failing that, the server pings a live probe observed
# (server-originated, so server_to_client). Undefined when there is neither.
heartbeat := input.heartbeat if {
	input.heartbeat != null
} else := {
	"interval_s": input.probe.heartbeat.server_ping_interval_s,
	"direction": "server_to_client",
	"source": "probed",
} if {
	input.probe.heartbeat.server_ping_interval_s != null
}

# Whether the heartbeat keeps this layer's idle timer from running out: it flows in a direction
# the layer counts and comes at most `heartbeat_margin` of its idle timeout apart (WS202's test).
heartbeat_keeps_alive(x) if {
	heartbeat_resets(x.layer, heartbeat.direction)
	heartbeat.interval_s <= config.heartbeat_margin * x.t
}

# A heartbeat keeps every layer with a known idle timeout alive: no idle timer in the chain ever
# runs out, so a mismatch between them (WS401, WS402) is a dead setting, not an outage.
heartbeat_covers_every_layer if {
	heartbeat
	count(idle_layers) > 0
	count([x | some x in idle_layers; not heartbeat_keeps_alive(x)]) == 0
}

# "every 25 s (origin→client, declared)": the heartbeat in the words findings use.
heartbeat_text := sprintf("every %v s (%s, %s)", [heartbeat.interval_s, direction_text(heartbeat.direction), heartbeat.source])

# "origin→client" for the wording of directions (a heartbeat's or an idle timer's).
direction_text(d) := "origin→client" if d == "server_to_client"
else := "client→origin" if d == "client_to_server"
else := "both directions" if d == "both"
else := "either direction"

# A string setting's value lower-cased and trimmed; undefined when unknown.
norm(s) := lower(trim_space(s.value)) if is_string(s.value)

# Whether a list of names from wsaudit.toml names this layer (by id, name or locator).
names_layer(list, layer) if layer.id in list

names_layer(list, layer) if layer.name in list

names_layer(list, layer) if {
	is_string(layer.locator)
	layer.locator in list
}

config := data.wsaudit.config

evidence_setting(s) := {"value": s.value, "origin": s.origin}
