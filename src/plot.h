/* plot.h: gnuplot figures from a results folder.
 *
 * For each figure of the experiment, writes <plots>/<figure>.gp and the
 * data it reads (<figure>.dat) and runs gnuplot to render
 * <plots>/<figure>.<format>. */
#ifndef GN_PLOT_H
#define GN_PLOT_H

#include <stddef.h>
#include "experiment.h"

/* format: "png", "svg" or "pdf". Returns 0, or -1 with a message. A missing
 * gnuplot program writes scripts and data and returns -1 with a message. */
int gn_plot_experiment(const gn_experiment *ex, const char *results_dir,
                       const char *plots_dir, const char *format,
                       char *err, size_t errlen);

#endif
