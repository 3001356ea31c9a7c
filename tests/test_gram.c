/* test_gram.c: the layer-wise Gram trick and Jᵀv against the explicit
 * Jacobian built row by row. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "la/blas.h"
#include "model/mlp.h"
#include "core/rng.h"
#include "tolerances.h"

static void check_gram(int depth, int c, int b, gn_act act, int ntk, int bias)
{
    gn_blas_init(1);
    gn_mlp net;
    gn_rng rng;
    char err[128];
    gn_mlp_config cfg = {
        .n_layers = depth + 1, .act = act, .ntk = ntk, .bias = bias, .output_scale = 0.8};
    cfg.sizes[0] = 6;
    for (int l = 1; l <= depth; l++)
        cfg.sizes[l] = 5 + 2 * l;
    cfg.sizes[depth + 1] = c;
    cr_assert_eq(gn_mlp_init(&net, &cfg, b, err, sizeof err), 0, "%s", err);
    gn_rng_seed(&rng, 3, "gram");
    gn_mlp_init_params(&net, &rng);
    double *X = malloc(sizeof(double) * b * 6);
    for (int j = 0; j < b * 6; j++)
        X[j] = gn_rng_normal(&rng);
    int rows = b * c;
    double *K = malloc(sizeof(double) * rows * rows), *J = malloc(sizeof(double) * rows * net.m);
    double *v = malloc(sizeof(double) * rows), *jtv = malloc(sizeof(double) * net.m);
    gn_mlp_forward(&net, X, b);
    gn_mlp_jacobian(&net, J);
    gn_mlp_gram(&net, K);
    double dmax = 0, kmax = 0;
    for (int r = 0; r < rows; r++)
        for (int s = 0; s < rows; s++) {
            double e = 0;
            for (size_t p = 0; p < net.m; p++)
                e += J[r * net.m + p] * J[s * net.m + p];
            dmax = fmax(dmax, fabs(e - K[r * rows + s]));
            kmax = fmax(kmax, fabs(e));
        }
    cr_expect_lt(dmax / kmax, GN_TOL_EXACT_REL, "depth %d c %d: max |K - JJ^T| / max|K| = %.3g",
                 depth, c, dmax / kmax);
    for (int r = 0; r < rows; r++)
        v[r] = gn_rng_normal(&rng);
    gn_mlp_jt_vec(&net, v, jtv);
    double d2 = 0, s2 = 0;
    for (size_t p = 0; p < net.m; p++) {
        double e = 0;
        for (int r = 0; r < rows; r++)
            e += J[r * net.m + p] * v[r];
        d2 += (e - jtv[p]) * (e - jtv[p]);
        s2 += e * e;
    }
    cr_expect_lt(sqrt(d2 / s2), GN_TOL_EXACT_REL, "J^T v relative error %.3g", sqrt(d2 / s2));
    free(X), free(K), free(J), free(v), free(jtv);
    gn_mlp_free(&net);
}

Test(gram, equals_explicit_jjt_one_output)
{
    check_gram(2, 1, 7, GN_ACT_TANH, 1, 1);
}

Test(gram, equals_explicit_jjt_several_outputs)
{
    check_gram(2, 4, 5, GN_ACT_GELU, 1, 1);
}

Test(gram, equals_explicit_jjt_standard_no_bias)
{
    check_gram(3, 3, 4, GN_ACT_SOFTPLUS, 0, 0);
}

Test(gram, equals_explicit_jjt_linear_model)
{
    check_gram(0, 2, 6, GN_ACT_RELU, 1, 1);
}

Test(gram, equals_explicit_jjt_relu_deep)
{
    check_gram(4, 2, 3, GN_ACT_RELU, 0, 1);
}
