/* cli.h: what the files of the command line (src/cli/) share; private to
 * the gnbench program, not part of the core library's interface.
 *
 * main.c dispatches argv[1] to one gn_cmd_* function per command; each
 * takes the whole argv (options start at argv[2]) and returns the exit
 * status: 0 done, 1 failed, 2 usage or input error. */
#ifndef GN_CLI_H
#define GN_CLI_H

#include "exp/experiment.h"

/* ---- usage and options (args.c; the text itself is in main.c) ---- */

/* The synopsis printed by --help and after every usage error. */
extern const char gn_cli_usage_text[];

/* Prints "gnbench: " fmt (with arg) and the synopsis to stderr; returns 2. */
int gn_cli_usage_error(const char *fmt, const char *arg);
/* A whole number from 1 to 4096 for option opt into *out: 0, or -1 after a
 * usage message (val NULL: the value is missing). */
int gn_cli_parse_count(const char *opt, const char *val, int *out);
/* "--shard K/N" with 1 <= K <= N <= 100000: 0, or -1 after a usage message. */
int gn_cli_parse_shard(const char *val, int *k, int *n);
/* Whether f names a figure format gnbench draws (png, svg, pdf). */
int gn_cli_check_format(const char *f);
/* argv[0..argc) joined by single blanks, malloc'd; NULL when out of memory. */
char *gn_cli_join_args(int argc, char **argv);
/* Draws the experiment's figures from results_dir into plots_dir (created
 * when missing): 0, or 1 with the reason on stderr. */
int gn_cli_draw_figures(const gn_experiment *ex, const char *results_dir, const char *plots_dir,
                        const char *format);

/* ---- results folders (results_dir.c) ---- */

/* Whether a results folder holds --quick results (see results_dir.c for
 * which manifest speaks for the folder). 0 when no manifest is found. */
int gn_cli_results_quick(const char *dir);
/* Whether a results folder holds unmerged shard tables (runs.shard-*). */
int gn_cli_has_shard_tables(const char *dir);

/* ---- the commands ---- */

int gn_cmd_list(int argc, char **argv);                    /* cmd_list.c */
int gn_cmd_run_or_check(int argc, char **argv, int check); /* cmd_run.c */
int gn_cmd_run_launched(int argc, char **argv);            /* cmd_run.c */
int gn_cmd_merge(int argc, char **argv);                   /* cmd_merge.c */
int gn_cmd_plot(int argc, char **argv);                    /* cmd_plot.c */
int gn_cmd_slurm(int argc, char **argv);                   /* cmd_slurm.c */
int gn_cmd_summarize(int argc, char **argv);               /* cmd_summarize.c */
int gn_cmd_profile(int argc, char **argv);                 /* cmd_profile.c */

#endif
