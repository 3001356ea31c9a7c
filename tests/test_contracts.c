/* test_contracts.c: the contract checks that stay on in the release build
 * (GN_ASSERT, core/gn_assert.h). Each test breaks a contract on purpose and
 * expects the abort; they are death tests, so the valgrind pass skips this
 * suite (a process that aborts leaves its memory behind by design). */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>

#include "la/blas.h"
#include "model/mlp.h"

/* A tanh network d -> 4 -> 2 for batches up to max_batch, Gram products up
 * to max_gram samples. */
static void small_net(gn_mlp *net, int d, int max_batch, int max_gram)
{
    gn_blas_init(1);
    gn_mlp_config cfg = {.n_layers = 2,
                         .sizes = {d, 4, 2},
                         .act = GN_ACT_TANH,
                         .ntk = 1,
                         .bias = 1,
                         .output_scale = 1};
    char err[128];
    cr_assert_eq(gn_mlp_init_ex(net, &cfg, max_batch, max_gram, err, sizeof err), 0, "%s", err);
}

/* The capacity contracts hold in the release build too (GN_ASSERT, not
 * assert): a batch larger than the workspace aborts instead of writing past
 * it. */
Test(contracts, mlp_forward_beyond_capacity_aborts_in_every_build, .signal = SIGABRT)
{
    gn_mlp net;
    small_net(&net, 5, 4, 0);
    static double X[8 * 5];
    gn_mlp_forward(&net, X, 8);
}

Test(contracts, mlp_gram_beyond_gram_capacity_aborts_in_every_build, .signal = SIGABRT)
{
    gn_mlp net;
    small_net(&net, 3, 6, 2);
    double X[6 * 3] = {0}, K[12 * 12];
    gn_mlp_forward(&net, X, 6);
    gn_mlp_gram(&net, K);
}
