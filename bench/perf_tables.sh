#!/bin/sh
# perf_tables.sh: Markdown tables from the performance suite's CSV (the
# tables of PERFORMANCE.md).
#
#   sh bench/perf_tables.sh [results/perf]
set -eu
d=${1:-results/perf}

echo "### Machine and run"
echo
awk -F, 'NR > 1 { printf "- %s: %s\n", $1, $2 }' "$d/machine.csv"
[ -f "$d/uptime.txt" ] && sed 's/^/- uptime /' "$d/uptime.txt"
echo

# headline: one configuration, every optimizer
head_table() { # WIDTH BATCH C
    echo "### Width $1, batch $2, c = $3 (depth 2, input 784)"
    echo
    echo "| optimizer | median step (ms) | / sgd | GFLOP/step | GFLOP/s | of dgemm | forward | curvature | solve | backward (ms) | peak MiB |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    awk -F, -v w="$1" -v b="$2" -v c="$3" -v memf="$d/memory.csv" '
        function ms(x) { return (x == "nan" || x == "") ? "–" : sprintf("%.1f", 1e3 * x) }
        BEGIN { while ((getline line < memf) > 0) { split(line, f, ","); if (f[1] == "sweep") continue
                    mem[f[1] "," f[2] "," f[3] "," f[4] "," f[5]] = f[6] } }
        NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
        $h["sweep"] == "width" && $h["width"] == w && $h["batch"] == b && $h["outputs"] == c {
            if ($h["status"] != "ok") { printf "| %s | %s | | | | | | | | | |\n", $h["optimizer"], $h["status"]; next }
            k = "width," w "," b "," c "," $h["optimizer"]
            printf "| %s | %.1f | %.2f | %.2f | %.1f | %.0f%% | %s | %s | %s | %s | %s |\n",
                $h["optimizer"], 1e3 * $h["median_s"], $h["ratio_sgd"], $h["gflop"], $h["gflops"],
                100 * $h["frac_dgemm"], ms($h["t_forward"]), ms($h["t_curvature"]), ms($h["t_solve"]),
                ms($h["t_backward"]), (k in mem) ? mem[k] : "–"
        }' "$d/steps.csv"
    echo
}
head_table 1024 128 1
head_table 1024 128 10

# ratio to sgd over a sweep: optimizers as rows
sweep_table() { # SWEEP C COLUMN LABEL FORMAT
    echo "### $4 over the $1 sweep, c = $2"
    echo
    awk -F, -v sw="$1" -v c="$2" -v col="$3" -v fmt="$5" '
        NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
        $h["sweep"] == sw && $h["outputs"] == c {
            x = $h[sw]; o = $h["optimizer"]
            if (!(x in sx)) { sx[x] = 1; xs[++nx] = x }
            if (!(o in so)) { so[o] = 1; os[++no] = o }
            v[o, x] = $h["status"] == "ok" ? sprintf(fmt, $h[col]) : "–"
        }
        END {
            printf "| optimizer |"; for (j = 1; j <= nx; j++) printf " %s %s |", sw, xs[j]; printf "\n|---|"
            for (j = 1; j <= nx; j++) printf "---:|"; printf "\n"
            for (i = 1; i <= no; i++) { printf "| %s |", os[i]; for (j = 1; j <= nx; j++) printf " %s |", v[os[i], xs[j]]; printf "\n" }
        }' "$d/steps.csv"
    echo
}
for c in 1 10; do sweep_table width $c ratio_sgd "Step time / sgd" "%.2f"; done
for c in 1 10; do sweep_table batch $c ratio_sgd "Step time / sgd" "%.2f"; done
for c in 1 10; do sweep_table width $c gflops "GFLOP/s" "%.1f"; done

echo "### Fitted exponents: step time ∝ x^e (least squares on log-log)"
echo
echo "| optimizer | c | x | fixed | range | points | e |"
echo "|---|---:|---|---|---|---:|---:|"
awk -F, 'NR > 1 { printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7 }' "$d/scaling.csv"
echo

if [ -f "$d/threads.csv" ]; then
    echo "### Speed-up from 1 to 2 BLAS threads (t1 / t2, medians, interleaved)"
    echo
    awk -F, '
        NR == 1 { next }
        { cfg = "w" $1 " b" $2 " c" $3; o = $4
          if (!(cfg in sc)) { sc[cfg] = 1; cs[++nc] = cfg }
          if (!(o in so)) { so[o] = 1; os[++no] = o }
          v[o, cfg] = sprintf("%.2f", $8) }
        END { printf "| optimizer |"; for (j = 1; j <= nc; j++) printf " %s |", cs[j]; printf "\n|---|"
              for (j = 1; j <= nc; j++) printf "---:|"; printf "\n"
              for (i = 1; i <= no; i++) { printf "| %s |", os[i]; for (j = 1; j <= nc; j++) printf " %s |", v[os[i], cs[j]]; printf "\n" } }' "$d/threads.csv"
    echo
fi

if [ -f "$d/memory.csv" ]; then
    echo "### Peak resident memory (MiB; VmHWM of a fresh process: model + batch + optimizer + one step)"
    echo
    awk -F, '
        NR == 1 { next }
        $1 == "width" || ($1 == "batch" && $3 != 128) {
            cfg = "w" $2 " b" $3 " c" $4; o = $5
            if (!(cfg in sc)) { sc[cfg] = 1; cs[++nc] = cfg; base[cfg] = $7; est[cfg] = $9 }
            if (!(o in so)) { so[o] = 1; os[++no] = o }
            v[o, cfg] = $6 }
        END { printf "| configuration | model only | gn_mlp_bytes |"; for (i = 1; i <= no; i++) printf " %s |", os[i]
              printf "\n|---|---:|---:|"; for (i = 1; i <= no; i++) printf "---:|"; printf "\n"
              for (j = 1; j <= nc; j++) { printf "| %s | %s | %s |", cs[j], base[cs[j]], est[cs[j]]
                  for (i = 1; i <= no; i++) printf " %s |", ((os[i], cs[j]) in v) ? v[os[i], cs[j]] : "–"
                  printf "\n" } }' "$d/memory.csv"
    echo
fi

if [ -f "$d/torch_peer.csv" ]; then
    echo "### PyTorch peer (same BLIS library, kernels, threads, data, float64)"
    echo
    echo "| width | batch | c | method | vs gnbench | torch (ms) | gnbench (ms) | torch / gnbench | max rel. loss diff | status |"
    echo "|---:|---:|---:|---|---|---:|---:|---:|---:|---|"
    awk -F, '
        NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
        { t = $h["torch_median_s"] == "" ? "–" : sprintf("%.1f", 1e3 * $h["torch_median_s"])
          g = $h["gnbench_median_s"] == "" ? "–" : sprintf("%.1f", 1e3 * $h["gnbench_median_s"])
          printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $h["width"], $h["batch"], $h["outputs"],
              $h["method"], $h["gnbench_optimizer"], t, g, $h["ratio_torch_gnbench"], $h["max_rel_loss_diff"], $h["status"] }' "$d/torch_peer.csv"
    echo
    awk -F, 'NR == 2 { printf "dgemm 1024³ in the torch process: %s GFLOP/s (%s).\n\n", $7, $6 }' "$d/torch_peer.csv"
fi
