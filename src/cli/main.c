/* main.c: the gnbench command line: the synopsis, --help and --version,
 * each command's usage (`gnbench CMD --help`, `gnbench help CMD`), and the
 * dispatch of argv[1] to one command (cmd_*.c). What the commands share is
 * in cli.h; sharding, merge, MPI and Slurm are described in
 * docs/SCALING.md. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "gn_config.h"
#include "gn_revision.h"
#ifdef GN_HAVE_MPI
#include "run/mpi_sched.h"
#endif

/* Each command's synopsis, written once: the global synopsis is made of
 * them, and `gnbench CMD --help` prints its own with its options. */
#define LIST_SYNOPSIS                                                                              \
    "  gnbench list [optimizers|datasets|model|train|protocol|losses|activations|columns]\n"
#define RUN_SYNOPSIS                                                                               \
    "  gnbench run EXPERIMENT.yaml [--out DIR] [--plots DIR] [--quick] [--jobs N]\n"               \
    "              [--threads N] [--only PATTERN] [--fresh] [--no-plot] [--dry-run]\n"             \
    "              [--format png|svg|pdf] [--memory-limit MIB] [--shard K/N]\n"
#define MPI_SYNOPSIS "  mpirun -n N gnbench run EXPERIMENT.yaml [options]   (built with MPI)\n"
#define MERGE_SYNOPSIS                                                                             \
    "  gnbench merge RESULTS_DIR... [--out DIR] [--plots DIR] [--quick] [--no-plot]\n"             \
    "              [--format png|svg|pdf]\n"
#define SLURM_SYNOPSIS                                                                             \
    "  gnbench slurm EXPERIMENT.yaml [--array-size N] [--quick] [--out DIR] [--plots DIR]\n"       \
    "              [--threads N] [--time T] [--mem SIZE] [--output SCRIPT]\n"                      \
    "              [-- sbatch options...]\n"
#define PLOT_SYNOPSIS "  gnbench plot RESULTS_DIR [--plots DIR] [--format png|svg|pdf]\n"
#define CHECK_SYNOPSIS "  gnbench check EXPERIMENT.yaml [--quick] [--runs]\n"
#define SUMMARIZE_SYNOPSIS "  gnbench summarize RESULTS_DIR [--format csv|md] [--out FILE]\n"
#define PROFILE_SYNOPSIS                                                                           \
    "  gnbench profile RESULTS_DIR... [--out FILE.csv] [--plots DIR] [--no-plot]\n"                \
    "              [--format png|svg|pdf]\n"

const char gn_cli_usage_text[] = "usage:\n" LIST_SYNOPSIS RUN_SYNOPSIS MPI_SYNOPSIS MERGE_SYNOPSIS
    SLURM_SYNOPSIS PLOT_SYNOPSIS CHECK_SYNOPSIS SUMMARIZE_SYNOPSIS PROFILE_SYNOPSIS
                                 "  gnbench help [COMMAND] | --help | --version\n";

/* One command: its name, what runs it, its usage (synopsis and options). */
typedef struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *usage;
} command;

static int cmd_check(int argc, char **argv)
{
    return gn_cmd_run_or_check(argc, argv, 1);
}

