/* loss.c: training losses on network outputs. square: mean over samples of
 * ½‖f − y‖². */
#include <string.h>

#include "loss.h"

const gn_loss_info gn_losses[] = {
    {"square", "mean over samples of 1/2 ||f(x) - y||^2 (regression)"},
    {NULL, NULL},
};

int gn_loss_parse(const char *name, gn_loss_kind *out)
{
    if (strcmp(name, "square") == 0) {
        *out = GN_LOSS_SQUARE;
        return 0;
    }
    return -1;
}

double gn_loss_value(gn_loss_kind k, const double *F, const double *Y, int b, int c)
{
    (void)k;
    double s = 0;
    size_t n = (size_t)b * c;
    for (size_t j = 0; j < n; j++) {
        double r = F[j] - Y[j];
        s += r * r;
    }
    return b ? 0.5 * s / b : 0.0;
}

void gn_loss_grad(gn_loss_kind k, const double *F, const double *Y, int b, int c, double *G)
{
    (void)k;
    size_t n = (size_t)b * c;
    for (size_t j = 0; j < n; j++) G[j] = (F[j] - Y[j]) / b;
}
