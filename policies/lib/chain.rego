# Helpers shared by the rule pack: reading settings, the effective idle timeout, wording.
package wsaudit.lib

import rego.v1

# A setting whose value is known (explicit, default, assumed or probed).
known(s) if s.value != null

# "60 s (default)", "3600 s (nginx.conf:12)", "100 s (assumed)".
describe_seconds(s) := sprintf("%v s (%s)", [s.value, origin_text(s.origin)])

describe_value(s) := sprintf("%v (%s)", [s.value, origin_text(s.origin)])

origin_text(o) := sprintf("%s:%v", [o.locator, o.line]) if {
	o.kind == "explicit"
	o.line
} else := o.locator if {
	o.kind == "explicit"
} else := "default" if {
	o.kind == "default"
} else := "assumed, not published" if {
	o.kind == "assumed"
} else := "measured" if {
	o.kind == "probed"
} else := "unknown"

label(layer) := sprintf("%s (%s)", [layer.name, layer.provider])

# Layers with a known idle timeout, outermost first, with their position.
idle_layers := [{"pos": i, "layer": l, "t": l.idle_timeout.value} |
	some i, l in input.layers
	l.idle_timeout.value != null
]

# The chain's effective idle timeout: the shortest known one.
effective_idle := min({x.t | some x in idle_layers})

# The layer that cuts an idle WebSocket first (the outermost of equals).
cutter := [x | some x in idle_layers; x.t == effective_idle][0]

# What resets a layer's idle timer; unknown means "either direction" (the common case).
reset_by(layer) := layer.idle_reset_by.value if layer.idle_reset_by.value != null
else := "either"

config := data.wsaudit.config

evidence_setting(s) := {"value": s.value, "origin": s.origin}
