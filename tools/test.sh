#!/usr/bin/env bash
# The single test command: installs what is missing, builds, and runs every
# suite, once plainly (build/) and once under AddressSanitizer +
# UndefinedBehaviorSanitizer (build-asan/), then fuzzes lib/iot's decoders with
# tools/fuzz.sh (build-fuzz/, FUZZ_SECONDS per target, 60 by default; each
# target counts as one test). SKIP_SANITIZERS=1 skips the sanitizer pass,
# SKIP_FUZZ=1 the fuzzing. Works from any directory; exits non-zero on any
# failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash tools/setup.sh

passed=0
failed=0
skipped=0
status=0

# setup_dir DIR [meson options...]: configures DIR, or reconfigures it.
setup_dir() {
  local dir=$1
  shift
  if [ -f "$dir/meson-private/coredata.dat" ]; then
    meson setup --reconfigure "$dir" "$@"
  else
    meson setup "$dir" "$@"
  fi
}

# count LABEL LOG: the number on meson test's "LABEL: N" summary line.
count() {
  sed -n "s/^$1:[[:space:]]*\([0-9][0-9]*\).*/\1/p" "$2" | tail -n 1 | grep . || echo 0
}

# run_suites DIR [meson options...]: build DIR and run its tests.
run_suites() {
  local dir=$1
  shift
  echo "=== $dir: configure and build"
  setup_dir "$dir" "$@"
  meson compile -C "$dir"
  echo "=== $dir: test"
  local log rc=0
  log=$(mktemp)
  meson test -C "$dir" --print-errorlogs 2>&1 | tee "$log" || rc=$?
  passed=$((passed + $(count Ok "$log")))
  failed=$((failed + $(count Fail "$log") + $(count 'Unexpected Pass' "$log") + $(count Timeout "$log")))
  skipped=$((skipped + $(count Skipped "$log")))
  rm -f "$log"
  if [ "$rc" -ne 0 ]; then
    status=1
  fi
}

run_suites build
if [ "${SKIP_SANITIZERS:-0}" != 1 ]; then
  lsan_options=${LSAN_OPTIONS:-}
  if [ -f tools/lsan.supp ]; then
    lsan_options="suppressions=$PWD/tools/lsan.supp:print_suppressions=0${lsan_options:+:$lsan_options}"
  fi
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    LSAN_OPTIONS=$lsan_options \
    run_suites build-asan -Db_sanitize=address,undefined -Db_lundef=false
fi

if [ "${SKIP_FUZZ:-0}" != 1 ]; then
  log=$(mktemp)
  rc=0
  bash tools/fuzz.sh 2>&1 | tee "$log" || rc=$?
  # fuzz.sh ends with "fuzz: N passed, N failed".
  summary=$(grep -E '^fuzz: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1 || true)
  if [ -n "$summary" ]; then
    passed=$((passed + $(echo "$summary" | sed 's/^fuzz: \([0-9]*\) passed.*/\1/')))
    failed=$((failed + $(echo "$summary" | sed 's/.*, \([0-9]*\) failed$/\1/')))
  fi
  rm -f "$log"
  if [ "$rc" -ne 0 ]; then
    status=1
  fi
fi

if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1  # meson test failed without a countable test failure
fi
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit "$status"
