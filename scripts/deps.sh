#!/usr/bin/env bash
# Installs the Debian 12 packages Switchboard needs to build and test, when any
# is missing. Run as root (or with sudo). Extra package names given as arguments
# are installed the same way (scripts/ci-extra.sh adds clang and its runtimes).
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config git ca-certificates tzdata curl
  libpoco-dev libyaml-cpp-dev libre2-dev libsqlite3-dev sqlite3
  libsimdjson-dev libhowardhinnant-date-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  dpkg-dev file
  "$@"
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "switchboard: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
