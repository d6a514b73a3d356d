# A Python venv under target/ with the AWS API emulator (moto_server) and crossplane, the
# nginx parser the differential tests compare against. Exports WSAUDIT_VENV.
WSAUDIT_VENV="$PWD/target/pyenv"
if [ ! -x "$WSAUDIT_VENV/bin/moto_server" ] || [ ! -x "$WSAUDIT_VENV/bin/crossplane" ]; then
  echo "creating $WSAUDIT_VENV with moto[server] and crossplane"
  python3 -m venv "$WSAUDIT_VENV"
  "$WSAUDIT_VENV/bin/pip" install -q --disable-pip-version-check "moto[server]>=5.1,<6" "crossplane==0.5.8"
fi
export WSAUDIT_VENV
export WSAUDIT_CROSSPLANE_BIN="$WSAUDIT_VENV/bin/crossplane"
