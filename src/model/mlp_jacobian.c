/* mlp_jacobian.c: the explicit Jacobian (mlp.h), row by row through the
 * VJP; for tests and tiny problems. */
#include <stdlib.h>

#include "model/mlp.h"

void gn_mlp_jacobian(gn_mlp *net, double *J)
{
    int rows = net->b * net->c;
    double *e = calloc((size_t)rows, sizeof(double));
    if (!e) return;
    for (int r = 0; r < rows; r++) {
        e[r] = 1.0;
        gn_mlp_vjp(net, e, J + (size_t)r * net->m);
        e[r] = 0.0;
    }
    free(e);
}
