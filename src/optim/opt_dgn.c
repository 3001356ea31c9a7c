/* opt_dgn.c: `dgn`, dual Gauss-Newton directions (Roulet & Blondel 2023)
 * used as a drop-in for the gradient in SGD or Adam.
 *
 * The direction minimizes the partially linearized objective
 *   P(d) = (1/b) Σ_i ℓ_i(f_i + J_i d) + ‖d‖² / (2η),
 * whose dual is (α (bc), K = J Jᵀ, ℓ* the convex conjugate)
 *   D(α) = (1/b) Σ_i [⟨α_i, f_i⟩ − ℓ_i*(α_i)] − (η/(2b²)) αᵀ K α,  d = −(η/b) Jᵀ α.
 * Both are reported in loss units; the dual gap is P(d(α)) − D(α) ≥ 0, and
 * P(d) is evaluated exactly through J d = −(η/b) K α.
 *
 * Choices, where the paper leaves room:
 * - Every solver starts from α₀ = ∇ℓ(f) (per-sample loss gradients), whose
 *   direction is the gradient step d = −η g: with inner_iters = 0 `dgn` is
 *   SGD (or Adam) itself, and every further iterate increases D.
 * - Square loss, solver cholesky: α = (I + (η/b) K)⁻¹ r in closed form,
 *   d = −Jᵀ (K + (b/η) I)⁻¹ r — exactly the `ggn-mb` step with learning
 *   rate 1 and damping b/η (a failed factorization raises the damping as
 *   there, reported in `damping`). Solver cg: conjugate gradients on
 *   (K + (b/η) I) x = r from x₀ = (η/b) r with matrix-free products
 *   K v = J (Jᵀ v) (one VJP and one JVP), stopped when the dual gap (from the
 *   CG recurrences) is <= tol or after inner_iters iterations.
 * - Softmax cross-entropy: ℓ*(α_i) = Σ_k β_k log(β_k / s_i) on β = α_i + y_i ∈
 *   s_i Δ (s_i = Σ_k y_ik, 1 for one-hot rows). The dual is maximized by
 *   proximal mirror ascent with the entropy (exponentiated gradient): with
 *   z = f − (η/b) K α the linearized logits,
 *     log β⁺ = (1 − ω) log β + ω z  (normalized to s_i Δ),  ω = τ / (1 + τ),
 *   with τ backtracked until (η/(2b)) δᵀKδ <= KL(β⁺ ‖ β) / τ (relative
 *   smoothness), which makes D increase monotonically; τ starts at
 *   b / (η ρ) with ρ the Rayleigh quotient of K at α₀. Its fixed point is
 *   β = s softmax(f + J d), the optimality condition. K products use the
 *   Gram matrix (solver cholesky) or are matrix-free (solver cg).
 * - Descent: ⟨g, d(α)⟩ = −(η/b²) α₀ᵀ K α is monitored at every inner
 *   iterate (it is available from the K products). An iterate that is not
 *   a descent direction is never returned: the solver stops at the previous
 *   one and says so in the step note. The exact square-loss direction is
 *   always a descent direction.
 * - form primal: conjugate gradients on (JᵀHJ/b + (1/η) I) d = −g in R^m
 *   from d = 0 (each iterate minimizes the quadratic model over a Krylov
 *   space, so gᵀd < 0), at least one iteration, stopped when ‖residual‖ <=
 *   tol ‖g‖; matrix-free (JVP, output Hessian, VJP). For the square loss
 *   this is the dual direction; for cross-entropy it is the damped
 *   Gauss-Newton (one Newton step on P) rather than the minimizer of P.
 *   `solver` applies to the dual form only. form auto: dual when b c < m.
 * - base sgd: θ ← θ + d (with momentum μ: v ← μ v + d, θ ← θ + v); the
 *   learning rate η is inside d. base adam: Adam (adam_lr, beta1, beta2,
 *   eps) fed ĝ = −d/η as its gradient, so inner_iters = 0 is plain Adam.
 * - Dual form with cholesky: g is never formed (‖g‖² = α₀ᵀKα₀/b²); with base
 *   sgd and no momentum θ += d inside the weight-gradient gemms, ‖d‖ from K.
 * - Losses: square and xent (bxent is not implemented). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "la/blas.h"
#include "la/chol.h"
#include "optim/optim.h"
#include "optim/ws.h"

typedef struct dgn_hparams {
    double lr, tol, momentum, adam_lr, beta1, beta2, eps;
    int form;   /* FORM_* below */
    int solver; /* SOLVER_* below */
    int base;   /* BASE_* below */
    long inner_iters;
} dgn_hparams;

