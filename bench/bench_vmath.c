/* bench_vmath.c: why src/la/vmath.c exists. Times tanh over a (batch x width)
 * block of pre-activations, as the forward pass of a tanh layer does, with
 * libm's scalar tanh and with each libmvec variant this CPU runs, next to
 * the layer's own gemm (batch x width x width) measured in the same run.
 *
 * usage: bench_vmath [--width W] [--batch B] [--reps R] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "la/blas.h"
#include "optim/optim.h"
#include "la/vmath.h"

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int width = 1024, batch = 128, reps = 50;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--width"))
            width = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--batch"))
            batch = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--reps"))
            reps = atoi(argv[i + 1]);
        else {
            fprintf(stderr, "bench_vmath: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (width < 1 || batch < 1 || reps < 1) {
        fprintf(stderr, "bench_vmath: width, batch and reps must be >= 1\n");
        return 2;
    }
    gn_blas_init(1);
    size_t n = (size_t)batch * width;
    double *Z = malloc(n * sizeof *Z), *A = malloc(n * sizeof *A);
    double *W = malloc((size_t)width * width * sizeof *W), *t = malloc(reps * sizeof *t);
    if (!Z || !A || !W || !t) return 1;
    for (size_t i = 0; i < n; i++)
        Z[i] = sin(0.37 * (double)i) * 2.5; /* typical range */
    for (size_t i = 0; i < (size_t)width * width; i++)
        W[i] = cos(0.11 * (double)i);

    /* rows: scalar libm, then every vector variant; last the layer's gemm.
     * Interleaved: each repetition times every row once. */
    const char *names[] = {"libm scalar", "scalar", "sse2", "avx2", "avx512", "gemm"};
    int usable[6] = {1, 1, 0, 0, 0, 1};
    for (int v = 2; v <= 4; v++)
        usable[v] = gn_vmath_select(names[v]) == 0;
    double med[6] = {0};
    double *all = malloc(6 * (size_t)reps * sizeof *all);
    for (int r = 0; r < reps; r++)
        for (int v = 0; v < 6; v++) {
            if (!usable[v]) continue;
            double t0 = gn_now();
            if (v == 0)
                for (size_t i = 0; i < n; i++)
                    A[i] = tanh(Z[i]);
            else if (v == 5)
                gn_gemm(0, 1, batch, width, width, 1.0, Z, width, W, width, 0.0, A, width);
            else {
                gn_vmath_select(names[v]);
                gn_vtanh(A, Z, n);
            }
            all[(size_t)v * reps + r] = gn_now() - t0;
        }
    printf("tanh over %d x %d = %zu elements, %d reps (medians)\n", batch, width, n, reps);
    for (int v = 0; v < 6; v++) {
        if (!usable[v]) continue;
        memcpy(t, all + (size_t)v * reps, reps * sizeof *t);
        qsort(t, reps, sizeof *t, cmp);
        med[v] = t[reps / 2];
    }
    for (int v = 0; v < 6; v++) {
        if (!usable[v]) continue;
        printf("%-12s %8.3f ms  %6.2f ns/element  %5.2fx libm  %5.2f of the gemm\n",
               v == 1 ? "vmath scalar" : names[v], 1e3 * med[v], 1e9 * med[v] / (double)n,
               med[0] / med[v], med[v] / med[5]);
    }
    free(Z), free(A), free(W), free(t), free(all);
    return 0;
}
