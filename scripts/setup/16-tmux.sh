# tmux from Debian's packages: the terminal golden tests run wsaudit in a real terminal of a
# fixed size (80 and 120 columns) and capture what a person would see. Exports
# WSAUDIT_TMUX_BIN.
if ! command -v tmux >/dev/null 2>&1; then
  echo "installing tmux (Debian package)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends tmux >/dev/null
fi
WSAUDIT_TMUX_BIN="$(command -v tmux)"
export WSAUDIT_TMUX_BIN
"$WSAUDIT_TMUX_BIN" -V
