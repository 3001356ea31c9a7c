#!/bin/sh
# perf.sh: the performance suite (`ninja -C build bench-perf`, or
# `meson test -C build --benchmark perf`).
#
#   perf.sh SOURCE_ROOT BENCH_PERF EXPORT_INIT TORCH_PEER
#
# Runs bench_perf (CSV under SOURCE_ROOT/results/perf/), the PyTorch peer
# when /usr/bin/python3 can import torch and functorch (skipped with a note
# otherwise), then writes gnuplot data, scripts and PNGs side by side under
# SOURCE_ROOT/plots/perf/. Environment:
#   PERF_ARGS       extra options for bench_perf (e.g. "--quick", "--budget 2")
#   PERF_THREADS    BLAS threads of the sweeps and the peer (default 1)
#   TORCH_CONFIGS   width:batch:outputs,... for the peer
#   TORCH_ARGS      extra options for torch_peer.py (e.g. "--rounds 1")
#   NO_TORCH=1      skip the peer
#   PLOT_ONLY=1     only redraw the figures from the CSV in results/perf
set -eu
src=$1
bench_perf=$2
export_init=$3
torch_peer=$(realpath "$4")
res="$src/results/perf"
plots="$src/plots/perf"
threads=${PERF_THREADS:-1}
mkdir -p "$res" "$plots"

if [ "${PLOT_ONLY:-0}" = 1 ]; then
    echo "perf.sh: PLOT_ONLY=1: figures from the CSV already in $res"
else
echo "start: $(uptime)" > "$res/uptime.txt"
echo "perf.sh: load before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
# shellcheck disable=SC2086
"$bench_perf" --out "$res" --threads "$threads" ${PERF_ARGS:-}
echo "after bench_perf: $(uptime)" >> "$res/uptime.txt"

if [ "${NO_TORCH:-0}" != 1 ] && /usr/bin/python3 -c 'import torch, functorch' 2>/dev/null; then
    # shellcheck disable=SC2086
    /usr/bin/python3 "$torch_peer" --exporter "$export_init" --out "$res" --threads "$threads" \
        ${TORCH_CONFIGS:+--configs "$TORCH_CONFIGS"} ${TORCH_ARGS:-}
    echo "after torch_peer: $(uptime)" >> "$res/uptime.txt"
else
    echo "perf.sh: note: PyTorch peer skipped (NO_TORCH=1, or /usr/bin/python3 lacks torch/functorch;" \
         "apt-get install -y python3-torch)" | tee "$res/torch_peer.skipped"
    rm -f "$res/torch_peer.csv" "$res/torch_losses.csv"
fi
fi

if ! command -v gnuplot > /dev/null; then
    echo "perf.sh: gnuplot not found: CSV only"
    exit 0
fi

