/* registry.c: the table of optimizers (adding an optimizer is one file
 * defining its ops plus one line here), and the small helpers every
 * optimizer shares. */
#include <string.h>
#include <time.h>

#include "blas.h"
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

void gn_optim_gradient(const gn_step_ctx *ctx, double weight_decay, double *G, double *g,
                       gn_step_info *info)
{
    gn_mlp *net = ctx->model;
    double t0 = gn_now();
    const double *F = gn_mlp_forward(net, ctx->X, ctx->b);
    info->batch_loss = gn_loss_value(ctx->loss, F, ctx->Y, ctx->b, ctx->c);
    gn_loss_grad(ctx->loss, F, ctx->Y, ctx->b, ctx->c, G);
    double t1 = gn_now();
    gn_mlp_vjp(net, G, g);
    if (weight_decay > 0) gn_axpy((int)net->m, weight_decay, net->theta, g);
    info->t_forward = t1 - t0;
    info->t_backward = gn_now() - t1;
}
