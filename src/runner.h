/* runner.h: runs an expanded experiment: one child process per run (so a
 * crash or a runaway allocation costs one run, never the sweep), results
 * written atomically after every run, resume from what is on disk. */
#ifndef GN_RUNNER_H
#define GN_RUNNER_H

#include "experiment.h"

typedef struct gn_run_options {
    const char *out_dir;   /* results/<name> */
    const char *plots_dir; /* plots/<name> */
    const char *only;      /* fnmatch pattern on run ids or optimizer names; NULL = all */
    const char *format;    /* figure format: png|svg|pdf */
    const char *command_line;
    int jobs, threads;     /* threads <= 0: available cores */
    double memory_limit_mib; /* per run; <= 0: 80% of physical memory / jobs */
    int fresh, no_plot, dry_run, quick;
} gn_run_options;

/* Runs the experiment. Returns the process exit status SPEC.md defines:
 * 0 when every run ended ok, diverged or time_limit; 1 when a run ended in
 * error or the program failed; 2 for input errors found before any run. */
int gn_runner_run(const gn_experiment *ex, const gn_run_options *opt);

/* Cores this process may run on. */
int gn_available_cores(void);

#endif
