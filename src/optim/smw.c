/* smw.c: see smw.h. The step of `sgn` and `ngd` built on it: smw_step.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "la/blas.h"
#include "la/chol.h"
#include "model/mlp_gram2.h"
#include "optim/smw.h"

void gn_smw_layout(gn_smw *s, gn_ws *ws, int max_b2, int c, int p_max, size_t m)
{
    s->max_b2 = max_b2, s->c = c, s->p_max = p_max, s->m = m;
    size_t rc = (size_t)max_b2 * c, rp = (size_t)max_b2 * p_max;
    s->W = gn_ws_doubles(ws, rc * p_max);
    /* factors of width 1 (Fisher) never need the Gram over all outputs: K
     * is then b₂ × b₂ scratch, T unused */
    s->K = gn_ws_doubles(ws, p_max > 1 ? rc * rc : rp * rp);
    s->T = p_max > 1 ? gn_ws_doubles(ws, rc * rp) : NULL;
    s->S = gn_ws_doubles(ws, rp * rp);
    s->Lf = gn_ws_doubles(ws, rp * rp);
    s->jv = gn_ws_doubles(ws, rc);
    s->wx = gn_ws_doubles(ws, rc);
    s->y = gn_ws_doubles(ws, rp);
    s->ug = gn_ws_doubles(ws, rp);
    s->eig = gn_ws_doubles(ws, rp);
    s->wd = gn_ws_doubles(ws, rc);
}

int gn_smw_init(gn_smw *s, const gn_mlp *net, int max_b2, int p_max, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    gn_ws_measure(&s->ws);
    gn_smw_layout(s, &s->ws, max_b2, net->c, p_max, net->m);
    if (gn_ws_alloc(&s->ws, s->ws.used) != 0) {
        size_t rc = (size_t)max_b2 * net->c;
        snprintf(err, errlen, "out of memory for %zux%zu curvature matrices", rc, rc);
        return -1;
    }
    gn_smw_layout(s, &s->ws, max_b2, net->c, p_max, net->m);
    return 0;
}

void gn_smw_free(gn_smw *s)
{
    gn_ws_free(&s->ws);
    s->W = s->K = s->T = s->S = s->Lf = s->jv = s->wx = s->y = s->ug = s->eig = s->wd = NULL;
}

/* 1 when every W_i (c, c) is diagonal; its diagonals then go to wd. */
static int diagonal_factors(gn_smw *s, int b)
{
    int c = s->c;
    for (int i = 0; i < b; i++) {
        const double *Wi = s->W + (size_t)i * c * c;
        for (int k = 0; k < c; k++)
            for (int a = 0; a < c; a++)
                if (a != k && Wi[k * c + a] != 0) return 0;
    }
    for (int i = 0; i < b; i++)
        for (int k = 0; k < c; k++)
            s->wd[(size_t)i * c + k] = s->W[((size_t)i * c + k) * c + k];
    return 1;
}

void gn_smw_gram(gn_smw *s, gn_mlp *net, int p, int identity)
{
    int b = net->b, c = s->c, rc = b * c;
    s->b2 = b;
    s->identity = identity;
    s->p = identity ? c : p;
    s->diagonal = !identity && p == c && c > 1 && diagonal_factors(s, b);
    if (identity) {
        gn_mlp_gram(net, s->S);
        return;
    }
    if (p == 1) {
        /* one vector per sample, u_i = J_iᵀ W_i: S = U Uᵀ (b, b) at sample
         * size, from the per-sample backpropagated cotangents */
        gn_mlp_cot_gram(net, s->W, s->W, s->S);
        return;
    }
    gn_mlp_gram(net, s->K);
    if (s->diagonal) {
        /* S = diag(w) K diag(w); K is kept (smw_step.c uses it) */
        for (int r = 0; r < rc; r++) {
            const double *Kr = s->K + (size_t)r * rc;
            double *Sr = s->S + (size_t)r * rc, wr = s->wd[r];
            for (int q = 0; q < rc; q++)
                Sr[q] = Kr[q] * (wr * s->wd[q]);
        }
        return;
    }
    int rp = b * p;
    /* T (bc, bp): column block j = K[:, block j] (bc, c) W_j (c, p) */
    for (int j = 0; j < b; j++)
        gn_gemm(0, 0, rc, p, c, 1.0, s->K + (size_t)j * c, rc, s->W + (size_t)j * c * p, p, 0.0,
                s->T + (size_t)j * p, rp);
    /* S (bp, bp): row block i = W_iᵀ (p, c) T[block i, :] (c, bp) */
    for (int i = 0; i < b; i++)
        gn_gemm(1, 0, p, rp, c, 1.0, s->W + (size_t)i * c * p, p, s->T + (size_t)i * c * rp, rp,
                0.0, s->S + (size_t)i * p * rp, rp);
}

