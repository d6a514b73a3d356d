#!/usr/bin/env bash
# The one test command (README "Testing"). On a fresh machine it installs what the tests need,
# starts the services they talk to on free loopback ports, runs the whole suite, and stops the
# services again. Each scripts/setup/*.sh is sourced in order: it installs its tool if missing,
# starts its service if it has one (writing a pid file to $WSAUDIT_TEST_STATE) and exports the
# variables the tests read.
set -euo pipefail
cd "$(dirname "$0")/.."

export WSAUDIT_TEST_STATE="$PWD/target/test-services"
rm -rf "$WSAUDIT_TEST_STATE"
mkdir -p "$WSAUDIT_TEST_STATE"

stop_services() {
  for pidfile in "$WSAUDIT_TEST_STATE"/*.pid; do
    [ -f "$pidfile" ] || continue
    kill "$(cat "$pidfile")" 2>/dev/null || true
  done
}
trap stop_services EXIT

for setup in scripts/setup/*.sh; do
  [ -e "$setup" ] || continue
  echo "== setup: $setup (at ${SECONDS} s)"
  # shellcheck source=/dev/null
  source "$setup"
done

echo "== cargo test (at ${SECONDS} s; the build's timings: target/cargo-timings/cargo-timing.html)"
cargo test --locked --all-targets --no-fail-fast --timings "$@" 2>&1 | tee "$WSAUDIT_TEST_STATE/cargo-test.log"
# One closing line over every test binary (the last binary cargo runs may have no tests).
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' \
  "$WSAUDIT_TEST_STATE/cargo-test.log"
echo "== done in ${SECONDS} s"
