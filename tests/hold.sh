# Sourced by the end-to-end tests: hold run processes at gnbench's test stop
# point (src/core/testhook.h) and learn, as an event, that they have started.
#   hold_open FIFO   create FIFO and keep it open on fd 3 (read and write, so
#                    neither side blocks on open)
#   hold_wait        print the next "<run_id> <pid>" a held run reported;
#                    fails only if none arrives within 300 s (a hang guard,
#                    not a timing assumption: a held run waits forever)
hold_open() {
  rm -f "$1" && mkfifo "$1" && exec 3<>"$1"
}
hold_wait() {
  local line
  IFS= read -r -t 300 -u 3 line || return 1
  printf '%s\n' "$line"
}
