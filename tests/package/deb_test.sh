#!/bin/bash
# The server's Debian package: builds it with `cpack -G DEB`, unpacks it with
# dpkg-deb -x into a temporary root and checks the layout, the control data,
# the maintainer scripts, the shipped configuration and rules (run with the
# packaged binary) and the systemd unit (`systemd-analyze verify` when present,
# a check of its keys always).
#   deb_test.sh BUILD_DIR WORK_DIR VERSION      exit 0 pass, 1 fail, 77 skipped
set -u
build=$1 work=$2 version=$3

command -v dpkg-deb >/dev/null || { echo "SKIP: dpkg-deb not found"; exit 77; }
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

rm -rf "$work" && mkdir -p "$work/out" "$work/root" "$work/control" || exit 1
cpack_log=$work/cpack.log
if ! (cd "$build" && cpack -G DEB -B "$work/out" >"$cpack_log" 2>&1); then
  cat "$cpack_log"
  echo "FAIL: cpack -G DEB"
  exit 1
fi
debs=("$work"/out/switchboard_"$version"_*.deb)
if [ ${#debs[@]} -ne 1 ] || [ ! -f "${debs[0]}" ]; then
  ls -l "$work/out"
  echo "FAIL: expected one switchboard_${version}_<arch>.deb"
  exit 1
fi
deb=${debs[0]}
ok "built $(basename "$deb") ($(stat -c %s "$deb") bytes)"

dpkg-deb -x "$deb" "$work/root" || exit 1
dpkg-deb -e "$deb" "$work/control" || exit 1
root=$work/root

# --- control data -----------------------------------------------------------
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = switchboard ] && ok "Package: switchboard" || fail "Package is '$(field Package)'"
[ "$(field Version)" = "$version" ] && ok "Version: $version" || fail "Version is '$(field Version)'"
depends=$(field Depends)
for dep in adduser libc6 libstdc++6 libpoco libsqlite3 libyaml-cpp libre2; do
  case "$depends" in
    *"$dep"*) ;;
    *) fail "Depends lacks $dep: $depends" ;;
  esac
done
ok "Depends: $depends"

expected_conffiles="/etc/default/switchboard
/etc/switchboard/rules/log-events.yaml
/etc/switchboard/switchboard.yaml"
if [ "$(sort "$work/control/conffiles" 2>/dev/null)" = "$expected_conffiles" ]; then
  ok "conffiles"
else
  fail "conffiles: $(cat "$work/control/conffiles" 2>/dev/null)"
fi
for script in postinst prerm postrm; do
  f=$work/control/$script
  if [ -x "$f" ] && sh -n "$f"; then ok "$script is an executable shell script"; else fail "$script"; fi
done
grep -q 'adduser --system' "$work/control/postinst" || fail "postinst does not create the system user"

# --- layout -----------------------------------------------------------------
for f in usr/bin/switchboard etc/switchboard/switchboard.yaml \
         etc/switchboard/rules/log-events.yaml etc/default/switchboard \
         lib/systemd/system/switchboard.service usr/share/doc/switchboard/cli.md; do
  [ -f "$root/$f" ] || fail "missing /$f"