enum { FORM_AUTO, FORM_DUAL, FORM_PRIMAL }; /* the order of "auto|dual|primal" */
enum { SOLVER_CHOLESKY, SOLVER_CG };        /* "cholesky|cg" */
enum { BASE_SGD, BASE_ADAM };               /* "sgd|adam" */

static const gn_param dgn_params[] = {
    GN_P_REAL(dgn_hparams, lr, "1", GN_PARAM_POSITIVE, 1e6,
              "eta: weight 1/(2 eta) of the proximity term, and the step size of the resulting "
              "direction"),
    GN_P_CHOICE(dgn_hparams, form, "auto", "auto|dual|primal",
                "dual (bc-sized), primal (m-sized CG), auto: dual when b*c < m"),
    GN_P_CHOICE(dgn_hparams, solver, "cholesky", "cholesky|cg",
                "dual form: cholesky forms the Gram matrix (direct solve for square loss); cg is "
                "matrix-free (conjugate gradients for square loss, mirror ascent with JVP/VJP "
                "products for xent)"),
    GN_P_INT(dgn_hparams, inner_iters, "10", 0, 1e6,
             "maximum inner iterations of the iterative solvers (0: the gradient step)"),
    GN_P_REAL(dgn_hparams, tol, "1e-6", 0, 1e6,
              "stop when the dual gap (loss units) is <= tol; primal form: residual <= tol * "
              "||g||; 0: always run inner_iters (the gap resolves directions only to ~sqrt(eps) "
              "relative)"),
    GN_P_CHOICE(dgn_hparams, base, "sgd", "sgd|adam", "the optimizer the direction is fed to"),
    GN_P_REAL(dgn_hparams, momentum, "0", 0, 0.999999, "base sgd: heavy-ball momentum in [0, 1)"),
    GN_P_REAL(dgn_hparams, adam_lr, "0.001", 0, 1e6, "base adam: Adam's learning rate"),
    GN_P_REAL(dgn_hparams, beta1, "0.9", 0, 0.999999, "base adam: first-moment decay"),
    GN_P_REAL(dgn_hparams, beta2, "0.999", 0, 0.999999999, "base adam: second-moment decay"),
    GN_P_REAL(dgn_hparams, eps, "1e-8", GN_PARAM_POSITIVE, 1, "base adam: denominator epsilon"),
    GN_P_END,
};

static const gn_column dgn_columns[] = {
    {"dual_objective", "dual objective", GN_COL_REAL, 0, 0},
    {"dual_gap", "dual gap", GN_COL_REAL, 0, 0},
    {"inner_iters", "inner iterations", GN_COL_REAL, 0, 0},
    {NULL, NULL, GN_COL_REAL, 0, 0},
};

extern const gn_optim_ops gn_opt_dgn;

typedef struct dgn {
    gn_optim base;
    double eta, eta0, tol, mom, adam_lr, beta1, beta2, eps; /* eta: this step's (eta0 scaled) */
    int inner, form, chol, adam;
    long t; /* Adam steps */
    int max_rows;
    size_t m;
    /* (max_rows, max_rows), only with solver cholesky */
    double *K, *Lf, *eig;
    gn_ws ws; /* holds every buffer of the step */
    /* (max_rows) each */
    double *a0, *al, *w, *z, *lb, *lbn, *an, *wn, *x, *xp, *res, *p, *q, *kx, *pr;
    /* (m) each */
    double *g, *d, *tmp, *cr, *cp, *cq, *v1, *v2;
    int descent_stop; /* the last solve stopped at a non-descent iterate */
} dgn;

static void dgn_destroy(gn_optim *opt)
{
    dgn *o = (dgn *)opt;
    if (!o) return;
    gn_ws_free(&o->ws);
    free(o);
}

/* The buffers of a step of shape sh (ws.h): measured by plan, carved by
 * create. The Gram matrix, its factor and spectrum only when the dual form
 * may be solved with Cholesky. */
