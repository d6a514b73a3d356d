# GoAccess from Debian's packages: the anchor scripts/bench-logs.sh measures `wsaudit logs`
# against on the same generated nginx log. Exports WSAUDIT_GOACCESS_BIN.
if ! command -v goaccess >/dev/null 2>&1; then
  echo "installing goaccess (Debian package)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends goaccess >/dev/null
fi
WSAUDIT_GOACCESS_BIN="$(command -v goaccess)"
export WSAUDIT_GOACCESS_BIN
"$WSAUDIT_GOACCESS_BIN" --version | head -n 1
