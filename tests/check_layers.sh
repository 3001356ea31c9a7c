#!/usr/bin/env bash
# check_layers.sh SRC: src/ depends one way. A file in folder F may include a
# project header only from F or a folder before F in the layer order (the
# order src/meson.build lists); every include names its folder.
set -u
src=${1:-$(dirname "$0")/../src}
layers=(core io la model optim data results exp run plot cli)
rank() { local i; for i in "${!layers[@]}"; do [ "${layers[$i]}" = "$1" ] && { echo "$i"; return; }; done; echo -1; }
bad=0 n=0
for f in "$src"/*/*.[ch]; do
  dir=$(basename "$(dirname "$f")")
  me=$(rank "$dir")
  [ "$me" -ge 0 ] || { echo "not ok - $f: folder $dir is not a layer"; bad=$((bad + 1)); continue; }
  while IFS= read -r inc; do
    n=$((n + 1))
    case "$inc" in
      gn_config.h|gn_revision.h) continue ;; # generated into the build folder
      */*) ;;
      *) echo "not ok - ${f#$src/}: #include \"$inc\" does not name its folder"; bad=$((bad + 1)); continue ;;
    esac
    them=$(rank "${inc%%/*}")
    if [ "$them" -lt 0 ] || [ "$them" -gt "$me" ]; then
      echo "not ok - ${f#$src/} ($dir) includes $inc: against the layer order ${layers[*]}"
      bad=$((bad + 1))
    fi
  done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
done
echo "$n project includes checked, $bad against the layers"

# Strings only at the edges: a setting is read by name only where text is
# the point (the parameter tables and the experiment parser, the runs.csv
# cells, the figures); everywhere else code reads the bound struct fields.
text_ok='^(core/params\.c|exp/.*|run/runs_table\.c|plot/.*)$'
lookups=0
for f in "$src"/*/*.c; do
  rel=${f#$src/}
  [[ $rel =~ $text_ok ]] && continue
  if grep -n 'gn_settings_get *(' "$f"; then
    echo "not ok - $rel reads a setting by name (bind it into the run spec instead)"
    lookups=$((lookups + 1))
  fi
done
echo "$lookups files read settings by name outside the parser, the result writer and the figures"
[ "$bad" -eq 0 ] && [ "$lookups" -eq 0 ]