done
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
for f in "$source_dir"/rules/*.yaml; do
  [ -f "$root/usr/share/switchboard/rules/$(basename "$f")" ] || fail "missing shipped rules $(basename "$f")"
done
for f in "$source_dir"/examples/events/*.json; do
  [ -f "$root/usr/share/switchboard/examples/events/$(basename "$f")" ] || fail "missing event $(basename "$f")"
done
# The package is the server: no headers, library or CMake files of the engine.
extra=$(cd "$root" && find . \( -name '*.h' -o -name '*.a' -o -name '*.cmake' -o -name '*.so*' \) | head)
[ -z "$extra" ] && ok "no development files" || fail "development files in the package: $extra"
listing=$(dpkg-deb -c "$deb")
echo "$listing" | grep -Eq '^-rw-r----- root/root .* \./etc/default/switchboard$' \
  && ok "/etc/default/switchboard is 0640" || fail "/etc/default/switchboard mode: $(echo "$listing" | grep etc/default)"
echo "$listing" | grep -Eq '^-rwxr-xr-x root/root .* \./usr/bin/switchboard$' \
  && ok "/usr/bin/switchboard is 0755" || fail "/usr/bin/switchboard mode"
if command -v file >/dev/null && file "$root/usr/bin/switchboard" | grep -q 'not stripped'; then
  fail "/usr/bin/switchboard is not stripped"
fi

# --- the packaged program, configuration and rules ---------------------------
bin=$root/usr/bin/switchboard
out=$("$bin" --version) && [ "$out" = "switchboard $version" ] && ok "switchboard --version" \
  || fail "switchboard --version printed '$out'"
"$bin" check "$root/usr/share/switchboard/rules" >/dev/null || fail "shipped rules do not check"
"$bin" test "$root/usr/share/switchboard/rules" >/dev/null || fail "shipped rules' tests fail"
"$bin" test "$root/etc/switchboard/rules" >/dev/null || fail "/etc/switchboard/rules tests fail"
ok "shipped rules check and pass their tests"

config=$root/etc/switchboard/switchboard.yaml
grep -q 'c3dpdGNoYm9hcmQtZGVtby1rZXk' "$config" && fail "the package config contains the demo key"
grep -Eq '^ *- \$\{OPENPHONE_SIGNING_KEY\}' "$config" || fail "signing key is not \${OPENPHONE_SIGNING_KEY}"
grep -Eq '^database: /var/lib/switchboard/switchboard\.db' "$config" || fail "database is not in /var/lib/switchboard"
grep -Eq '^listen: 127\.0\.0\.1:8080' "$config" || fail "listen is not 127.0.0.1:8080"
grep -Eq '^ *(export +)?[A-Z_]+=' "$root/etc/default/switchboard" && fail "/etc/default/switchboard sets a value"
# The configuration loads and the server starts with it: the same file with its
# paths moved into the temporary root and another port, stopped by SIGTERM.
port=$((20000 + $$ % 20000))
mkdir -p "$work/state"
sed -e "s|/etc/switchboard|$root/etc/switchboard|g" \
    -e "s|/var/lib/switchboard|$work/state|g" \
    -e "s|127.0.0.1:8080|127.0.0.1:$port|" "$config" >"$work/switchboard.yaml"
env -u OPENPHONE_SIGNING_KEY -u OPENPHONE_SIGNING_KEY_NEXT -u OPENPHONE_API_KEY \
    -u SWITCHBOARD_ADMIN_TOKEN \
  timeout --preserve-status -s TERM 5 "$bin" serve --config "$work/switchboard.yaml" \
  >"$work/serve.log" 2>&1
rc=$?
if [ $rc -eq 0 ] && [ -f "$work/state/switchboard.db" ]; then
  ok "serve --config (packaged config) starts, creates its database, stops on SIGTERM"
else
  cat "$work/serve.log"
  fail "serve with the packaged config exited $rc"
fi

# --- the systemd unit -------------------------------------------------------
unit=$root/lib/systemd/system/switchboard.service
for key in 'User=switchboard' 'Group=switchboard' 'NoNewPrivileges=yes' 'ProtectSystem=strict' \
           'ProtectHome=yes' 'PrivateTmp=yes' 'StateDirectory=switchboard' \
           'EnvironmentFile=-/etc/default/switchboard' \
           'ExecStart=/usr/bin/switchboard serve --config /etc/switchboard/switchboard.yaml' \
           'ExecReload=/bin/kill -HUP $MAINPID' 'Restart=on-failure' \
           'WantedBy=multi-user.target'; do
  grep -qxF "$key" "$unit" || fail "unit lacks '$key'"
done
ok "unit keys"
if command -v systemd-analyze >/dev/null; then
  # Against the host's units (targets, /bin/kill), with ExecStart= pointed at the
  # unpacked binary. verify exits 0 on unknown keys or bad values and only
  # prints them, so any output fails. The user need not exist here.
  mkdir -p "$work/verify"
  sed "s|^ExecStart=/usr/bin/switchboard|ExecStart=$bin|" "$unit" >"$work/verify/switchboard.service"
  if verify=$(systemd-analyze verify --man=no "$work/verify/switchboard.service" 2>&1) \
     && [ -z "$verify" ]; then
    ok "systemd-analyze verify"
  else
    fail "systemd-analyze verify: $verify"
  fi
else
  echo "note: systemd-analyze not found; the unit's keys were checked statically"
fi

if [ $failures -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "package_deb: all checks passed"
