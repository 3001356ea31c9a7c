/* common.c: the helpers every dataset loader shares (declared in
 * dataset_impl.h): error messages, allocation of large arrays, choice
 * names, random subsets and splits, one-hot targets and standardization. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/rng.h"
#include "data/dataset_impl.h"

void gn_ds_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

void gn_ds_append(char *buf, size_t len, const char *fmt, ...)
{
    size_t u = strlen(buf);
    if (u + 1 >= len) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + u, len - u, fmt, ap);
    va_end(ap);
}

FILE *gn_ds_open_regular(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        gn_ds_err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        const char *what = S_ISDIR(st.st_mode)    ? "a directory"
                           : S_ISFIFO(st.st_mode) ? "a FIFO"
                           : S_ISCHR(st.st_mode)  ? "a character device"
                           : S_ISBLK(st.st_mode)  ? "a block device"
                           : S_ISSOCK(st.st_mode) ? "a socket"
                                                  : "not a regular file";
        gn_ds_err(err, errlen, "%s: cannot read: %s, expected a regular file", path, what);
        close(fd);
        return NULL;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        gn_ds_err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        close(fd);
    }
    return f;
}

int gn_ds_check_size(const char *what, long n_train, long n_test, long d, long c, char *err,
                     size_t errlen)
{
    double bytes = ((double)n_train + (double)n_test) * ((double)d + (double)c) * sizeof(double);
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0) return 0; /* unknown: the allocation decides */
    double cap = GN_DS_MEMORY_FRACTION * (double)pages * (double)page;
    if (bytes <= cap) return 0;
    gn_ds_err(err, errlen,
              "dataset.n_train = %ld (n_test %ld): the %s dataset would take about %.3g GiB "
              "((n_train + n_test) x (%ld inputs + %ld targets) doubles), more than %.0f%% of "
              "this machine's %.3g GiB of memory; lower dataset.n_train, dataset.n_test or the "
              "dimensions",
              n_train, n_test, what, bytes / 1073741824.0, d, c, 100 * GN_DS_MEMORY_FRACTION,
              cap / GN_DS_MEMORY_FRACTION / 1073741824.0);
    return -1;
}

void *gn_ds_malloc(size_t bytes)
{
    if (bytes < ((size_t)4 << 20)) return malloc(bytes ? bytes : 1);
    void *p = NULL;
    if (posix_memalign(&p, (size_t)2 << 20, bytes) != 0) return NULL;
#ifdef __linux__
    /* Fault the pages in now, as huge pages where the kernel allows: one
     * call instead of a fault per 4 KiB page, which costs more than the
     * data conversion itself on virtual machines. Failures are harmless. */
    size_t len = bytes & ~(size_t)4095;
#ifdef MADV_HUGEPAGE
    madvise(p, len, MADV_HUGEPAGE);
#endif
    madvise(p, len, 23 /* MADV_POPULATE_WRITE, Linux 5.14 */);
#endif
    return p;
}

void *gn_ds_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) return NULL;
    void *p = gn_ds_malloc(n * size);
    if (p) memset(p, 0, n * size);
    return p;
}

double *gn_ds_alloc(long n, long m)
{
    if (n <= 0 || m <= 0) return NULL;
    if ((unsigned long)n > SIZE_MAX / sizeof(double) / (unsigned long)m) return NULL;
    return gn_ds_malloc((size_t)n * (size_t)m * sizeof(double));
}

const char *gn_ds_choice_name(const char *choices, int i, char *buf, size_t len)
{
    const char *p = choices;
    for (int k = 0; p && k < i; k++) {
        p = strchr(p, '|');
        if (p) p++;
    }
    if (!p || i < 0) {
        snprintf(buf, len, "?");
        return buf;
    }
    const char *e = strchr(p, '|');
    snprintf(buf, len, "%.*s", e ? (int)(e - p) : (int)strlen(p), p);
    return buf;
}

