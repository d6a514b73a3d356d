# nginx from Debian's packages: `nginx -t` checks every fixture, and the probe and nginx tests
# run a real nginx on loopback. Exports WSAUDIT_NGINX_BIN.
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  echo "installing nginx (Debian package)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends nginx-light >/dev/null 2>&1 \
    || apt-get install -y -qq --no-install-recommends nginx >/dev/null
  # The package starts a system nginx on port 80; the tests run their own on free ports.
  (command -v systemctl >/dev/null && systemctl stop nginx 2>/dev/null) || true
  pkill -x nginx 2>/dev/null || true
fi
WSAUDIT_NGINX_BIN="$(command -v nginx || echo /usr/sbin/nginx)"
export WSAUDIT_NGINX_BIN
"$WSAUDIT_NGINX_BIN" -v
