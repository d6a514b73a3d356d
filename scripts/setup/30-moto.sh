# Starts moto_server (the AWS API emulator) on a free loopback port for the AWS tests, and waits
# until it answers. Exports WSAUDIT_MOTO_URL.
moto_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$WSAUDIT_VENV/bin/moto_server" -H 127.0.0.1 -p "$moto_port" >"$WSAUDIT_TEST_STATE/moto.log" 2>&1 &
echo $! >"$WSAUDIT_TEST_STATE/moto.pid"
export WSAUDIT_MOTO_URL="http://127.0.0.1:$moto_port"
for _ in $(seq 1 300); do
  if python3 -c "import urllib.request,sys; urllib.request.urlopen('$WSAUDIT_MOTO_URL/moto-api/', timeout=1)" 2>/dev/null; then
    break
  fi
  sleep 0.1
done
python3 -c "import urllib.request; urllib.request.urlopen('$WSAUDIT_MOTO_URL/moto-api/', timeout=2)" \
  || { echo "moto_server did not start:"; cat "$WSAUDIT_TEST_STATE/moto.log"; exit 1; }
echo "moto_server at $WSAUDIT_MOTO_URL"