static void dgn_layout(dgn *o, gn_ws *ws, const dgn_hparams *hp, const gn_optim_shape *sh)
{
    size_t n = (size_t)sh->batch * sh->c, m = sh->m;
    if (hp->solver == SOLVER_CHOLESKY && hp->form != FORM_PRIMAL) {
        o->K = gn_ws_doubles(ws, n * n);
        o->Lf = gn_ws_doubles(ws, n * n);
        o->eig = gn_ws_doubles(ws, n);
    }
    double **rows[] = {&o->a0, &o->al, &o->w,   &o->z, &o->lb, &o->lbn, &o->an, &o->wn,
                       &o->x,  &o->xp, &o->res, &o->p, &o->q,  &o->kx,  &o->pr};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        *rows[i] = gn_ws_doubles(ws, n);
    double **params[] = {&o->g, &o->d, &o->tmp, &o->cr, &o->cp, &o->cq, &o->v1, &o->v2};
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++)
        *params[i] = gn_ws_doubles(ws, m);
}

static gn_optim *dgn_create(const void *hparams, gn_mlp *net, int max_batch, char *err,
                            size_t errlen)
{
    const dgn_hparams *hp = hparams;
    dgn *o = calloc(1, sizeof *o);
    if (!o) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    o->base.ops = &gn_opt_dgn;
    o->eta = o->eta0 = hp->lr;
    o->tol = hp->tol;
    o->inner = (int)hp->inner_iters;
    o->mom = hp->momentum;
    o->adam_lr = hp->adam_lr;
    o->beta1 = hp->beta1;
    o->beta2 = hp->beta2;
    o->eps = hp->eps;
    o->form = hp->form;
    o->chol = hp->solver == SOLVER_CHOLESKY;
    o->adam = hp->base == BASE_ADAM;
    if (!(o->eta > 0)) {
        snprintf(err, errlen, "lr must be > 0");
        free(o);
        return NULL;
    }
    o->m = net->m;
    o->max_rows = max_batch * net->c;
    if (o->chol && o->form != FORM_PRIMAL && max_batch > net->max_gram_batch) {
        snprintf(err, errlen, "batch %d exceeds the model's Gram capacity %d (use solver: cg)",
                 max_batch, net->max_gram_batch);
        free(o);
        return NULL;
    }
    gn_optim_shape sh = gn_optim_shape_of(net, max_batch);
    gn_ws_measure(&o->ws);
    dgn_layout(o, &o->ws, hp, &sh);
    if (gn_ws_alloc(&o->ws, o->ws.used) != 0) {
        snprintf(err, errlen, "out of memory for dgn workspace (%d rows, %zu parameters)",
                 o->max_rows, net->m);
        dgn_destroy(&o->base);
        return NULL;
    }
    dgn_layout(o, &o->ws, hp, &sh);
    o->base.workspace_bytes = o->ws.used;
    return &o->base;
}

/* out (n) = K v (n = bc) from the Gram matrix or matrix-free (J (Jᵀ v)). */
static void kmul(dgn *o, gn_mlp *net, int n, int formed, const double *v, double *out)
{
    if (formed) {
        gn_gemm(0, 0, n, 1, n, 1.0, o->K, n, v, 1, 0.0, out, 1);
    } else {
        gn_mlp_vjp(net, v, o->tmp);
        gn_mlp_jvp(net, o->tmp, out);
    }
}

/* Square-loss dual objective and gap at x (α = μ x, μ = b/η) given kx = K x. */
static void square_dual(int n, int b, double eta, const double *r, const double *x,
                        const double *kx, double *dual, double *gap)
{
    double mu = b / eta, xr = 0, xx = 0, xkx = 0, res2 = 0;
    for (int j = 0; j < n; j++) {
        xr += x[j] * r[j], xx += x[j] * x[j], xkx += x[j] * kx[j];
        res2 += (r[j] - kx[j]) * (r[j] - kx[j]);
    }
    double P = res2 / (2.0 * b) + xkx / (2.0 * eta);
    double D = (mu * xr - 0.5 * mu * mu * xx) / b - mu * xkx / (2.0 * b);
    *dual = D;
    *gap = P - D;
}

/* Square loss, dual form. r = o->a0 holds the residuals. Writes x =
 * (K + μ I)⁻¹ r (approximately) to o->x and returns the inner iterations. */
