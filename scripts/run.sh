#!/usr/bin/env bash
# Builds Switchboard and starts the server on the shipped default configuration
# (examples/switchboard.yaml: 127.0.0.1:8080, SQLite in examples/, the rules in
# rules/). Installs the packages it needs first. Stop it with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSWITCHBOARD_BUILD_TESTS=ON -DSWITCHBOARD_BUILD_BENCHMARKS=ON -DSWITCHBOARD_BUILD_SHARED=ON
cmake --build build -j "$(nproc)" --target switchboard
exec ./build/server/switchboard serve --config examples/switchboard.yaml
