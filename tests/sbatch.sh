# Sourced by the end-to-end tests: a stand-in for Slurm's sbatch.
#   sbatch_standin DIR   writes DIR/sbatch, which logs its arguments to
#                        $SBATCH_LOG, runs the job script it reads from stdin
#                        at once (an array's tasks one after another, with
#                        SLURM_ARRAY_TASK_ID set, in --chdir), appends their
#                        output to $SBATCH_LOG.out and prints "<id>;cluster"
#                        (ids 1001, 1002, ... in submission order); call N's
#                        arguments also go one per line to $SBATCH_LOG.args.N
#                        and its job script to $SBATCH_LOG.job.N
sbatch_standin() {
  mkdir -p "$1"
  cat >"$1/sbatch" <<'SH'
#!/usr/bin/env bash
array="" chdir=.
for a in "$@"; do
  case $a in
    --array=*) array=${a#--array=} ;;
    --chdir=*) chdir=${a#--chdir=} ;;
  esac
done
echo "$*" >>"$SBATCH_LOG"
n=$(wc -l < "$SBATCH_LOG")
id=$((1000 + n))
printf '%s\n' "$@" >"$SBATCH_LOG.args.$n"
script=$SBATCH_LOG.job.$n
cat >"$script"
if [ -n "$array" ]; then
  for ((t = ${array%-*}; t <= ${array#*-}; t++)); do
    (cd "$chdir" && SLURM_ARRAY_TASK_ID=$t bash "$script") >>"$SBATCH_LOG.out" 2>&1
  done
else
  (cd "$chdir" && bash "$script") >>"$SBATCH_LOG.out" 2>&1
fi
echo "$id;cluster"
SH
  chmod +x "$1/sbatch"
}
