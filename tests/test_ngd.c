/* test_ngd.c: the natural-gradient step (`ngd`, empirical and true Fisher)
 * against a dense m×m solve. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "la/blas.h"
#include "model/loss.h"
#include "model/mlp.h"
#include "optim/optim.h"
#include "core/params.h"
#include "core/rng.h"
#include "optim/smw.h"
#include "tolerances.h"
#include "oracle.h"

/* d (m) = −(λ I + (1/b₂) Σ_{t<b₂} u_t u_tᵀ)⁻¹ g with u_t = J_iᵀ ∇ℓ(f_i, Yc_t),
 * i = idx[t]; g = ∇L over all n samples with the data targets; *gn = ‖g‖. */
static void dense_ngd_direction(prob *p, const int *idx, int b2, const double *Yc, double lam,
                                double *d, double *gn)
{
    int n = p->n, c = p->c;
    size_t m = p->net.m;
    double *J = malloc(sizeof(double) * n * c * m), *G = calloc(m * m, sizeof(double));
    double *R = malloc(sizeof(double) * n * c), *u = malloc(sizeof(double) * m), r[64];
    const double *F = gn_mlp_forward(&p->net, p->X, n);
    gn_mlp_jacobian(&p->net, J);
    gn_loss_sample_grad(p->loss, F, p->Y, n, c, R);
    for (size_t q = 0; q < m; q++) {
        double s = 0;
        for (int k = 0; k < n * c; k++)
            s += J[k * m + q] * R[k];
        d[q] = -s / n;
    }
    for (int t = 0; t < b2; t++) {
        int i = idx[t];
        gn_loss_sample_grad(p->loss, F + i * c, Yc + t * c, 1, c, r);
        for (size_t q = 0; q < m; q++) {
            u[q] = 0;
            for (int k = 0; k < c; k++)
                u[q] += J[((size_t)i * c + k) * m + q] * r[k];
        }
        for (size_t a = 0; a < m; a++)
            for (size_t e = 0; e < m; e++)
                G[a * m + e] += u[a] * u[e] / b2;
    }
    for (size_t a = 0; a < m; a++)
        G[a * m + a] += lam;
    *gn = gn_nrm2((int)m, d);
    dense_solve((int)m, G, d);
    free(J), free(G), free(R), free(u);
}

static void check_direction(gn_loss_kind loss, int c, const char *fisher, int b2, long it,
                            const char *seed)
{
    prob p;
    prob_make(&p, loss, 7, 3, c, 41 + c);
    size_t m = p.net.m;
    int idx[7], n = p.n;
    if (b2 == 0) b2 = n;
    gn_smw_subset((uint64_t)atoll(seed), it, n, b2, idx);
    double *Yc = malloc(sizeof(double) * b2 * c), *Fc = malloc(sizeof(double) * b2 * c);
    const double *F = gn_mlp_forward(&p.net, p.X, n);
    for (int t = 0; t < b2; t++) {
        memcpy(Yc + t * c, p.Y + idx[t] * c, sizeof(double) * c);
        memcpy(Fc + t * c, F + idx[t] * c, sizeof(double) * c);
    }
    if (strcmp(fisher, "true") == 0) { /* the documented per-step generator */
        gn_rng r;
        gn_smw_step_rng(&r, (uint64_t)atoll(seed), it, "fisher-targets");
        gn_loss_sample_targets(loss, Fc, b2, c, &r, Yc);
    }
    double *want = malloc(sizeof(double) * m), *th0 = malloc(sizeof(double) * m);
    double *got = malloc(sizeof(double) * m);
    memcpy(th0, p.net.theta, sizeof(double) * m);
    double gn;
    dense_ngd_direction(&p, idx, b2, Yc, 0.2, want, &gn);
    char f[64], cb[64], sd[64];
    snprintf(f, sizeof f, "fisher=%s", fisher);
    snprintf(cb, sizeof cb, "curvature_batch=%d", b2 == n ? 0 : b2);
    snprintf(sd, sizeof sd, "seed=%s", seed);
    gn_optim *o =
        make_opt("ngd", &p, "lr=0.6", "damping=0.2", "damping_rule=fixed", f, cb, sd, NULL);
    gn_step_info info;
    do_step(o, &p, it, &info);
    for (size_t q = 0; q < m; q++)
        got[q] = (p.net.theta[q] - th0[q]) / 0.6;
    double e = rel_err(m, got, want);
    cr_expect_lt(e, GN_TOL_EXACT_REL, "%s, %s Fisher, b2=%d: relative direction error %.3g",
                 gn_loss_name(loss), fisher, b2, e);
    cr_expect_eq(info.damping, 0.2);
    double sn = 0.6 * gn_nrm2((int)m, want); /* the recorded step norm η ‖d‖ */
    cr_expect_lt(fabs(info.step_norm - sn), GN_TOL_EXACT_REL * sn, "step norm %.17g, dense %.17g",
                 info.step_norm, sn);
    cr_expect_lt(fabs(info.grad_norm - gn), GN_TOL_EXACT_REL * gn,
                 "gradient norm %.17g, dense %.17g", info.grad_norm, gn);
    o->ops->destroy(o);
    free(want), free(th0), free(got), free(Yc), free(Fc);
    prob_free(&p);
}

