#!/usr/bin/env bash
# Fuzzes the nginx reader for a bounded time: scripts/fuzz-nginx.sh [SECONDS] (default 60).
# Needs the nightly toolchain (libFuzzer instrumentation); installs cargo-fuzz if missing.
# Seeds the corpus with the test fixtures so the fuzzer starts from real configurations.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-60}"
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz"
  cargo install --locked cargo-fuzz
fi
mkdir -p fuzz/corpus/nginx_reader
i=0
for f in $(find tests/fixtures -name '*.conf'); do
  cp "$f" "fuzz/corpus/nginx_reader/seed-$i.conf"; i=$((i + 1))
done
cargo +nightly fuzz run nginx_reader fuzz/corpus/nginx_reader -- -max_total_time="$secs" -max_len=4096