static int solve_square(dgn *o, gn_mlp *net, int n, int b, gn_step_info *info, double *mu_used)
{
    const double *r = o->a0;
    double mu = b / o->eta;
    if (o->chol) {
        int raises = 0;
        if (gn_chol_factor_damped(n, o->K, mu, o->Lf, mu_used, &raises) != 0) {
            snprintf(info->note, sizeof info->note,
                     "Cholesky of K + (b/lr) I failed for every damping up to the bound");
            info->damping_raises = raises;
            return -1;
        }
        info->damping_raises = raises;
        if (raises)
            snprintf(info->note, sizeof info->note,
                     "Cholesky failed; damping raised %d times to %.3g", raises, *mu_used);
        memcpy(o->x, r, sizeof(double) * n);
        gn_chol_solve(n, o->Lf, 1, o->x);
        gn_gemm(0, 0, n, 1, n, 1.0, o->K, n, o->x, 1, 0.0, o->kx, 1);
        return 0;
    }
    /* CG on (K + μ I) x = r from x₀ = r/μ; kx = K x tracked by the recurrences. */
    *mu_used = mu;
    for (int j = 0; j < n; j++)
        o->x[j] = r[j] / mu;
    kmul(o, net, n, 0, o->x, o->kx);
    for (int j = 0; j < n; j++)
        o->res[j] = -o->kx[j], o->p[j] = o->res[j];
    double rr = gn_dot(n, o->res, o->res), dual, gap;
    square_dual(n, b, o->eta, r, o->x, o->kx, &dual, &gap);
    int it = 0;
    while (it < o->inner && (o->tol == 0 || gap > o->tol) && rr > 0) {
        kmul(o, net, n, 0, o->p, o->q); /* q = K p */
        double pAp = gn_dot(n, o->p, o->q) + mu * gn_dot(n, o->p, o->p);
        if (!(pAp > 0)) break;
        double a = rr / pAp;
        memcpy(o->xp, o->x, sizeof(double) * n);
        memcpy(o->lbn, o->kx, sizeof(double) * n); /* previous K x */
        gn_axpy(n, a, o->p, o->x);
        gn_axpy(n, a, o->q, o->kx);
        /* ⟨g, d⟩ = −(1/b) rᵀ K x must stay negative */
        if (!(gn_dot(n, r, o->kx) > 0)) {
            memcpy(o->x, o->xp, sizeof(double) * n);
            memcpy(o->kx, o->lbn, sizeof(double) * n);
            o->descent_stop = 1;
            break;
        }
        for (int j = 0; j < n; j++)
            o->res[j] -= a * (o->q[j] + mu * o->p[j]);
        double rr1 = gn_dot(n, o->res, o->res);
        for (int j = 0; j < n; j++)
            o->p[j] = o->res[j] + (rr1 / rr) * o->p[j];
        rr = rr1;
        it++;
        square_dual(n, b, o->eta, r, o->x, o->kx, &dual, &gap);
    }
    return it;
}

/* log Σ exp over c entries */
static double lse(const double *v, int c)
{
    double mx = v[0], s = 0;
    for (int k = 1; k < c; k++)
        if (v[k] > mx) mx = v[k];
    for (int k = 0; k < c; k++)
        s += exp(v[k] - mx);
    return mx + log(s);
}

/* Cross-entropy dual objective and gap at (α, log β, w = K α); also z. */
static void xent_dual(dgn *o, int b, int c, const double *F, const double *Y, const double *al,
                      const double *lb, const double *w, double *z, double *dual, double *gap)
{
    int n = b * c;
    double quad = gn_dot(n, al, w), af = gn_dot(n, al, F), phi = 0;
    for (int i = 0; i < b; i++) {
        double s = 0;
        for (int k = 0; k < c; k++)
            s += Y[i * c + k];
        if (!(s > 0)) continue;
        double ls = log(s);
        for (int k = 0; k < c; k++) {
            double l = lb[i * c + k];
            if (exp(l) > 0) phi += exp(l) * (l - ls);
        }
    }
    for (int j = 0; j < n; j++)
        z[j] = F[j] - o->eta / b * w[j];
    double P = gn_loss_value(GN_LOSS_XENT, z, Y, b, c) + o->eta * quad / (2.0 * b * b);
    double D = (af - phi) / b - o->eta * quad / (2.0 * b * b);
    *dual = D;
    *gap = P - D;
}

/* Softmax cross-entropy, dual form: proximal mirror ascent from α₀ (in
 * o->a0). Leaves α in o->al and returns the inner iterations. */
