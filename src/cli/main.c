/* main.c: the gnbench command line: the synopsis, --help and --version,
 * and the dispatch of argv[1] to one command (cmd_*.c). What the commands
 * share is in cli.h; sharding, merge, MPI and Slurm are described in
 * docs/SCALING.md. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "gn_config.h"
#include "gn_revision.h"
#ifdef GN_HAVE_MPI
#include "run/mpi_sched.h"
#endif

const char gn_cli_usage_text[] =
    "usage:\n"
    "  gnbench list [optimizers|datasets|losses|activations]\n"
    "  gnbench run EXPERIMENT.yaml [--out DIR] [--plots DIR] [--quick] [--jobs N]\n"
    "              [--threads N] [--only PATTERN] [--fresh] [--no-plot] [--dry-run]\n"
    "              [--format png|svg|pdf] [--memory-limit MIB] [--shard K/N]\n"
    "  mpirun -n N gnbench run EXPERIMENT.yaml [options]   (built with MPI)\n"
    "  gnbench merge RESULTS_DIR... [--out DIR] [--plots DIR] [--quick] [--no-plot]\n"
    "              [--format png|svg|pdf]\n"
    "  gnbench slurm EXPERIMENT.yaml [--array-size N] [--quick] [--out DIR] [--plots DIR]\n"
    "              [--threads N] [--output SCRIPT] [-- sbatch options...]\n"
    "  gnbench plot RESULTS_DIR [--plots DIR] [--format png|svg|pdf]\n"
    "  gnbench check EXPERIMENT.yaml [--quick]\n"
    "  gnbench --help | --version\n";

int main(int argc, char **argv)
{
    if (argc < 2) return gn_cli_usage_error("%s", "missing command");
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        printf("gnbench %s: Gauss-Newton optimizer research harness\n%s", GN_VERSION,
               gn_cli_usage_text);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("gnbench %s (%s)\n", GN_VERSION, GN_REVISION);
#ifdef GN_HAVE_MPI
        printf("mpi: yes (%s)\n", gn_mpi_library());
#else
        printf("mpi: no (built without MPI)\n");
#endif
        return 0;
    }
    if (strcmp(cmd, "list") == 0) return gn_cmd_list(argc, argv);
    if (strcmp(cmd, "run") == 0) return gn_cmd_run_launched(argc, argv);
    if (strcmp(cmd, "merge") == 0) return gn_cmd_merge(argc, argv);
    if (strcmp(cmd, "slurm") == 0) return gn_cmd_slurm(argc, argv);
    if (strcmp(cmd, "check") == 0) return gn_cmd_run_or_check(argc, argv, 1);
    if (strcmp(cmd, "plot") == 0) return gn_cmd_plot(argc, argv);
    return gn_cli_usage_error("unknown command \"%s\"", cmd);
}
