/* cmd_list.c: `gnbench list [optimizers|datasets|losses|activations]`, the
 * registered plugins with their parameters, defaults and ranges. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/params.h"
#include "data/dataset.h"
#include "model/loss.h"
#include "model/mlp.h"
#include "optim/optim.h"

static void print_params(const gn_param *p, const char *prefix)
{
    for (; p && p->name; p++) {
        char desc[160];
        gn_param_describe(p, desc, sizeof desc);
        printf("    %s%-16s default %-8s %s; %s\n", prefix, p->name, p->def ? p->def : "(unset)",
               desc, p->doc);
    }
}

int gn_cmd_list(int argc, char **argv)
{
    const char *what = argc > 2 ? argv[2] : NULL;
    if (argc > 3) return gn_cli_usage_error("list takes at most one argument, got \"%s\"", argv[3]);
    int all = what == NULL, shown = 0;
    if (all || strcmp(what, "optimizers") == 0) {
        printf("optimizers:\n");
        for (int i = 0; gn_optimizers[i]; i++) {
            const gn_optim_ops *o = gn_optimizers[i];
            printf("  %-10s %s%s\n", o->name, o->summary, o->full_batch ? " [full batch]" : "");
            print_params(o->params, "opt.");
        }
        shown = 1;
    }
    if (all || strcmp(what, "datasets") == 0) {
        printf("datasets:\n");
        for (int i = 0; gn_dataset_kinds[i].name; i++) {
            printf("  %-10s %s\n", gn_dataset_kinds[i].name, gn_dataset_kinds[i].summary);
            print_params(gn_dataset_kinds[i].params, "dataset.");
        }
        shown = 1;
    }
    if (all || strcmp(what, "losses") == 0) {
        printf("losses:\n");
        for (int i = 0; gn_losses[i].name; i++)
            printf("  %-10s %s\n", gn_losses[i].name, gn_losses[i].summary);
        shown = 1;
    }
    if (all || strcmp(what, "activations") == 0) {
        printf("activations:\n");
        for (int i = 0; i < GN_ACT_COUNT; i++)
            printf("  %-10s %s\n", gn_act_names[i], gn_act_summaries[i]);
        shown = 1;
    }
    if (!shown)
        return gn_cli_usage_error(
            "list: unknown category \"%s\" (optimizers|datasets|losses|activations)", what);
    return 0;
}