static const command commands[] = {
    {"list", gn_cmd_list,
     "usage:\n" LIST_SYNOPSIS
     "\nPrints the registered optimizers (every hyperparameter with its default, range and\n"
     "meaning), datasets (every option), the model settings, losses and activations; one\n"
     "category when named.\n"
     "`columns` prints every runs.csv, trace and manifest column with its unit and meaning\n"
     "(markdown; docs/RESULTS.md is this output).\n"},
    {"run", gn_cmd_run_launched,
     "usage:\n" RUN_SYNOPSIS MPI_SYNOPSIS
     "\nRuns every run of the experiment's grid, each in its own child process, into\n"
     "results/NAME (runs.csv, traces/, manifest.csv), then draws its figures into plots/NAME.\n"
     "Running it again resumes; exit 0 when every run ended ok, diverged or time_limit,\n"
     "1 when a run ended in error, 2 for an input error found before any run.\n"
     "  --out DIR           results folder (default results/NAME)\n"
     "  --plots DIR         figures folder (default plots/NAME)\n"
     "  --quick             merge in the file's quick: overrides\n"
     "  --jobs N            N runs at a time (default 1)\n"
     "  --threads N         BLAS threads per run\n"
     "  --only PATTERN      only the runs whose id or optimizer matches this shell pattern\n"
     "  --fresh             start over instead of resuming\n"
     "  --no-plot           draw no figures\n"
     "  --dry-run           prepare and check everything, run nothing\n"
     "  --format F          figure format: png (default), svg or pdf\n"
     "  --memory-limit MIB  refuse runs estimated above MIB (default 80% of RAM / jobs)\n"
     "  --shard K/N         run only shard K of N (cost-balanced; see gnbench merge)\n"},
    {"check", cmd_check,
     "usage:\n" CHECK_SYNOPSIS
     "\nValidates the experiment file and prints what its grid costs (runs, estimated\n"
     "compute and memory per optimizer) and the figures, running nothing; exit 2 with\n"
     "file, line and key when the file is wrong.\n"
     "  --quick             merge in the file's quick: overrides\n"
     "  --runs              list every run of the grid with its settings instead\n"},
    {"merge", gn_cmd_merge,
     "usage:\n" MERGE_SYNOPSIS
     "\nAssembles one runs.csv and manifest.csv from the shard tables of one or several\n"
     "results folders of the same experiment file, then draws the figures.\n"
     "  --out DIR           where the merged tables go (default the first RESULTS_DIR)\n"
     "  --plots DIR         figures folder (default plots/NAME)\n"
     "  --quick             the results are --quick ones (default: as the manifest says)\n"
     "  --no-plot           draw no figures\n"
     "  --format F          figure format: png (default), svg or pdf\n"},
    {"slurm", gn_cmd_slurm,
     "usage:\n" SLURM_SYNOPSIS
     "\nWrites a bash script that submits the sweep to Slurm: a job array whose task K runs\n"
     "shard K of the grid, and a merge job after the whole array that draws the figures.\n"
     "  --array-size N      shards (default one per run, at most 32)\n"
     "  --quick             merge in the file's quick: overrides\n"
     "  --out DIR, --plots DIR  results and figures folders (default results/NAME, plots/NAME)\n"
     "  --threads N         BLAS threads per run; each shard asks for N CPUs (default 1)\n"
     "  --time T            time limit per shard task, in sbatch's format (default 4:00:00)\n"
     "  --mem SIZE          memory per shard task, in sbatch's format (default 4G)\n"
     "  --format F          figure format: png (default), svg or pdf\n"
     "  --output SCRIPT     write the script there (executable) instead of to stdout\n"
     "  -- OPTIONS...       more sbatch options for the shard tasks (a --time, --mem or\n"
     "                      --cpus-per-task there replaces the one above); the merge job\n"
     "                      keeps its own small request (1 CPU, 2G, 1:00:00). Options for\n"
     "                      both jobs: bash SCRIPT OPTIONS...\n"},
    {"plot", gn_cmd_plot,
     "usage:\n" PLOT_SYNOPSIS
     "\nDraws the figures of a finished (or merged) results folder again.\n"
     "  --plots DIR         figures folder (default plots/NAME)\n"
     "  --format F          figure format: png (default), svg or pdf\n"},
    {"summarize", gn_cmd_summarize,
     "usage:\n" SUMMARIZE_SYNOPSIS
     "\nOne row per optimizer (and per study) of a results folder: the configuration its\n"
     "tuning chose, the trials behind it and the median, 95% bootstrap interval, mean and\n"
     "std of its confirm runs (time to target, losses, accuracy), the tuning compute and\n"
     "the speed-up over the fastest baseline; a grid sweep gives each optimizer's best\n"
     "configuration by validation loss. Writes RESULTS_DIR/summary.csv and prints it\n"
     "(docs/SUMMARY.md has every column). Exit 2 for a folder that cannot be read.\n"
     "  --format F          what is printed: md (default) or csv\n"
     "  --out FILE          write the table to FILE instead of RESULTS_DIR/summary.csv\n"},
    {"profile", gn_cmd_profile,
     "usage:\n" PROFILE_SYNOPSIS
     "\nPerformance profile (Dolan-More) over results folders, one problem each (one per\n"
     "study when a folder has several): the fraction of problems an optimizer reaches the\n"
     "target on within tau times the fastest optimizer's median time, tau from 1 to 4.\n"
     "  --out FILE.csv      the profile table (default profile.csv)\n"
     "  --plots DIR         where profile.png goes (default the folder of --out)\n"
     "  --no-plot           draw no figure\n"
     "  --format F          figure format: png (default), svg or pdf\n"},
};
enum { N_COMMANDS = sizeof commands / sizeof commands[0] };

static const command *find_command(const char *name)
{
    for (int i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0) return &commands[i];
    return NULL;
}

/* Whether the options of a command ask for its usage: a "--help" or "-h"
 * before a "--" that is not the value of an option that takes one. */
static int asks_help(int argc, char **argv)
{
    static const char *const valued[] = {
        "--out",    "--plots", "--only",         "--format", "--jobs",       "--threads", "--shard",
        "--output", "--time",  "--memory-limit", "--mem",    "--array-size", NULL};
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) return 0;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return 1;
        for (int k = 0; valued[k]; k++)
            if (strcmp(argv[i], valued[k]) == 0) {
                i++;
                break;
            }
    }
    return 0;
}

static int print_version(void)
{
    printf("gnbench %s (%s)\n", GN_VERSION, GN_REVISION);
#ifdef GN_HAVE_MPI
    printf("mpi: yes (%s)\n", gn_mpi_library());
#else
    printf("mpi: no (built without MPI)\n");
#endif
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) return gn_cli_usage_error("%s", "missing command");
    const char *cmd = argv[1];
    if (strcmp(cmd, "help") == 0 && argc > 2) {
        const command *c = find_command(argv[2]);
        if (!c) return gn_cli_usage_error("help: unknown command \"%s\"", argv[2]);
        if (argc > 3) return gn_cli_usage_error("help takes one command, got \"%s\" too", argv[3]);
        fputs(c->usage, stdout);
        return 0;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        printf("gnbench %s: Gauss-Newton optimizer research harness\n%s", GN_VERSION,
               gn_cli_usage_text);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) return print_version();
    const command *c = find_command(cmd);
    if (!c) return gn_cli_usage_error("unknown command \"%s\"", cmd);
    if (asks_help(argc, argv)) {
        fputs(c->usage, stdout);
        return 0;
    }
    return c->fn(argc, argv);
}
