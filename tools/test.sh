#!/usr/bin/env bash
# The single test command: installs what is missing, builds, and runs every
# suite plainly (build/), then the libraries' suites (-Dprograms=false: unit,
# integration, storage) under AddressSanitizer + UndefinedBehaviorSanitizer
# (build-asan/) and under ThreadSanitizer (build-tsan/), then fuzzes lib/iot's
# decoders with tools/fuzz.sh (build-fuzz/, FUZZ_SECONDS per target, 30 by
# default; each target counts as one test). SKIP_SANITIZERS=1 skips both
# sanitizer passes, SKIP_TSAN=1 only the ThreadSanitizer one, SKIP_FUZZ=1 the
# fuzzing; ASAN_PROGRAMS=1 builds and runs the programs' suites (e2e, faults)
# under ASan too. Prints how long each phase took. Works from any directory; exits
# non-zero on any failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash tools/setup.sh

passed=0
failed=0
skipped=0
status=0
failures=()  # "DIR: TEST" of each failed test, repeated at the end

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

# Build flags, measured on this 2-core machine (CPU seconds for one
# Asio-heavy test file; docs/performance.md, "Build time"):
# - line tables only (-g1): stack traces keep file and line, and full debug
#   information was 40% of the compile time (33 s against 20 s);
# - sanitizer builds at -O1, as the sanitizers' own documentation suggests;
# - UBSan without its null and alignment checks, which instrument every
#   pointer use and cost more than the rest of the pass together (53 s against
#   23 s at -O1; at -O2 with full debug information it was 118 s): ASan reports a null dereference itself, and x86 tolerates
#   misaligned access.
plain_options=(-Dcpp_args=-g1)
# - the sanitizer passes leave out the programs, which only wire the
#   libraries (where the threads, callbacks and buffers are): building and
#   running them under ASan took 9 of the 45 minutes of a fresh-clone run.
asan_programs=false
if [ "${ASAN_PROGRAMS:-0}" = 1 ]; then
  asan_programs=true
fi
asan_options=(-Db_sanitize=address,undefined -Db_lundef=false -Doptimization=1
  "-Dcpp_args=-g1 -fno-sanitize=alignment,null" "-Dprograms=$asan_programs")
tsan_options=(-Db_sanitize=thread -Db_lundef=false -Doptimization=1 -Dcpp_args=-g1
  -Dprograms=false)

timings=()
# phase NAME START: records how long the phase that began at START took.
phase() {
  local took=$((SECONDS - $2))
  timings+=("$1 $((took / 60))m$((took % 60))s")
  echo "=== $1 took $((took / 60))m$((took % 60))s"
}

# run_suites DIR [meson options...]: build DIR and run its tests.
run_suites() {
  local dir=$1
  shift
  local start=$SECONDS
  echo "=== $dir: configure and build"
  setup_dir "$dir" "$@"
  meson compile -C "$dir"
  phase "$dir build" "$start"
  start=$SECONDS
  echo "=== $dir: test"
  local log rc=0
  log=$(mktemp)
  meson test -C "$dir" --print-errorlogs ${TEST_ARGS:-} 2>&1 | tee "$log" || rc=$?
  phase "$dir tests" "$start"
  passed=$((passed + $(count Ok "$log")))
  failed=$((failed + $(count Fail "$log") + $(count 'Unexpected Pass' "$log") + $(count Timeout "$log")))
  skipped=$((skipped + $(count Skipped "$log")))
  # meson test's result lines: " 12/74 iot-nats:e2e / rest_api   FAIL   9.1s ..."
  local name
  while read -r name; do
    failures+=("$dir: $name")
  done < <(sed -n 's/^ *[0-9]*\/[0-9]* \(.*[^ ]\) *\(FAIL\|TIMEOUT\|UNEXPECTEDPASS\|ERROR\) .*/\1 \2/p' "$log")
  rm -f "$log"
  if [ "$rc" -ne 0 ]; then
    status=1
  fi
}

run_suites build "${plain_options[@]}"
if [ "${SKIP_SANITIZERS:-0}" != 1 ]; then
  lsan_options=${LSAN_OPTIONS:-}
  if [ -f tools/lsan.supp ]; then
    lsan_options="suppressions=$PWD/tools/lsan.supp:print_suppressions=0${lsan_options:+:$lsan_options}"
  fi
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    LSAN_OPTIONS=$lsan_options \
    run_suites build-asan "${asan_options[@]}"

  if [ "${SKIP_TSAN:-0}" != 1 ]; then
    tsan_env=${TSAN_OPTIONS:-}
    if [ -f tools/tsan.supp ]; then
      tsan_env="suppressions=$PWD/tools/tsan.supp${tsan_env:+:$tsan_env}"
    fi
    # A report fails the test (exit code 66) once the test has finished.
    TSAN_OPTIONS="second_deadlock_stack=1${tsan_env:+:$tsan_env}" \
      TEST_ARGS="--timeout-multiplier 3" \
      run_suites build-tsan "${tsan_options[@]}"
  fi
fi

if [ "${SKIP_FUZZ:-0}" != 1 ]; then
  start=$SECONDS
  log=$(mktemp)
  rc=0
  # 30 s per target here (fuzz.sh alone: 60): the whole run must stay well under
  # 45 minutes on a 2-core machine; longer fuzzing is a tool, not a test.
  FUZZ_SECONDS=${FUZZ_SECONDS:-30} bash tools/fuzz.sh 2>&1 | tee "$log" || rc=$?
  # fuzz.sh ends with "fuzz: N passed, N failed".
  summary=$(grep -E '^fuzz: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1 || true)
  while read -r name; do
    failures+=("fuzz: $name")
  done < <(sed -n 's/^\(fuzz_[a-z_]*\): \(FAIL\|failed\).*/\1/p' "$log")
  if [ -n "$summary" ]; then
    passed=$((passed + $(echo "$summary" | sed 's/^fuzz: \([0-9]*\) passed.*/\1/')))
    failed=$((failed + $(echo "$summary" | sed 's/.*, \([0-9]*\) failed$/\1/')))
  fi
  rm -f "$log"
  if [ "$rc" -ne 0 ]; then
    status=1
  fi
  phase fuzz "$start"
fi

for t in "${timings[@]}"; do
  echo "time: $t"
done
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1  # meson test failed without a countable test failure
fi
for f in "${failures[@]}"; do
  echo "failed: $f"
done
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit "$status"
