#!/usr/bin/env bash
# Builds everything (engine, program, tests, benchmarks) and runs the whole test
# suite. Installs the packages it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSWITCHBOARD_BUILD_TESTS=ON -DSWITCHBOARD_BUILD_BENCHMARKS=ON -DSWITCHBOARD_BUILD_SHARED=ON
cmake --build build -j "$(nproc)"
ctest --test-dir build --output-on-failure -j "$(nproc)"
bash scripts/ci-extra.sh  # fuzzers 20 s each, ASan+UBSan tests, TSan concurrency tests
