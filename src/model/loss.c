/* loss.c: square, softmax cross-entropy and sigmoid cross-entropy losses,
 * their gradients, factored output Hessians, predictive sampling and
 * accuracy. Softmax and sigmoid are evaluated in their overflow-safe forms. */
#include <math.h>
#include <string.h>

#include "model/loss.h"

const gn_loss_info gn_losses[] = {
    {"square", "mean over samples of 1/2 ||f(x) - y||^2 (regression)"},
    {"xent", "mean softmax cross-entropy (classification; targets one-hot, or class indices in "
             "csv files)"},
    {"bxent", "mean over samples of the summed sigmoid cross-entropy per output (targets in "
              "[0, 1], e.g. autoencoders on pixels)"},
    {NULL, NULL},
};

int gn_loss_parse(const char *name, gn_loss_kind *out)
{
    for (int k = 0; k < GN_LOSS_COUNT; k++)
        if (name && strcmp(name, gn_losses[k].name) == 0) {
            *out = (gn_loss_kind)k;
            return 0;
        }
    return -1;
}

const char *gn_loss_name(gn_loss_kind k)
{
    return k >= 0 && k < GN_LOSS_COUNT ? gn_losses[k].name : "?";
}

int gn_loss_is_classification(gn_loss_kind k)
{
    return k == GN_LOSS_XENT || k == GN_LOSS_BXENT;
}

gn_targets gn_loss_targets(gn_loss_kind k)
{
    return k == GN_LOSS_XENT    ? GN_TARGETS_ONEHOT
           : k == GN_LOSS_BXENT ? GN_TARGETS_PROBS
                                : GN_TARGETS_VALUES;
}

/* p (c) = softmax(f); returns log Σ exp f. The callers write p into their
 * own output rows, so no class count is too large. */
static double softmax(const double *f, int c, double *p)
{
    double mx = f[0];
    for (int k = 1; k < c; k++)
        if (f[k] > mx) mx = f[k];
    double s = 0;
    for (int k = 0; k < c; k++)
        s += (p[k] = exp(f[k] - mx));
    for (int k = 0; k < c; k++)
        p[k] /= s;
    return mx + log(s);
}

