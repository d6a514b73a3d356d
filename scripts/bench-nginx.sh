#!/usr/bin/env bash
# Benchmark (not a test): parse + audit of every WebSocket location on generated trees, against
# `crossplane parse` on the same trees, wall time and peak memory from /usr/bin/time -v.
# The trees come from the project's own generator (examples/gen_nginx_corpus.rs over
# tests/it/support/nginx_corpus.rs): the same server count always gives the same config text.
#   scripts/bench-nginx.sh [SERVERS...]      (default: 10000 50000)
# Needs crossplane (WSAUDIT_CROSSPLANE_BIN or on PATH) and GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 50000)
cp_bin="${WSAUDIT_CROSSPLANE_BIN:-$(command -v crossplane || true)}"
[ -x "$cp_bin" ] || { echo "crossplane not found (set WSAUDIT_CROSSPLANE_BIN)" >&2; exit 2; }
cargo build --release --bin wsaudit --example nginx_audit >/dev/null
cargo build --release --example gen_nginx_corpus >/dev/null
out="${CARGO_TARGET_DIR:-target}/release"   # where cargo put the binaries
gen=$out/examples/gen_nginx_corpus
bin=$out/examples/nginx_audit
cli=$out/wsaudit
work="${WSAUDIT_BENCH_DIR:-target/bench-nginx}"
mkdir -p "$work"

measure() { # prints "seconds maxrss_kb"
  # wsaudit exits 1 when it has findings: a result, not a failed run.
  /usr/bin/time -v "$@" 2>"$work/time.txt" >"$work/out.txt" || true
  awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; w=s}
              /Maximum resident set size/ {m=$2} END {print w, m}' "$work/time.txt"
}

printf '%-8s %-28s %-10s %-10s %-8s %-8s\n' servers what seconds MiB time_x mem_x
for n in "${sizes[@]}"; do
  dir="$work/gen-c$n"   # gen-: trees of the project's generator, not an older one
  [ -f "$dir/nginx.conf" ] || "$gen" --servers "$n" --out "$dir" >/dev/null
  read -r cs cm < <(measure "$cp_bin" parse "$dir/nginx.conf")
  best_s=999999; best_m=0
  for _ in 1 2 3; do
    read -r ws wm < <(measure "$bin" "$dir/nginx.conf")
    if awk "BEGIN{exit !($ws < $best_s)}"; then best_s=$ws; best_m=$wm; fi
  done
  summary=$(cat "$work/out.txt")
  read -r js jm < <(measure "$bin" "$dir/nginx.conf" --judge)
  judged=$(cat "$work/out.txt")
  # What a user runs: the binary, every WebSocket location judged, the JSON report written.
  # It exits 1 (findings at or above --fail-on), which is not a failure here.
  best_c=999999; best_cm=0
  for _ in 1 2 3; do
    read -r c cmem < <(measure "$cli" nginx "$dir/nginx.conf" --nginx-version 1.24.0 \
      --format json -o "$work/report.json")
    if awk "BEGIN{exit !($c < $best_c)}"; then best_c=$c; best_cm=$cmem; fi
  done
  printf '%-8s %-28s %-10s %-10s\n' "$n" "crossplane parse" "$cs" "$((cm / 1024))"
  printf '%-8s %-28s %-10s %-10s %-8s %-8s\n' "$n" "wsaudit parse+layers" "$best_s" "$((best_m / 1024))" \
    "$(awk "BEGIN{printf \"%.1f\", $cs/$best_s}")" "$(awk "BEGIN{printf \"%.2f\", $best_m/$cm}")"
  printf '%-8s %-28s %-10s %-10s\n' "$n" "wsaudit + rule pack" "$js" "$((jm / 1024))"
  printf '%-8s %-28s %-10s %-10s %-8s %-8s\n' "$n" "wsaudit nginx (JSON report)" "$best_c" "$((best_cm / 1024))" \
    "$(awk "BEGIN{printf \"%.1f\", $cs/$best_c}")" "$(awk "BEGIN{printf \"%.2f\", $best_cm/$cm}")"
  echo "         ($summary)"
  echo "         (judged: $judged)"
done