static int solve_xent(dgn *o, gn_mlp *net, int b, int c, const double *F, const double *Y,
                      double *dual, double *gap)
{
    int n = b * c, formed = o->chol;
    double eta = o->eta;
    memcpy(o->al, o->a0, sizeof(double) * n);
    for (int i = 0; i < b; i++) { /* log β = log s + log softmax(f) */
        double s = 0;
        for (int k = 0; k < c; k++)
            s += Y[i * c + k];
        double l = lse(F + i * c, c), ls = s > 0 ? log(s) : -INFINITY;
        for (int k = 0; k < c; k++)
            o->lb[i * c + k] = F[i * c + k] - l + ls;
    }
    kmul(o, net, n, formed, o->al, o->w);
    xent_dual(o, b, c, F, Y, o->al, o->lb, o->w, o->z, dual, gap);
    double aa = gn_dot(n, o->a0, o->a0), awa = gn_dot(n, o->a0, o->w);
    double tau = awa > 0 && aa > 0 ? b * aa / (eta * awa) : 1.0;
    int it = 0;
    while (it < o->inner && (o->tol == 0 || *gap > o->tol)) {
        int accepted = 0;
        for (int bt = 0; bt < 60 && !accepted; bt++) {
            double om = tau / (1.0 + tau);
            for (int i = 0; i < b; i++) {
                double s = 0;
                for (int k = 0; k < c; k++)
                    s += Y[i * c + k];
                double *ln = o->lbn + i * c;
                if (!(s > 0)) { /* ℓ* is the indicator of α_i = −y_i: the row stays */
                    for (int k = 0; k < c; k++)
                        ln[k] = o->lb[i * c + k];
                    continue;
                }
                for (int k = 0; k < c; k++)
                    ln[k] = (1.0 - om) * o->lb[i * c + k] + om * o->z[i * c + k];
                double shift = lse(ln, c) - log(s);
                for (int k = 0; k < c; k++)
                    ln[k] -= shift;
            }
            for (int j = 0; j < n; j++)
                o->an[j] = exp(o->lbn[j]) - Y[j];
            kmul(o, net, n, formed, o->an, o->wn);
            double dkd = 0, kl = 0, scale_d = 0, scale_k = 0;
            for (int j = 0; j < n; j++) {
                double dl = o->an[j] - o->al[j], bn = exp(o->lbn[j]);
                dkd += dl * (o->wn[j] - o->w[j]);
                scale_d += fabs(dl) * (fabs(o->wn[j]) + fabs(o->w[j]));
                if (bn > 0) { /* 0 log 0 = 0 (rows held fixed have log β = −inf) */
                    kl += bn * (o->lbn[j] - o->lb[j]);
                    scale_k += bn * (fabs(o->lbn[j]) + fabs(o->lb[j]));
                }
            }
            double lhs = eta / (2.0 * b) * dkd, rhs = kl / tau;
            double slack = 1e-12 * (eta / (2.0 * b) * scale_d + scale_k / tau);
            if (lhs <= rhs + slack)
                accepted = 1;
            else
                tau *= 0.5;
        }
        if (!accepted) break;
        /* ⟨g, d⟩ = −(η/b²) α₀ᵀ K α must stay negative */
        if (!(gn_dot(n, o->a0, o->wn) > 0)) {
            o->descent_stop = 1;
            break;
        }
        double *t;
        t = o->al, o->al = o->an, o->an = t;
        t = o->lb, o->lb = o->lbn, o->lbn = t;
        t = o->w, o->w = o->wn, o->wn = t;
        it++;
        xent_dual(o, b, c, F, Y, o->al, o->lb, o->w, o->z, dual, gap);
    }
    return it;
}

/* Primal form: CG on (JᵀHJ/b + I/η) d = −g from d = 0 into o->d. The
 * output Hessians are applied from the probabilities in o->pr (xent). */