static double sigmoid(double x)
{
    if (x >= 0) return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

/* log(1 + exp(x)) without overflow */
static double log1pexp(double x)
{
    return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

double gn_loss_value(gn_loss_kind k, const double *F, const double *Y, int b, int c)
{
    double s = 0;
    if (b <= 0) return 0.0;
    for (int i = 0; i < b; i++) {
        const double *f = F + (size_t)i * c, *y = Y + (size_t)i * c;
        switch (k) {
        case GN_LOSS_XENT: {
            double mx = f[0], z = 0, dot = 0, ysum = 0;
            for (int j = 1; j < c; j++)
                if (f[j] > mx) mx = f[j];
            for (int j = 0; j < c; j++)
                z += exp(f[j] - mx);
            double lse = mx + log(z);
            for (int j = 0; j < c; j++)
                dot += y[j] * f[j], ysum += y[j];
            s += ysum * lse - dot;
            break;
        }
        case GN_LOSS_BXENT:
            /* −y log σ(f) − (1−y) log(1−σ(f)) = log(1+e^f) − y f */
            for (int j = 0; j < c; j++)
                s += log1pexp(f[j]) - y[j] * f[j];
            break;
        default:
            for (int j = 0; j < c; j++)
                s += 0.5 * (f[j] - y[j]) * (f[j] - y[j]);
        }
    }
    return s / b;
}

void gn_loss_sample_grad(gn_loss_kind k, const double *F, const double *Y, int b, int c, double *R)
{
    for (int i = 0; i < b; i++) {
        const double *f = F + (size_t)i * c, *y = Y + (size_t)i * c;
        double *r = R + (size_t)i * c;
        switch (k) {
        case GN_LOSS_XENT: {
            double ysum = 0;
            softmax(f, c, r);
            for (int j = 0; j < c; j++)
                ysum += y[j];
            for (int j = 0; j < c; j++)
                r[j] = ysum * r[j] - y[j];
            break;
        }
        case GN_LOSS_BXENT:
            for (int j = 0; j < c; j++)
                r[j] = sigmoid(f[j]) - y[j];
            break;
        default:
            for (int j = 0; j < c; j++)
                r[j] = f[j] - y[j];
        }
    }
}

void gn_loss_grad(gn_loss_kind k, const double *F, const double *Y, int b, int c, double *G)
{
    gn_loss_sample_grad(k, F, Y, b, c, G);
    size_t n = (size_t)b * c;
    for (size_t j = 0; j < n; j++)
        G[j] /= b;
}

void gn_loss_hess_factor(gn_loss_kind k, const double *F, int b, int c, double *A)
{
    for (int i = 0; i < b; i++) {
        const double *f = F + (size_t)i * c;
        double *a = A + (size_t)i * c * c;
        memset(a, 0, sizeof(double) * c * c);
        switch (k) {
        case GN_LOSS_XENT: {
            /* diag(p) − p pᵀ = A Aᵀ with A = diag(√p) − p √pᵀ, since Σ p = 1.
             * p is kept in the last row, which is filled last, in place. */
            double *p = a + (size_t)(c - 1) * c;
            softmax(f, c, p);
            for (int r = 0; r < c - 1; r++)
                for (int s = 0; s < c; s++)
                    a[(size_t)r * c + s] = (r == s ? sqrt(p[r]) : 0.0) - p[r] * sqrt(p[s]);
            double pl = p[c - 1];
            for (int s = 0; s < c; s++) {
                double rs = sqrt(p[s]);
                p[s] = (s == c - 1 ? rs : 0.0) - pl * rs;
            }
            break;
        }
        case GN_LOSS_BXENT:
            for (int r = 0; r < c; r++) {
                double s = sigmoid(f[r]);
                a[r * c + r] = sqrt(s * (1 - s));
            }
            break;
        default:
            for (int r = 0; r < c; r++)
                a[r * c + r] = 1.0;
        }
    }
}

void gn_loss_sample_targets(gn_loss_kind k, const double *F, int b, int c, gn_rng *rng, double *Y)
{
    for (int i = 0; i < b; i++) {
        const double *f = F + (size_t)i * c;
        double *y = Y + (size_t)i * c;
        switch (k) {
        case GN_LOSS_XENT: {
            softmax(f, c, y); /* probabilities first, then the one-hot row */
            double u = gn_rng_uniform(rng), acc = 0;
            int pick = c - 1;
            for (int j = 0; j < c; j++) {
                acc += y[j];
                if (u < acc) {
                    pick = j;
                    break;
                }
            }
            for (int j = 0; j < c; j++)
                y[j] = j == pick;
            break;
        }
        case GN_LOSS_BXENT:
            for (int j = 0; j < c; j++)
                y[j] = gn_rng_uniform(rng) < sigmoid(f[j]);
            break;
        default:
            for (int j = 0; j < c; j++)
                y[j] = f[j] + gn_rng_normal(rng);
        }
    }
}

double gn_loss_accuracy(gn_loss_kind k, const double *F, const double *Y, int b, int c)
{
    if (!gn_loss_is_classification(k) || b <= 0) return NAN;
    double hits = 0;
    for (int i = 0; i < b; i++) {
        const double *f = F + (size_t)i * c, *y = Y + (size_t)i * c;
        if (k == GN_LOSS_XENT) {
            int af = 0, ay = 0;
            for (int j = 1; j < c; j++) {
                if (f[j] > f[af]) af = j;
                if (y[j] > y[ay]) ay = j;
            }
            hits += af == ay;
        } else {
            int h = 0;
            for (int j = 0; j < c; j++)
                h += (f[j] > 0) == (y[j] > 0.5);
            hits += (double)h / c;
        }
    }
    return hits / b;
}
