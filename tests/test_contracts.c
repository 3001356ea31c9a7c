/* test_contracts.c: the contract checks that stay on in the release build
 * (GN_ASSERT, core/gn_assert.h). Each test breaks a contract on purpose and
 * expects the abort; they are death tests, so the valgrind pass skips this
 * suite (a process that aborts leaves its memory behind by design). */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>

#include "la/blas.h"
#include "model/mlp.h"

/* The capacity contracts hold in the release build too (GN_ASSERT, not
 * assert): a batch larger than the workspace aborts instead of writing past
 * it. */
Test(contracts, mlp_forward_beyond_capacity_aborts_in_every_build, .signal = SIGABRT)
{
    gn_blas_init(1);
    gn_mlp_config cfg = {.n_layers = 2,
                         .sizes = {5, 4, 2},
                         .act = GN_ACT_TANH,
                         .ntk = 1,
                         .bias = 1,
                         .output_scale = 1};
    gn_mlp net;
    char err[128];
    cr_assert_eq(gn_mlp_init(&net, &cfg, 4, err, sizeof err), 0, "%s", err);
    static double X[8 * 5];
    gn_mlp_forward(&net, X, 8);
}

Test(contracts, mlp_gram_beyond_gram_capacity_aborts_in_every_build, .signal = SIGABRT)
{
    gn_blas_init(1);
    gn_mlp_config cfg = {.n_layers = 2,
                         .sizes = {3, 4, 2},
                         .act = GN_ACT_TANH,
                         .ntk = 1,
                         .bias = 1,
                         .output_scale = 1};
    gn_mlp net;
    char err[128];
    cr_assert_eq(gn_mlp_init_ex(&net, &cfg, 6, 2, err, sizeof err), 0, "%s", err);
    double X[6 * 3] = {0}, K[12 * 12];
    gn_mlp_forward(&net, X, 6);
    gn_mlp_gram(&net, K);
}
