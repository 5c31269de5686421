#!/usr/bin/env bash
# The checks beyond the test suite, run by scripts/test.sh after ctest (so by CI):
#
#   fuzz  clang + libFuzzer + ASan/UBSan (build-fuzz): each tests/fuzz target runs
#         for SWITCHBOARD_FUZZ_SECONDS (default 20) on a copy of its corpus.
#   asan  the unit, server and integration tests built with
#         SWITCHBOARD_SANITIZE=address,undefined (build-asan).
#   tsan  the concurrent tests built with SWITCHBOARD_SANITIZE=thread (build-tsan):
#         the store tests, Evaluation's thread-safety test and the server
#         integration tests (the switchboard binary they start is built with TSan).
#
# Usage: scripts/ci-extra.sh [fuzz] [asan] [tsan]     (no argument: all three)
# Environment: SWITCHBOARD_FUZZ_SECONDS (per target), SWITCHBOARD_CI_JOBS (default
# nproc). Fails on the first part that fails; a fuzzer's crash input is kept in
# build-fuzz/artifacts/. Installs clang and the sanitizer runtimes when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

parts=("$@")
((${#parts[@]})) || parts=(fuzz asan tsan)
njobs="${SWITCHBOARD_CI_JOBS:-$(nproc)}"
fuzz_seconds="${SWITCHBOARD_FUZZ_SECONDS:-20}"

bash scripts/deps.sh clang libclang-rt-14-dev llvm

export CC=clang CXX=clang++
# Symbolized stacks; undefined behaviour is fatal (also compiled so).
export ASAN_SYMBOLIZER_PATH="${ASAN_SYMBOLIZER_PATH:-$(command -v llvm-symbolizer || true)}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}"

# ThreadSanitizer (LLVM 14) cannot map its shadow memory on kernels with a high
# mmap randomization (vm.mmap_rnd_bits > 28): run its binaries without ASLR.
no_aslr=()
if setarch "$(uname -m)" -R true 2>/dev/null; then no_aslr=(setarch "$(uname -m)" -R); fi

stamp() { date +%s; }
report() { echo "ci-extra: $1 took $(($(stamp) - $2)) s" >&2; }

run_fuzz() {
  local t0 t1 targets=(fuzz_event fuzz_rules fuzz_template fuzz_signature fuzz_webhook)
  t0=$(stamp)
  cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSWITCHBOARD_BUILD_FUZZERS=ON -DSWITCHBOARD_SANITIZE=address,undefined \
    -DSWITCHBOARD_BUILD_TESTS=OFF -DSWITCHBOARD_BUILD_BENCHMARKS=OFF \
    -DSWITCHBOARD_BUILD_EXAMPLES=OFF -DSWITCHBOARD_INSTALL=OFF >/dev/null
  cmake --build build-fuzz -j "$njobs" --target "${targets[@]}"
  report "fuzz build" "$t0"
  t1=$(stamp)
  rm -rf build-fuzz/run && mkdir -p build-fuzz/run build-fuzz/artifacts
  local failed=0
  for t in "${targets[@]}"; do
    # A fresh copy of the corpus: the committed one stays small.
    cp -r "tests/fuzz/corpus/$t" "build-fuzz/run/$t"
    local extra_flags=()
    # The webhook handler logs every refused request on stderr.
    [[ $t == fuzz_webhook ]] && extra_flags+=(-close_fd_mask=2)
    (
      cd build-fuzz/run
      rc=0
      TMPDIR="$PWD" "../tests/fuzz/$t" "$t" \
        -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 -timeout=10 \
        -artifact_prefix="../artifacts/$t-" -print_final_stats=1 "${extra_flags[@]}" \
        >"$t.log" 2>&1 || rc=$?
      echo "$rc" >"$t.rc"
    ) &
    # At most $njobs fuzzers at once.
    while (($(jobs -rp | wc -l) >= njobs)); do wait -n || true; done
  done
  wait
  for t in "${targets[@]}"; do
    if [[ "$(cat "build-fuzz/run/$t.rc" 2>/dev/null)" != 0 ]]; then
      echo "ci-extra: $t FAILED; the end of its log:" >&2
      tail -n 80 "build-fuzz/run/$t.log" >&2
      failed=1
    else
      grep -E "^(stat::number_of_executed_units|stat::new_units_added|Done )" \
        "build-fuzz/run/$t.log" | sed "s/^/ci-extra: $t: /" >&2 || true
    fi
  done
  report "fuzzing (${fuzz_seconds} s per target)" "$t1"
  ls build-fuzz/artifacts/* >/dev/null 2>&1 && echo "ci-extra: crash inputs in build-fuzz/artifacts/" >&2
  return "$failed"
}

run_asan() {
  local t0
  t0=$(stamp)
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSWITCHBOARD_SANITIZE=address,undefined -DSWITCHBOARD_BUILD_TESTS=ON \
    -DSWITCHBOARD_BUILD_BENCHMARKS=OFF -DSWITCHBOARD_BUILD_EXAMPLES=OFF \
    -DSWITCHBOARD_INSTALL=OFF >/dev/null
  cmake --build build-asan -j "$njobs"
  report "asan build" "$t0"
  t0=$(stamp)
  # package_*: they configure and build other projects against the installed or
  # added library; nothing there runs our code under the sanitizers.
  ctest --test-dir build-asan --output-on-failure -j "$njobs" -E '^package_'
  report "asan tests" "$t0"
}

run_tsan() {
  local t0
  t0=$(stamp)
  cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSWITCHBOARD_SANITIZE=thread -DSWITCHBOARD_BUILD_TESTS=ON \
    -DSWITCHBOARD_BUILD_BENCHMARKS=OFF -DSWITCHBOARD_BUILD_EXAMPLES=OFF \
    -DSWITCHBOARD_INSTALL=OFF >/dev/null
  cmake --build build-tsan -j "$njobs" --target switchboard switchboard_unit_tests \
    switchboard_server_tests switchboard_server_integration_tests
  report "tsan build" "$t0"
  t0=$(stamp)
  "${no_aslr[@]}" build-tsan/tests/switchboard_unit_tests --gtest_filter='Evaluation.*ThreadSafe*'
  "${no_aslr[@]}" build-tsan/tests/switchboard_server_tests --gtest_filter='SqliteStoreTest.*'
  # The integration tests start build-tsan's switchboard (TSan too) and fail
  # when it reports a race (halt_on_error: it exits 66).
  "${no_aslr[@]}" build-tsan/tests/switchboard_server_integration_tests
  report "tsan tests" "$t0"
}

for part in "${parts[@]}"; do
  case "$part" in
    fuzz) run_fuzz ;;
    asan) run_asan ;;
    tsan) run_tsan ;;
    *) echo "ci-extra: unknown part '$part' (fuzz, asan, tsan)" >&2; exit 2 ;;
  esac
done