Test(ngd, empirical_fisher_direction_equals_dense_solve_square)
{
    check_direction(GN_LOSS_SQUARE, 2, "empirical", 0, 0, "0");
}

Test(ngd, empirical_fisher_direction_equals_dense_solve_xent)
{
    check_direction(GN_LOSS_XENT, 3, "empirical", 0, 2, "0");
}

Test(ngd, empirical_fisher_direction_equals_dense_solve_bxent)
{
    check_direction(GN_LOSS_BXENT, 2, "empirical", 0, 2, "0");
}

Test(ngd, curvature_subset_equals_dense_solve_on_that_subset)
{
    check_direction(GN_LOSS_XENT, 3, "empirical", 4, 3, "5");
}

Test(ngd, true_fisher_direction_equals_dense_solve_with_sampled_targets)
{
    check_direction(GN_LOSS_XENT, 3, "true", 0, 4, "9");
    check_direction(GN_LOSS_SQUARE, 2, "true", 5, 1, "2");
}

Test(ngd, true_fisher_draws_depend_on_seed_and_iteration_only)
{
    double *th[3];
    for (int run = 0; run < 3; run++) {
        prob p;
        prob_make(&p, GN_LOSS_XENT, 7, 3, 3, 5);
        gn_optim *o = make_opt("ngd", &p, "fisher=true", run == 2 ? "seed=1" : "seed=0", NULL);
        gn_step_info info;
        do_step(o, &p, 0, &info);
        do_step(o, &p, 1, &info);
        th[run] = malloc(sizeof(double) * p.net.m);
        memcpy(th[run], p.net.theta, sizeof(double) * p.net.m);
        if (run == 2) {
            cr_expect_eq(memcmp(th[0], th[1], sizeof(double) * p.net.m), 0);
            cr_expect_neq(memcmp(th[0], th[2], sizeof(double) * p.net.m), 0);
        }
        o->ops->destroy(o);
        prob_free(&p);
    }
    free(th[0]), free(th[1]), free(th[2]);
}

Test(ngd, lm_rule_descends_and_adapts_damping)
{
    prob p;
    prob_make(&p, GN_LOSS_XENT, 7, 3, 3, 6);
    gn_optim *o = make_opt("ngd", &p, "lr=0.1", "damping=1", "drop=0.5", NULL);
    gn_step_info info;
    double prev = loss_now(&p);
    for (int k = 0; k < 4; k++) {
        do_step(o, &p, k, &info);
        double now = loss_now(&p);
        cr_expect_lt(now, prev);
        prev = now;
        cr_expect(isfinite(info.gain_ratio));
    }
    cr_expect_lt(info.damping, 1.0, "a sequence of good steps should lower the damping");
    o->ops->destroy(o);
    prob_free(&p);
}

Test(ngd, damped_gain_ratio_divides_by_half_g_dot_step)
{
    prob p;
    prob_make(&p, GN_LOSS_XENT, 6, 3, 3, 17);
    int n = p.n, c = p.c;
    size_t m = p.net.m;
    double *J = malloc(sizeof(double) * n * c * m), *R = malloc(sizeof(double) * n * c);
    double *th0 = malloc(sizeof(double) * m);
    memcpy(th0, p.net.theta, sizeof(double) * m);
    const double *F = gn_mlp_forward(&p.net, p.X, n);
    gn_mlp_jacobian(&p.net, J);
    gn_loss_sample_grad(p.loss, F, p.Y, n, c, R);
    gn_optim *o = make_opt("ngd", &p, "lr=0.7", "damping=0.3", "rho=damped", NULL);
    gn_step_info info;
    do_step(o, &p, 0, &info);
    double gs = 0, gg = 0; /* gᵀs and ‖g‖² with g = (1/n) Jᵀ R */
    for (size_t q = 0; q < m; q++) {
        double gq = 0;
        for (int r = 0; r < n * c; r++)
            gq += J[r * m + q] * R[r] / n;
        gs += gq * (p.net.theta[q] - th0[q]);
        gg += gq * gq;
    }
    cr_expect_lt(fabs(info.grad_norm - sqrt(gg)), GN_TOL_EXACT_REL * sqrt(gg));
    double want = (loss_now(&p) - info.batch_loss) / (0.5 * gs);
    cr_expect_lt(fabs(info.gain_ratio - want), GN_TOL_EXACT_REL * fabs(want), "%.17g vs %.17g",
                 info.gain_ratio, want);
    o->ops->destroy(o);
    free(J), free(R), free(th0);
    prob_free(&p);
}
