#!/usr/bin/env bash
# Benchmark (not a test): `wsaudit scan` of ~1,000 targets (declared and discovered) against
# `wsaudit chain` run once per target over the same targets, side by side in one run, both on
# a fresh AWS emulator (moto_server) holding two accounts x three regions (54 load balancers
# with 540 host/path rules, 12 CloudFront distributions, 200 Route 53 records; built by
# scripts/bench/scan_fixture.py), a loopback Cloudflare API of 3 zones x 110 proxied records
# in front of them (scripts/bench/cloudflare_api.py) and an nginx configuration of 150
# WebSocket servers.
# Prints wall times, the speedup and the scan's API calls per service.
#   scripts/bench-scan.sh            # every target through `chain` (several minutes)
#   WSAUDIT_BENCH_CHAINS=200 scripts/bench-scan.sh   # the first 200, extrapolated
# Needs the venv of scripts/setup/20-python-tools.sh (moto, boto3).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
venv="${WSAUDIT_VENV:-target/pyenv}"
[ -x "$venv/bin/moto_server" ] || { echo "moto_server not found (run scripts/setup/20-python-tools.sh)" >&2; exit 2; }
cargo build --release --bin wsaudit >/dev/null
cli="$PWD/${CARGO_TARGET_DIR:-target}/release/wsaudit"
work="${WSAUDIT_BENCH_DIR:-target/bench-scan}"
rm -rf "$work"; mkdir -p "$work"
work="$(cd "$work" && pwd)"; venv="$(cd "$venv" && pwd)"
export WSAUDIT_TEST_STATE="$work" WSAUDIT_VENV="$venv"
# shellcheck source=setup/30-moto.sh
source scripts/setup/30-moto.sh
trap 'kill "$(cat "$work/moto.pid")" 2>/dev/null || true' EXIT
"$venv/bin/python" scripts/bench/scan_fixture.py "$WSAUDIT_MOTO_URL" "$work/estate"
cd "$work/estate"
cf_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$venv/bin/python" "$root/scripts/bench/cloudflare_api.py" "$cf_port" lb-dns.txt &
cf_pid=$!
trap 'kill "$(cat "$work/moto.pid")" "$cf_pid" 2>/dev/null || true' EXIT
export CF_TOKEN_BENCH=bench-token CLOUDFLARE_API_TOKEN=bench-token \
  WSAUDIT_CLOUDFLARE_API_URL="http://127.0.0.1:$cf_port/client/v4"
for _ in $(seq 1 100); do
  curl -sf "$WSAUDIT_CLOUDFLARE_API_URL/user/tokens/verify" >/dev/null && break
  sleep 0.1
done
export AWS_CONFIG_FILE="$PWD/aws-config" AWS_SHARED_CREDENTIALS_FILE="$PWD/aws-credentials" \
  AWS_PROFILE=base AWS_ENDPOINT_URL="$WSAUDIT_MOTO_URL" AWS_EC2_METADATA_DISABLED=true
now() { date +%s.%N; }

t0=$(now)
# The scan reads Cloudflare through CF_TOKEN_BENCH ([[cloudflare.account]]); `chain` through
# CLOUDFLARE_API_TOKEN, the same token.
env -u CLOUDFLARE_API_TOKEN "$cli" scan --format json -o scan.json --no-progress 2>scan.err || true
t1=$(now)
scan_s=$(echo "$t1 - $t0" | bc)
targets=$(python3 -c "import json; print(json.load(open('scan.json'))['scan']['summary']['targets'])")
calls=$(python3 -c "import json; c=json.load(open('scan.json'))['scan']['api_calls']; print(', '.join(f'{k} {v}' for k,v in sorted(c.items())), '(total', sum(c.values()), end=')')")

n_all=$(wc -l <chains.tsv)
n=${WSAUDIT_BENCH_CHAINS:-$n_all}
one_chain() { # id profile flags...
  local id=$1 profile=$2; shift 2
  local domain=${id%%/*} path=/${id#*/}
  if [ -n "$profile" ]; then
    AWS_PROFILE=$profile "$cli" chain --domain "$domain" --path "$path" --no-nginx "$@" -q --format json >/dev/null || true
  else
    AWS_PROFILE=a0 "$cli" chain --domain "$domain" --path "$path" "$@" -q --format json >/dev/null || true
  fi
}
export -f one_chain; export cli
t2=$(now)
# The same cores the scan had: one chain per core at a time.
head -n "$n" chains.tsv | tr '\t' '\n' | xargs -d '\n' -n 3 -P "$(nproc)" \
  bash -c 'one_chain "$1" "$2" $3' _
t3=$(now)
chain_s=$(echo "$t3 - $t2" | bc)
chain_all_s=$(echo "$chain_s * $n_all / $n" | bc -l)

echo "cores: $(nproc)"
printf '%-44s %8s %10s\n' what targets seconds
printf '%-44s %8s %10.2f\n' "wsaudit scan (one inventory, ${targets} targets)" "$targets" "$scan_s"
printf '%-44s %8s %10.2f\n' "wsaudit chain once per target ($n run)" "$n" "$chain_s"
if [ "$n" != "$n_all" ]; then
  printf '%-44s %8s %10.2f\n' "  extrapolated to every target" "$n_all" "$chain_all_s"
fi
printf 'speedup: %.1fx\n' "$(echo "$chain_all_s / $scan_s" | bc -l)"
echo "scan API calls: $calls"
