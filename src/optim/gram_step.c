/* gram_step.c: see gram_step.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "la/blas.h"
#include "la/chol.h"
#include "optim/gram_step.h"

void gn_gram_step_layout(gn_gram_step *g, gn_ws *ws, const gn_optim_shape *sh)
{
    size_t n = (size_t)sh->batch * sh->c;
    g->r = gn_ws_doubles(ws, n);
    g->K = gn_ws_doubles(ws, n * n);
    g->Lf = gn_ws_doubles(ws, n * n);
    g->Ka = gn_ws_doubles(ws, n);
    g->eig = gn_ws_doubles(ws, n);
}

size_t gn_gram_step_bytes(const gn_optim_shape *sh)
{
    gn_gram_step tmp = {0};
    gn_ws ws;
    gn_ws_measure(&ws);
    gn_gram_step_layout(&tmp, &ws, sh);
    return ws.used;
}

int gn_gram_step_init(gn_gram_step *g, const gn_gram_hparams *hp, gn_mlp *net, int max_batch,
                      char *err, size_t errlen)
{
    memset(g, 0, sizeof *g);
    g->lr = g->lr0 = hp->lr;
    g->damping = hp->damping;
    g->max_rows = max_batch * net->c;
    gn_optim_shape sh = gn_optim_shape_of(net, max_batch);
    if (gn_ws_alloc(&g->ws, gn_gram_step_bytes(&sh)) != 0) {
        size_t n = (size_t)g->max_rows;
        snprintf(err, errlen, "out of memory for a %zux%zu Gram matrix", n, n);
        return -1;
    }
    gn_gram_step_layout(g, &g->ws, &sh);
    return 0;
}

int gn_gram_step_run(gn_gram_step *g, const gn_step_ctx *ctx, gn_step_info *info)
{
    gn_mlp *net = ctx->model;
    int b = ctx->b, c = ctx->c, n = b * c;
    g->lr = gn_step_lr(ctx, g->lr0);
    if (ctx->loss != GN_LOSS_SQUARE) {
        snprintf(info->note, sizeof info->note, "the Gram-Gauss-Newton step needs loss: square");
        return -1;
    }

    double t0 = gn_now();
    const double *F = gn_mlp_forward(net, ctx->X, b);
    for (int j = 0; j < n; j++)
        g->r[j] = F[j] - ctx->Y[j];
    info->batch_loss = 0.5 * gn_dot(n, g->r, g->r) / b;
    double t1 = gn_now();
    gn_mlp_gram(net, g->K);
    double t2 = gn_now();

    if (ctx->iteration == 0 && n <= 4096) {
        /* conditioning of K at initialization (Lf is free until the factorization) */
        gn_kernel_spectrum(n, g->K, g->Lf, g->eig, &info->kernel_lambda_min, &info->kernel_cond);
    }

    double used;
    int raises = 0;
    if (gn_chol_factor_damped(n, g->K, g->damping, g->Lf, &used, &raises) != 0) {
        snprintf(info->note, sizeof info->note,
                 "Cholesky of K + lambda I failed for every damping up to the bound");
        info->damping_raises = raises;
        return -1;
    }
    gn_chol_solve(n, g->Lf, 1, g->r); /* r <- (K + lambda I)^-1 r */
    double t3 = gn_now();
    /* θ += −η Jᵀα (α is in r; K is undamped, the factor is in Lf) */
    double dn = gn_gram_apply(net, n, g->K, g->r, g->lr, g->Ka);
    double t4 = gn_now();

    info->lr = g->lr;
    info->damping = used;
    info->damping_raises = raises;
    if (raises)
        snprintf(info->note, sizeof info->note, "Cholesky failed; damping raised %d times to %.3g",
                 raises, used);
    info->step_norm = g->lr * dn;
    info->t_forward = t1 - t0;
    info->t_curvature = t2 - t1;
    info->t_solve = t3 - t2;
    info->t_backward = t4 - t3;
    return 0;
}

double gn_gram_apply(gn_mlp *net, int n, const double *K, const double *alpha, double lr,
                     double *Ka)
{
    gn_mlp_jt_vec_add(net, alpha, -lr, net->theta);
    gn_gemm(0, 0, n, 1, n, 1.0, K, n, alpha, 1, 0.0, Ka, 1);
    return sqrt(fmax(gn_dot(n, alpha, Ka), 0.0));
}

void gn_gram_step_free(gn_gram_step *g)
{
    gn_ws_free(&g->ws);
    g->r = g->K = g->Lf = g->Ka = g->eig = NULL;
}
