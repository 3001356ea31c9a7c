/* bench_dataset.c: wall time of loading datasets through gn_dataset_load,
 * the whole path a run takes (locate, read, inflate, check, convert,
 * normalize). Prints one line per case: name, best and median of the
 * repeats, in seconds. The target: Fashion-MNIST's 70k images loaded and
 * scaled (or standardized) in under 1 s on one core.
 *
 *   bench_dataset [--repeat N] [--max-seconds S]
 *
 * Exits 1 when a case fails to load, or (with --max-seconds) when the best
 * time of the full Fashion-MNIST cases exceeds S; 77 (skip) when the
 * package is absent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "data/dataset.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct bench_case {
    const char *label;
    const char *kv[8]; /* "key=value", NULL-terminated */
    int gate;          /* counts for --max-seconds */
} bench_case;

static const bench_case cases[] = {
    {"fashion-mnist classify 60k+10k, scale", {"dataset.name=fashion-mnist", NULL}, 1},
    {"fashion-mnist classify 60k+10k, standardize",
     {"dataset.name=fashion-mnist", "dataset.standardize=true", NULL},
     1},
    {"fashion-mnist autoencode 60k+10k",
     {"dataset.name=fashion-mnist", "dataset.task=autoencode", NULL},
     1},
    {"fashion-mnist rotation 60k+10k",
     {"dataset.name=fashion-mnist", "dataset.task=rotation", NULL},
     0},
    {"fashion-mnist classify 512+10k",
     {"dataset.name=fashion-mnist", "dataset.n_train=512", NULL},
     0},
    {"fann:census-house", {"dataset.name=fann:census-house", NULL}, 0},
    {"curves 20k+10k", {"dataset.name=curves", NULL}, 0},
};

int main(int argc, char **argv)
{
    int repeat = 5;
    double max_s = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else if (strcmp(argv[i], "--max-seconds") == 0 && i + 1 < argc)
            max_s = atof(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_dataset [--repeat N] [--max-seconds S]\n");
            return 2;
        }
    }
    if (repeat < 1) repeat = 1;
    double *t = malloc((size_t)repeat * sizeof *t);
    if (!t) return 1;
    int rc = 0;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        gn_settings s;
        gn_settings_init(&s);
        for (int j = 0; cases[c].kv[j]; j++) {
            char key[64];
            const char *eq = strchr(cases[c].kv[j], '=');
            snprintf(key, sizeof key, "%.*s", (int)(eq - cases[c].kv[j]), cases[c].kv[j]);
            gn_settings_set(&s, key, eq + 1);
        }
        int ok = 1;
        char err[1024];
        gn_dataset_spec spec;
        gn_dataset_request req = {".", GN_TARGETS_VALUES};
        if (gn_dataset_spec_bind(&spec, &s, err, sizeof err) != 0) {
            fprintf(stderr, "%s: %s\n", cases[c].label, err);
            ok = 0;
            rc = 1;
        }
        for (int r = 0; r < repeat && ok; r++) {
            gn_dataset ds;
            double t0 = now();
            if (gn_dataset_load(&spec, &req, &ds, err, sizeof err) != 0) {
                fprintf(stderr, "%s: %s\n", cases[c].label, err);
                if (c == 0 && strstr(err, "not found")) {
                    free(t);
                    gn_dataset_spec_free(&spec);
                    gn_settings_free(&s);
                    return 77;
                }
                ok = 0;
                rc = 1;
                break;
            }
            t[r] = now() - t0;
            gn_dataset_free(&ds);
        }
        gn_dataset_spec_free(&spec);
        gn_settings_free(&s);
        if (!ok) continue;
        qsort(t, (size_t)repeat, sizeof *t, cmp_double);
        printf("%-45s best %.3f s  median %.3f s\n", cases[c].label, t[0], t[repeat / 2]);
        if (max_s > 0 && cases[c].gate && t[0] > max_s) {
            fprintf(stderr, "%s: %.3f s exceeds %.3f s\n", cases[c].label, t[0], max_s);
            rc = 1;
        }
    }
    free(t);
    return rc;
}
