#!/usr/bin/env bash
# Benchmark (not a test): `wsaudit logs` against GoAccess on the same generated nginx access
# log, side by side in one run: wall time, lines per second and peak RSS (GNU time), at each
# size given (default 1M and 10M lines, to show memory does not grow with the input).
# The log comes from examples/gen_nginx_log.rs (combined plus request time, upstream and
# Upgrade: GoAccess reads it as COMBINED); wsaudit reads the same lines in that log_format,
# given through a one-line nginx configuration as a user would.
#   scripts/bench-logs.sh [LINES...]
# Needs goaccess (scripts/setup/40-goaccess.sh; WSAUDIT_GOACCESS_BIN) and GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000000 10000000)
ga="${WSAUDIT_GOACCESS_BIN:-$(command -v goaccess || true)}"
[ -x "$ga" ] || { echo "goaccess not found (run scripts/setup/40-goaccess.sh)" >&2; exit 2; }
cargo build --release --bin wsaudit --example gen_nginx_log >/dev/null
out="${CARGO_TARGET_DIR:-target}/release"
gen=$out/examples/gen_nginx_log
cli=$out/wsaudit
work="${WSAUDIT_BENCH_DIR:-target/bench-logs}"
mkdir -p "$work"
cat >"$work/nginx.conf" <<'CONF'
events {}
http {
  log_format ws '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
                '"$http_referer" "$http_user_agent" rt=$request_time ua="$upstream_addr" up="$http_upgrade"';
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  server {
    listen 80;
    location / {
      proxy_pass http://127.0.0.1:8080;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      access_log access.log ws;
    }
  }
}
CONF

measure() { # prints "seconds maxrss_kb"
  # wsaudit exits 1 when it has findings: a result, not a failed run.
  /usr/bin/time -v "$@" 2>"$work/time.txt" >"$work/out.txt" || true
  awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; w=s}
              /Maximum resident set size/ {m=$2} END {print w, m}' "$work/time.txt"
}

echo "cores: $(nproc)"
printf '%-10s %-34s %-9s %-12s %-8s %-8s\n' lines what seconds lines/s MiB speedup
for n in "${sizes[@]}"; do
  # Named as the configuration's access_log names it, so the location that writes it is the
  # layer a peak is matched to.
  mkdir -p "$work/$n"
  log="$work/$n/access.log"
  [ -f "$log" ] || "$gen" "$n" "$log"
  read -r gs gm < <(measure "$ga" "$log" --log-format=COMBINED -o "$work/goaccess-$n.json")
  best=999999; best_m=0
  for _ in 1 2 3; do
    read -r ws wm < <(measure "$cli" logs "$log" --nginx-conf "$work/nginx.conf" --nginx-log-format ws \
      --format json -o "$work/wsaudit-$n.json")
    if awk "BEGIN{exit !($ws < $best)}"; then best=$ws; best_m=$wm; fi
  done
  printf '%-10s %-34s %-9s %-12s %-8s\n' "$n" "goaccess --log-format=COMBINED" "$gs" \
    "$(awk "BEGIN{printf \"%.0f\", $n/$gs}")" "$((gm / 1024))"
  printf '%-10s %-34s %-9s %-12s %-8s %-8s\n' "$n" "wsaudit logs (judged, JSON)" "$best" \
    "$(awk "BEGIN{printf \"%.0f\", $n/$best}")" "$((best_m / 1024))" "$(awk "BEGIN{printf \"%.1fx\", $gs/$best}")"
  python3 - "$work/wsaudit-$n.json" <<'PY' || true
import json, sys
r = json.load(open(sys.argv[1]))
l = r["chain"]["logs"]
print("           wsaudit: %d lines, %d malformed, ratio %s, peaks %s, findings %s" % (
    l["lines"], l["malformed"], l["upgrades"].get("ratio"),
    [p["at_s"] for p in l["peaks"]], sorted({f["rule"] for f in r["findings"]})))
PY
done
