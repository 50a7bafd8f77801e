#!/usr/bin/env bash
# Fuzzes the decoders of lib/iot with libFuzzer: configures build-fuzz/ with
# clang (-Dfuzz=true: lib/iot and tests/fuzz/ only, under ASan+UBSan), builds,
# and runs each target for FUZZ_SECONDS (60) on a scratch copy of its corpus
# (tests/fuzz/corpus/<target>/; what the run adds stays in the copy). A crash,
# a leak, a timeout or a violated invariant fails the target; its input is
# kept in build-fuzz/artifacts/<target>/. Prints one line per target, then
# "fuzz: N passed, N failed"; exits non-zero when any target failed.
#   tools/fuzz.sh [target...]      targets: command measurement duration config
# Replay a saved input: build-fuzz/tests/fuzz/fuzz_<target> <file>
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=${FUZZ_SECONDS:-60}
dir=build-fuzz
all=(command measurement duration config)
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=("${all[@]}")
fi
for t in "${targets[@]}"; do
  if [ ! -d "tests/fuzz/corpus/$t" ]; then
    echo "fuzz: unknown target $t (known: ${all[*]})" >&2
    exit 2
  fi
done

bash tools/setup.sh

echo "=== $dir: configure and build"
if [ -f "$dir/meson-private/coredata.dat" ]; then
  meson setup --reconfigure "$dir" -Dfuzz=true
else
  CXX=clang++ meson setup "$dir" -Dfuzz=true
fi
meson compile -C "$dir"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

passed=0
failed=0
for t in "${targets[@]}"; do
  corpus="$scratch/$t"
  artifacts="$dir/artifacts/$t"
  log="$scratch/$t.log"
  mkdir -p "$corpus" "$artifacts"
  cp -R "tests/fuzz/corpus/$t/." "$corpus/"
  dict=()
  if [ -f "tests/fuzz/$t.dict" ]; then
    dict=(-dict="tests/fuzz/$t.dict")
  fi
  echo "=== fuzz_$t: ${seconds} s"
  rc=0
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$dir/tests/fuzz/fuzz_$t" "${dict[@]}" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" \
    >"$log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units:[[:space:]]*//p' "$log" | tail -n 1)
  if [ "$rc" -eq 0 ]; then
    passed=$((passed + 1))
    echo "fuzz_$t: ok, ${runs:-?} executions in ${seconds} s"
  else
    failed=$((failed + 1))
    tail -n 60 "$log" >&2
    echo "fuzz_$t: FAILED (exit $rc) after ${runs:-?} executions; inputs kept in $artifacts/"
  fi
done

echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