static int solve_primal(dgn *o, gn_mlp *net, gn_loss_kind loss, int b, int c, const double *Y)
{
    int m = (int)o->m, n = b * c;
    memset(o->d, 0, sizeof(double) * m);
    for (int j = 0; j < m; j++)
        o->cr[j] = -o->g[j], o->cp[j] = o->cr[j];
    double rr = gn_dot(m, o->cr, o->cr), stop = o->tol * sqrt(rr);
    int it = 0, max_it = o->inner > 0 ? o->inner : 1;
    while (it < max_it && rr > 0 && (it == 0 || sqrt(rr) > stop)) {
        /* cq = (1/b) Jᵀ H J cp + cp/η */
        gn_mlp_jvp(net, o->cp, o->q);
        if (loss == GN_LOSS_XENT) {
            for (int i = 0; i < b; i++) {
                double s = 0, pv = 0;
                const double *pi = o->pr + i * c;
                double *qi = o->q + i * c;
                for (int k = 0; k < c; k++)
                    s += Y[i * c + k], pv += pi[k] * qi[k];
                for (int k = 0; k < c; k++)
                    qi[k] = s * (pi[k] * qi[k] - pi[k] * pv);
            }
        }
        gn_scal(n, 1.0 / b, o->q);
        gn_mlp_vjp(net, o->q, o->cq);
        gn_axpy(m, 1.0 / o->eta, o->cp, o->cq);
        double pAp = gn_dot(m, o->cp, o->cq);
        if (!(pAp > 0)) break;
        double a = rr / pAp;
        gn_axpy(m, a, o->cp, o->d);
        gn_axpy(m, -a, o->cq, o->cr);
        double rr1 = gn_dot(m, o->cr, o->cr);
        for (int j = 0; j < m; j++)
            o->cp[j] = o->cr[j] + (rr1 / rr) * o->cp[j];
        rr = rr1;
        it++;
    }
    return it;
}

/* √(vᵀKv) = ‖Jᵀv‖ from the formed Gram matrix (o->q: scratch). */
static double knorm(dgn *o, int n, const double *v)
{
    gn_gemm(0, 0, n, 1, n, 1.0, o->K, n, v, 1, 0.0, o->q, 1);
    return sqrt(fmax(gn_dot(n, v, o->q), 0.0));
}

/* Feeds the direction o->d to the base optimizer (θ, its step norm). */
static void feed_base(dgn *o, const gn_step_ctx *ctx, int m, gn_step_info *info)
{
    double *th = ctx->model->theta;
    if (o->adam) {
        o->t++;
        double c1 = 1.0 - pow(o->beta1, (double)o->t), c2 = 1.0 - pow(o->beta2, (double)o->t);
        double s2 = 0, alr = gn_step_lr(ctx, o->adam_lr);
        for (int j = 0; j < m; j++) {
            double gh = -o->d[j] / o->eta;
            o->v1[j] = o->beta1 * o->v1[j] + (1.0 - o->beta1) * gh;
            o->v2[j] = o->beta2 * o->v2[j] + (1.0 - o->beta2) * gh * gh;
            double st = -alr * (o->v1[j] / c1) / (sqrt(o->v2[j] / c2) + o->eps);
            th[j] += st;
            s2 += st * st;
        }
        info->step_norm = sqrt(s2);
    } else if (o->mom > 0) {
        for (int j = 0; j < m; j++)
            o->v1[j] = o->mom * o->v1[j] + o->d[j];
        gn_axpy(m, 1.0, o->v1, th);
        info->step_norm = gn_nrm2(m, o->v1);
    } else {
        gn_axpy(m, 1.0, o->d, th);
        info->step_norm = gn_nrm2(m, o->d);
    }
}

