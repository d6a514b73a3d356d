# Caddy from Debian's packages: the Caddy tests adapt a Caddyfile with `caddy adapt`, and a
# live test reloads a real Caddy under an open WebSocket. Exports WSAUDIT_CADDY_BIN.
if ! command -v caddy >/dev/null 2>&1; then
  echo "installing caddy (Debian package)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends caddy >/dev/null
  # The package starts a system Caddy on :80; the tests run their own on free ports.
  (command -v systemctl >/dev/null && systemctl stop caddy 2>/dev/null) || true
  (command -v service >/dev/null && service caddy stop >/dev/null 2>&1) || true
  pkill -x caddy 2>/dev/null || true
fi
WSAUDIT_CADDY_BIN="$(command -v caddy)"
export WSAUDIT_CADDY_BIN
"$WSAUDIT_CADDY_BIN" version