int *gn_ds_subset(int N, int n, uint64_t seed, const char *stream)
{
    if (N <= 0 || n < 0 || n > N) return NULL;
    int *v = malloc((size_t)N * sizeof *v);
    if (!v) return NULL;
    for (int i = 0; i < N; i++)
        v[i] = i;
    if (n == N) return v;
    gn_rng r;
    gn_rng_seed(&r, seed, stream);
    for (int i = 0; i < n; i++) { /* the first n steps of a Fisher-Yates shuffle */
        int j = i + (int)gn_rng_below(&r, (uint64_t)(N - i));
        int t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
    /* back to file order by marking the chosen ones (O(N)) */
    unsigned char *mark = calloc((size_t)N, 1);
    if (!mark) {
        free(v);
        return NULL;
    }
    for (int i = 0; i < n; i++)
        mark[v[i]] = 1;
    int o = 0;
    for (int i = 0; i < N; i++)
        if (mark[i]) v[o++] = i;
    free(mark);
    return v;
}

int gn_ds_split(int N, int n_train, int n_test, uint64_t seed, const char *stream, int **train,
                int **test)
{
    *train = *test = NULL;
    int *perm = malloc((size_t)N * sizeof *perm);
    unsigned char *mark = calloc((size_t)N, 1);
    int *tr = malloc((size_t)(n_train > 0 ? n_train : 1) * sizeof *tr);
    int *te = malloc((size_t)(n_test > 0 ? n_test : 1) * sizeof *te);
    if (!perm || !mark || !tr || !te) {
        free(perm);
        free(mark);
        free(tr);
        free(te);
        return -1;
    }
    for (int i = 0; i < N; i++)
        perm[i] = i;
    gn_rng r;
    gn_rng_seed(&r, seed, stream);
    gn_rng_shuffle(&r, perm, N);
    for (int i = 0; i < n_train; i++)
        mark[perm[i]] = 1;
    for (int i = n_train; i < n_train + n_test; i++)
        mark[perm[i]] = 2;
    int a = 0, b = 0;
    for (int i = 0; i < N; i++) {
        if (mark[i] == 1) tr[a++] = i;
        if (mark[i] == 2) te[b++] = i;
    }
    free(perm);
    free(mark);
    *train = tr;
    *test = te;
    return 0;
}

/* v as a class index in [0, classes) (any index up to 1e6 when classes
 * <= 0), or -1 when it is not one. */
static int label_of(double v, int classes)
{
    if (!(v >= 0) || v != floor(v) || (classes > 0 && v >= classes) || v > 1e6) return -1;
    return (int)v;
}

int gn_ds_onehot(const double *Y, int n, const double *Yt, int nt, int *classes, double **out,
                 double **out_t, int *bad_row)
{
    *out = NULL;
    if (out_t) *out_t = NULL;
    int K = *classes, max = -1;
    for (int i = 0; i < n + nt; i++) {
        double v = i < n ? Y[i] : Yt[i - n];
        if (label_of(v, K) < 0) {
            *bad_row = i;
            return -1;
        }
        if ((int)v > max) max = (int)v;
    }
    if (K <= 0) K = max + 1;
    double *A = calloc((size_t)n * (size_t)K, sizeof *A);
    double *B = nt > 0 ? calloc((size_t)nt * (size_t)K, sizeof *B) : NULL;
    if (!A || (nt > 0 && !B)) {
        free(A);
        free(B);
        return -2;
    }
    for (int i = 0; i < n; i++)
        A[(size_t)i * K + (int)Y[i]] = 1.0;
    for (int i = 0; i < nt; i++)
        B[(size_t)i * K + (int)Yt[i]] = 1.0;
    *out = A;
    if (out_t)
        *out_t = B;
    else
        free(B);
    *classes = K;
    return 0;
}

void gn_ds_standardize(double *A, int n, int m, double *B, int nb)
{
    /* Mean and deviation are accumulated on values divided by the column's
     * largest magnitude, so columns near the double range (1e308) neither
     * overflow to inf nor turn into NaN; the result is the same as the
     * textbook formula whenever that one is finite. */
    for (int j = 0; j < m; j++) {
        double first = A[j], amax = 0.0, mean = 0.0, var = 0.0;
        int constant = 1;
        for (int i = 0; i < n; i++) {
            double v = A[(size_t)i * m + j];
            if (fabs(v) > amax) amax = fabs(v);
            constant &= v == first;
        }
        if (constant || amax == 0.0) {
            for (int i = 0; i < n; i++)
                A[(size_t)i * m + j] -= first;
            for (int i = 0; i < nb; i++)
                B[(size_t)i * m + j] -= first;
            continue;
        }
        for (int i = 0; i < n; i++)
            mean += A[(size_t)i * m + j] / amax;
        mean /= n; /* in units of amax, |mean| <= 1 */
        for (int i = 0; i < n; i++) {
            double e = A[(size_t)i * m + j] / amax - mean;
            var += e * e;
        }
        double sd = sqrt(var / n); /* in units of amax, <= 2 */
        if (!(sd > 0)) sd = 1.0;
        for (int i = 0; i < n; i++)
            A[(size_t)i * m + j] = (A[(size_t)i * m + j] / amax - mean) / sd;
        for (int i = 0; i < nb; i++)
            B[(size_t)i * m + j] = (B[(size_t)i * m + j] / amax - mean) / sd;
    }
}
