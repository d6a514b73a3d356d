# HAProxy from Debian's packages: the probe tests put a real HAProxy (a hop wsaudit has no
# provider for) in front of nginx on loopback and measure its `timeout tunnel`. Exports
# WSAUDIT_HAPROXY_BIN.
if ! command -v haproxy >/dev/null 2>&1 && [ ! -x /usr/sbin/haproxy ]; then
  echo "installing haproxy (Debian package)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends haproxy >/dev/null
  # The package starts a system HAProxy; the tests run their own on free ports.
  (command -v systemctl >/dev/null && systemctl stop haproxy 2>/dev/null) || true
  (command -v service >/dev/null && service haproxy stop >/dev/null 2>&1) || true
fi
WSAUDIT_HAPROXY_BIN="$(command -v haproxy || echo /usr/sbin/haproxy)"
export WSAUDIT_HAPROXY_BIN
# sed reads to the end: `head` exiting first would SIGPIPE haproxy and, under pipefail, the
# whole test command (exit 141).
"$WSAUDIT_HAPROXY_BIN" -v | sed -n 1p