# ---------------------------------------------------------------- figures
cd "$plots"
cp "$res"/*.csv .
dgemm=$(awk -F, '$1=="dgemm1024_gflops_start"{print $2}' machine.csv)

# blocks CSV OUT SWEEP OUTPUTS XCOL YCOL: one gnuplot data block per
# optimizer (first line its quoted name), rows with status ok only.
blocks() {
    awk -F, -v sw="$3" -v c="$4" -v xc="$5" -v yc="$6" '
        NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; st = ("status" in h) ? h["status"] : 0; next }
        $h["sweep"] == sw && $h["outputs"] == c && (st == 0 || $st == "ok") {
            o = $h["optimizer"]
            if (!(o in seen)) { seen[o] = 1; name[++n] = o }
            d[o] = d[o] $h[xc] " " $h[yc] "\n"
        }
        END { for (i = 1; i <= n; i++) printf "\"%s\"\n%s\n\n", name[i], d[name[i]] }' "$1" > "$2"
    grep -c '^"' "$2" || true
}

# The line colours of the sweep figures: ten distinct ones (gnuplot's own
# cycle repeats after eight, and the suite has nine optimizers), the
# palette of gnbench's figures (src/plot/gp.c), each with its own point.
palette() {
    k=1
    for col in '#1f77b4' '#d62728' '#2ca02c' '#ff7f0e' '#9467bd' \
               '#8c564b' '#e377c2' '#7f7f7f' '#bcbd22' '#17becf'; do
        echo "set linetype $k lc rgb '$col' pt $k"
        k=$((k + 1))
    done
}

# panels NAME YLABEL YCOL LOGY: a 2x2 figure (width and batch sweeps, c = 1
# and 10) of YCOL from steps.csv (or memory.csv when NAME is memory).
panels() {
    name=$1 ylabel=$2 ycol=$3 logy=$4 csvf=${5:-steps.csv} extra=${6:-}
    {
        echo "# $name.gp: written by bench/perf.sh; data in ${name}_*.dat"
        echo "set terminal pngcairo size 1400,1000 noenhanced font ',10'"
        echo "set output '$name.png'"
        palette
        echo "set datafile separator ' '"
        echo "set key outside right top"
        echo "set grid"
        echo "set logscale x 2"
        [ "$logy" = 1 ] && echo "set logscale y"
        echo "set multiplot layout 2,2 title '$ylabel (depth 2 tanh NTK, input 784; $threads BLAS thread(s))'"
        for sw in width batch; do
            for c in 1 10; do
                n=$(blocks "$csvf" "${name}_${sw}_c$c.dat" "$sw" "$c" "$sw" "$ycol")
                fixed=$([ "$sw" = width ] && echo "batch 128" || echo "width 1024")
                echo "set title '$sw sweep, $fixed, c = $c'"
                echo "set xlabel '$sw'; set ylabel '$ylabel'"
                if [ "$n" -gt 0 ]; then
                    echo "plot for [i=0:$((n - 1))] '${name}_${sw}_c$c.dat' index i using 1:2 with linespoints lw 2 title columnheader(1)$extra"
                else
                    echo "set label 1 'no data' at graph 0.5,0.5 center; plot 2 notitle; unset label 1"
                fi
            done
        done
        echo "unset multiplot"
    } > "$name.gp"
    gnuplot "$name.gp"
}

panels ratio "step time / sgd step time (median of per-repetition ratios)" ratio_sgd 1
panels time "median step time (s)" median_s 1
panels gflops "achieved GFLOP/s (analytic flops / median time)" gflops 0 steps.csv \
    ", $dgemm with lines dt 2 lc rgb 'black' title 'dgemm 1024^3'"
[ -f memory.csv ] && panels memory "peak resident memory (MiB, VmHWM of a child per run)" maxrss_mib 1 memory.csv

# the split of a step at width 1024, batch 128
{
    echo "# split.gp: written by bench/perf.sh; data in split_c*.dat"
    echo "set terminal pngcairo size 1400,550 noenhanced font ',10'"
    echo "set output 'split.png'"
    echo "set style data histograms; set style histogram rowstacked; set style fill solid 0.8 border -1"
    echo "set boxwidth 0.7; set key outside right top; set grid y; set xtics rotate by -30"
    echo "set multiplot layout 1,2 title 'median time split of one step (ms), width 1024, batch 128, depth 2'"
    for c in 1 10; do
        awk -F, -v c="$c" '
            NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; print "optimizer forward curvature solve backward other"; next }
            $h["sweep"] == "width" && $h["width"] == 1024 && $h["outputs"] == c && $h["status"] == "ok" {
                s = 0
                for (j = 0; j < 4; j++) {
                    v[j] = $(h["t_forward"] + j); if (v[j] == "nan" || v[j] == "") v[j] = 0
                    s += v[j]
                }
                o = $h["median_s"] - s; if (o < 0) o = 0
                printf "%s %.4f %.4f %.4f %.4f %.4f\n", $h["optimizer"], 1e3*v[0], 1e3*v[1], 1e3*v[2], 1e3*v[3], 1e3*o
            }' steps.csv > "split_c$c.dat"
        echo "set title 'c = $c'; set ylabel 'ms'"
        echo "plot for [k=2:6] 'split_c$c.dat' using k:xtic(1) title columnheader(k)"
    done
    echo "unset multiplot"
} > split.gp
gnuplot split.gp

# 1 -> 2 BLAS threads
if [ -f threads.csv ]; then
    awk -F, '
        NR == 1 { next }
        { cfg = "w" $1 "-b" $2 "-c" $3; o = $4
          if (!(cfg in sc)) { sc[cfg] = 1; cfgs[++nc] = cfg }
          if (!(o in so)) { so[o] = 1; opts[++no] = o }
          v[o, cfg] = $8 }
        END { printf "optimizer"; for (j = 1; j <= nc; j++) printf " %s", cfgs[j]; printf "\n"
              for (i = 1; i <= no; i++) { printf "%s", opts[i]
                  for (j = 1; j <= nc; j++) printf " %s", ((opts[i], cfgs[j]) in v) ? v[opts[i], cfgs[j]] : "NaN"
                  printf "\n" } }' threads.csv > threads.dat
    nc=$(head -1 threads.dat | awk '{print NF}')
    cat > threads.gp << EOF
# threads.gp: written by bench/perf.sh; data in threads.dat
set terminal pngcairo size 1200,500 noenhanced font ',10'
set output 'threads.png'
set style data histograms; set style histogram clustered gap 1; set style fill solid 0.8 border -1
set key outside right top; set grid y; set xtics rotate by -30
set ylabel 'speed-up t(1 thread) / t(2 threads)'
set title 'speed-up from 1 to 2 BLAS threads (medians, interleaved in one process); dashed: 2'
plot for [k=2:$nc] 'threads.dat' using k:xtic(1) title columnheader(k), 2 with lines dt 2 lc rgb 'black' notitle
EOF
    gnuplot threads.gp
fi

# PyTorch side by side
if [ -f torch_peer.csv ]; then
    awk -F, '
        NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
        { cfg = "w" $h["width"] "-b" $h["batch"] "-c" $h["outputs"]; m = $h["method"]
          if (!(cfg in sc)) { sc[cfg] = 1; cfgs[++nc] = cfg }
          if (!(m in sm)) { sm[m] = 1; ms[++nm] = m }
          v[cfg, m] = $h["ratio_torch_gnbench"] == "" ? "NaN" : $h["ratio_torch_gnbench"] }
        END { printf "config"; for (j = 1; j <= nm; j++) printf " torch:%s", ms[j]; printf "\n"
              for (i = 1; i <= nc; i++) { printf "%s", cfgs[i]
                  for (j = 1; j <= nm; j++) printf " %s", v[cfgs[i], ms[j]]
                  printf "\n" } }' torch_peer.csv > torch.dat
    nc=$(head -1 torch.dat | awk '{print NF}')
    cat > torch.gp << EOF
# torch.gp: written by bench/perf.sh; data in torch.dat
set terminal pngcairo size 1100,500 noenhanced font ',10'
set output 'torch.png'
set style data histograms; set style histogram clustered gap 1; set style fill solid 0.8 border -1
set key outside right top; set grid y; set logscale y
set ylabel 'PyTorch step time / gnbench step time'
set title 'PyTorch 1.13 (same BLIS, kernels, threads, data) over gnbench; sgd vs sgd, ggn-* vs ggn-mb (1 = parity)'
plot for [k=2:$nc] 'torch.dat' using k:xtic(1) title columnheader(k), 1 with lines dt 2 lc rgb 'black' notitle
EOF
    gnuplot torch.gp
fi
echo "perf.sh: CSV in $res, figures in $plots"