static int dgn_step(gn_optim *opt, const gn_step_ctx *ctx, gn_step_info *info)
{
    dgn *o = (dgn *)opt;
    gn_mlp *net = ctx->model;
    int b = ctx->b, c = ctx->c, n = b * c, m = (int)o->m;
    /* the schedule scales the step size: eta with base sgd, adam_lr with base adam */
    o->eta = o->adam ? o->eta0 : gn_step_lr(ctx, o->eta0);
    gn_loss_kind loss = ctx->loss;
    if (loss != GN_LOSS_SQUARE && loss != GN_LOSS_XENT) {
        snprintf(info->note, sizeof info->note, "dgn supports loss: square|xent");
        return -1;
    }
    if (n > o->max_rows) {
        snprintf(info->note, sizeof info->note, "batch larger than the workspace");
        return -1;
    }
    o->descent_stop = 0;

    double t0 = gn_now();
    const double *F = gn_mlp_forward(net, ctx->X, b);
    info->batch_loss = gn_loss_value(loss, F, ctx->Y, b, c);
    gn_loss_sample_grad(loss, F, ctx->Y, b, c, o->a0); /* α₀ = ∇ℓ(f) (b, c) */
    double t1 = gn_now();
    int dual_form = o->form == FORM_DUAL || (o->form == FORM_AUTO && (size_t)n < o->m);
    /* with K formed no gradient vector, maybe no direction (file header) */
    int gram = dual_form && o->chol, into_theta = gram && !o->adam && !(o->mom > 0);
    if (!gram) {
        gn_mlp_vjp(net, o->a0, o->g);
        gn_scal(m, 1.0 / b, o->g); /* g = (1/b) Jᵀ α₀ */
        info->grad_norm = gn_nrm2(m, o->g);
    }
    double t2 = gn_now();
    int iters = 0;
    double dual = NAN, gap = NAN, t3, t4;
    if (dual_form) {
        if (o->chol) {
            gn_mlp_gram(net, o->K);
            info->grad_norm = knorm(o, n, o->a0) / b;
            if (ctx->iteration == 0 && n <= 4096)
                gn_kernel_spectrum(n, o->K, o->Lf, o->eig, &info->kernel_lambda_min,
                                   &info->kernel_cond);
        }
        t3 = gn_now();
        if (loss == GN_LOSS_SQUARE) {
            double mu;
            iters = solve_square(o, net, n, b, info, &mu);
            if (iters < 0) return -1;
            square_dual(n, b, b / mu, o->a0, o->x, o->kx, &dual, &gap);
            info->damping = mu;
            t4 = gn_now();
        } else {
            iters = solve_xent(o, net, b, c, F, ctx->Y, &dual, &gap);
            t4 = gn_now();
        }
        /* d = sc Jᵀ v: −Jᵀ x (square), −(η/b) Jᵀ α (xent); ‖d‖ = |sc| √(vᵀKv) */
        int sq = loss == GN_LOSS_SQUARE;
        const double *v = sq ? o->x : o->al;
        double sc = sq ? -1.0 : -o->eta / b;
        if (into_theta) {
            gn_mlp_jt_vec_add(net, v, sc, net->theta);
            info->step_norm = -sc * knorm(o, n, v);
        } else {
            if (o->chol)
                gn_mlp_jt_vec(net, v, o->d);
            else
                gn_mlp_vjp(net, v, o->d);
            gn_scal(m, sc, o->d);
        }
    } else {
        if (loss == GN_LOSS_XENT)
            for (int i = 0; i < b; i++) { /* probabilities for the output Hessians */
                double l = lse(F + i * c, c);
                for (int k = 0; k < c; k++)
                    o->pr[i * c + k] = exp(F[i * c + k] - l);
            }
        t3 = gn_now();
        iters = solve_primal(o, net, loss, b, c, ctx->Y);
        t4 = gn_now();
    }
    if (o->descent_stop)
        snprintf(info->note, sizeof info->note,
                 "inner iterate %d was not a descent direction; kept iterate %d", iters + 1, iters);

    if (!into_theta) feed_base(o, ctx, m, info);
    double t5 = gn_now();

    info->lr = o->eta;
    info->extra[0] = dual;
    info->extra[1] = gap;
    info->extra[2] = iters;
    info->t_forward = t1 - t0;
    info->t_backward = (t2 - t1) + (t5 - t4);
    info->t_curvature = t3 - t2;
    info->t_solve = t4 - t3;
    return 0;
}

static void dgn_plan(const void *hparams, const gn_optim_shape *sh, gn_optim_plan *out)
{
    const dgn_hparams *hp = hparams;
    if (hp->solver == SOLVER_CG)
        gn_optim_plan_matrix_free(sh, sh->batch, hp->inner_iters, out);
    else
        gn_optim_plan_gram(sh, sh->batch, out);
    dgn tmp;
    memset(&tmp, 0, sizeof tmp);
    gn_ws ws;
    gn_ws_measure(&ws);
    dgn_layout(&tmp, &ws, hp, sh);
    out->workspace_bytes = (double)ws.used;
}

const gn_optim_ops gn_opt_dgn = {
    .version = GN_OPTIM_OPS_VERSION,
    .name = "dgn",
    .summary = "dual Gauss-Newton directions as a drop-in for SGD or Adam (Roulet & Blondel 2023)",
    .params = dgn_params,
    .hparams_size = sizeof(dgn_hparams),
    .full_batch = 0,
    .losses = GN_LOSS_BIT(GN_LOSS_SQUARE) | GN_LOSS_BIT(GN_LOSS_XENT),
    .trace_columns = dgn_columns,
    .create = dgn_create,
    .step = dgn_step,
    .destroy = dgn_destroy,
    .plan = dgn_plan,
};
