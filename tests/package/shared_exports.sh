#!/bin/bash
# libswitchboard.so exports the public API and nothing else: no symbol of the
# engine's dependencies, no internal switchboard name. (Weak instantiations of
# standard-library templates used by the API are unavoidable and allowed.)
#   shared_exports.sh LIBRARY ENGINE_INCLUDE_DIR
set -u
lib=$1 include=$2
symbols=$(nm -D --defined-only -C "$lib" | sed -E 's/^[0-9a-f]+ . //') || exit 1
leaked=$(echo "$symbols" | grep -E 'YAML::|re2::|simdjson::|date::|absl::')
if [ -n "$leaked" ]; then
  echo "FAIL: dependency symbols exported:"; echo "$leaked" | head; exit 1
fi
# Every exported switchboard:: name is declared in a public header.
names=$(echo "$symbols" | sed -E 's/^(typeinfo name for |typeinfo for |vtable for )//' \
        | grep -oE '^switchboard::[A-Za-z_]+' | sort -u)
[ -n "$names" ] || { echo "FAIL: no switchboard:: symbol exported"; exit 1; }
status=0
for name in $names; do
  grep -qE "\\b${name#switchboard::}\\b" "$include"/switchboard/*.h \
    || { echo "FAIL: $name is exported but not public"; status=1; }
done
[ $status -eq 0 ] && echo "exports: $(echo "$names" | wc -l) public names, nothing else"
exit $status
