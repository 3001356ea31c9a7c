/* registry.c: the table of optimizers. Adding an optimizer is one file
 * defining its ops plus one line here. */
#include <string.h>
#include <time.h>

#include "optim.h"

extern const gn_optim_ops gn_opt_sgd;
extern const gn_optim_ops gn_opt_ggn;
extern const gn_optim_ops gn_opt_ggn_mb;
extern const gn_optim_ops gn_opt_adam;
extern const gn_optim_ops gn_opt_sgn;
extern const gn_optim_ops gn_opt_ngd;
extern const gn_optim_ops gn_opt_dgn;
extern const gn_optim_ops gn_opt_lm;

const gn_optim_ops *const gn_optimizers[] = {
    &gn_opt_sgd,
    &gn_opt_ggn,
    &gn_opt_ggn_mb,
    &gn_opt_adam,
    &gn_opt_sgn,
    &gn_opt_ngd,
    &gn_opt_dgn,
    &gn_opt_lm,
    NULL,
};

const gn_optim_ops *gn_optim_find(const char *name)
{
    for (int i = 0; gn_optimizers[i]; i++)
        if (strcmp(gn_optimizers[i]->name, name) == 0)
            return gn_optimizers[i];
    return NULL;
}

double gn_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
