#!/usr/bin/env bash
# check_size.sh SRC: no source file over 600 lines and no function over 120
# (a function: a body between "{" and "}" in column 0, the house brace style;
# tables and initializers are not functions and are not counted).
set -u
src=${1:-$(dirname "$0")/../src}
max_file=600 max_fn=120 bad=0
for f in "$src"/*/*.[ch]; do
  n=$(wc -l <"$f")
  if [ "$n" -gt "$max_file" ]; then
    echo "not ok - ${f#$src/}: $n lines (at most $max_file)"; bad=$((bad + 1))
  fi
  while IFS=: read -r name len; do
    echo "not ok - ${f#$src/}: $name is $len lines (at most $max_fn)"; bad=$((bad + 1))
  done < <(awk -v max="$max_fn" '
    /^[A-Za-z_].*\(/ && !/;[[:space:]]*$/ { sig = $0 }
    /^\{/ { start = NR; name = sig; sub(/\(.*/, "", name); sub(/.*[ *]/, "", name) }
    /^\}/ && start { if (NR - start - 1 > max) print name ":" NR - start - 1; start = 0 }
  ' "$f")
done
echo "$bad over the limits"
[ "$bad" -eq 0 ]