void gn_smw_wt(const gn_smw *s, const double *v, double *out)
{
    int b = s->b2, c = s->c, p = s->p;
    if (s->identity) {
        memcpy(out, v, sizeof(double) * b * c);
        return;
    }
    if (s->diagonal) {
        for (int r = 0; r < b * c; r++)
            out[r] = s->wd[r] * v[r];
        return;
    }
    for (int i = 0; i < b; i++) {
        const double *Wi = s->W + (size_t)i * c * p, *vi = v + (size_t)i * c;
        for (int a = 0; a < p; a++) {
            double t = 0;
            for (int k = 0; k < c; k++)
                t += Wi[k * p + a] * vi[k];
            out[(size_t)i * p + a] = t;
        }
    }
}

void gn_smw_w(const gn_smw *s, const double *x, double *out)
{
    int b = s->b2, c = s->c, p = s->p;
    if (s->identity) {
        memcpy(out, x, sizeof(double) * b * c);
        return;
    }
    if (s->diagonal) {
        for (int r = 0; r < b * c; r++)
            out[r] = s->wd[r] * x[r];
        return;
    }
    for (int i = 0; i < b; i++) {
        const double *Wi = s->W + (size_t)i * c * p, *xi = x + (size_t)i * p;
        for (int k = 0; k < c; k++) {
            double t = 0;
            for (int a = 0; a < p; a++)
                t += Wi[k * p + a] * xi[a];
            out[(size_t)i * c + k] = t;
        }
    }
}

void gn_smw_apply_u(gn_smw *s, gn_mlp *net, const double *v, double *out)
{
    if (s->identity) {
        gn_mlp_jvp(net, v, out);
        return;
    }
    gn_mlp_jvp(net, v, s->jv);
    gn_smw_wt(s, s->jv, out);
}

void gn_smw_apply_ut(gn_smw *s, gn_mlp *net, const double *x, double *out)
{
    if (s->identity) {
        gn_mlp_jt_vec(net, x, out);
        return;
    }
    gn_smw_w(s, x, s->wx);
    gn_mlp_jt_vec(net, s->wx, out);
}

int gn_smw_direction(gn_smw *s, gn_mlp *net, const double *g, double lambda, double *d,
                     double *used, int *raises)
{
    int n = s->b2 * s->p, m = (int)s->m;
    double shift;
    *raises = 0;
    if (gn_chol_factor_damped(n, s->S, s->b2 * lambda, s->Lf, &shift, raises) != 0) {
        *used = NAN;
        return -1;
    }
    double lam = *raises ? shift / s->b2 : lambda; /* exactly λ unless raised */
    *used = lam;
    gn_smw_apply_u(s, net, g, s->ug);
    memcpy(s->y, s->ug, sizeof(double) * n);
    gn_chol_solve(n, s->Lf, 1, s->y); /* y = (b₂λ I + U Uᵀ)⁻¹ U g */
    gn_smw_apply_ut(s, net, s->y, d);
    /* d = −(1/λ) (g − Uᵀ y) */
    for (int j = 0; j < m; j++)
        d[j] = (d[j] - g[j]) / lam;
    return 0;
}

void gn_smw_step_rng(gn_rng *r, uint64_t seed, long iteration, const char *stream)
{
    gn_rng_seed(r, seed + 0x9e3779b97f4a7c15ULL * (uint64_t)(iteration + 1), stream);
}

void gn_smw_subset(uint64_t seed, long iteration, int b, int b2, int *idx)
{
    for (int i = 0; i < b; i++)
        idx[i] = i;
    if (b2 >= b) return;
    gn_rng r;
    gn_smw_step_rng(&r, seed, iteration, "curvature-batch");
    for (int j = 0; j < b2; j++) { /* partial Fisher-Yates */
        int k = j + (int)gn_rng_below(&r, (uint64_t)(b - j));
        int t = idx[j];
        idx[j] = idx[k];
        idx[k] = t;
    }
    for (int j = 1; j < b2; j++) { /* insertion sort: keeps the batch order */
        int v = idx[j], q = j - 1;
        while (q >= 0 && idx[q] > v)
            idx[q + 1] = idx[q], q--;
        idx[q + 1] = v;
    }
}
