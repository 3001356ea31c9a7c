/* test_fuzz_regress.c: every input the fuzzers (fuzz/) ever crashed on, and
 * their seed corpora, go through the same entry points in the normal build:
 * each is accepted or refused with a message, never a crash (Criterion runs
 * each test in its own process, so an abort or a fault fails the test).
 *
 * Inputs live in tests/data/fuzz/<target>/ (crashes, kept for good) and
 * fuzz/corpus/<target>/ (seeds); <target> is a name of gn_fuzz_targets.
 * Adding a regression is adding a file. Inputs in tests/data/fuzz/<target>/
 * pending/ expose a bug not fixed yet in a module this test does not own;
 * their test is disabled until the fix lands (enable it with the fix).
 * The harness is compiled into this
 * test directly, since tests/meson.build builds one source per suite. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz/harness.c"

static const char *data_dir(void)
{
    const char *d = getenv("GN_TEST_DATA");
    return d && *d ? d : "tests/data";
}

/* Reads a whole file; NULL when it cannot. */
static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap);
    for (size_t got; buf && (got = fread(buf + len, 1, cap - len, f)) > 0;) {
        len += got;
        if (len == cap) {
            uint8_t *nb = realloc(buf, cap *= 2);
            if (!nb) free(buf);
            buf = nb;
        }
    }
    fclose(f);
    *n = len;
    return buf;
}

static const gn_fuzz_target *target_named(const char *name)
{
    for (const gn_fuzz_target *t = gn_fuzz_targets; t->name; t++)
        if (strcmp(t->name, name) == 0) return t;
    return NULL;
}

/* Feeds every regular file of dir to the target; returns how many. */
static int feed_dir(const gn_fuzz_target *t, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
        size_t n = 0;
        uint8_t *buf = slurp(path, &n);
        cr_assert_not_null(buf, "cannot read %s", path);
        char err[4096];
        cr_log_info("%s: %s", t->name, path);
        int rc = t->fn(buf, n, err, sizeof err);
        cr_expect(rc == 0 || (rc == -1 && err[0]), "%s: status %d, message '%s'", path, rc, err);
        free(buf);
        count++;
    }
    closedir(d);
    return count;
}

/* Every target's seeds and regressions. */
static void feed_target(const char *name)
{
    const gn_fuzz_target *t = target_named(name);
    cr_assert_not_null(t, "no fuzz target %s", name);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/fuzz/%s", data_dir(), name);
    int n = feed_dir(t, dir);
    snprintf(dir, sizeof dir, "%s/../../fuzz/corpus/%s", data_dir(), name);
    n += feed_dir(t, dir);
    cr_expect_gt(n, 0, "no inputs for the fuzz target %s", name);
}

Test(fuzz_regress, experiment_inputs_load_or_fail_cleanly, .timeout = 120)
{
    feed_target("experiment");
}
Test(fuzz_regress, csv_table_inputs_load_or_fail_cleanly, .timeout = 120)
{
    feed_target("csv_table");
}
Test(fuzz_regress, csv_dataset_inputs_load_or_fail_cleanly, .timeout = 120)
{
    feed_target("csv_dataset");
}
Test(fuzz_regress, idx_inputs_load_or_fail_cleanly, .timeout = 120)
{
    feed_target("idx");
}
Test(fuzz_regress, fann_inputs_load_or_fail_cleanly, .timeout = 120)
{
    feed_target("fann");
}
Test(fuzz_regress, sklearn_inputs_load_or_fail_cleanly, .timeout = 120)
{
    feed_target("sklearn");
}

/* csv_dataset/standardize-mean-overflow (finite cells 1.7e308 and 1.6e308
 * in one column) once turned into -inf/NaN in gn_ds_standardize; it is now
 * one of the regression inputs above. */

/* Every registered target is tested above. */
Test(fuzz_regress, every_target_has_a_test)
{
    static const char *const tested[] = {"experiment", "csv_table", "csv_dataset",
                                         "idx",        "fann",      "sklearn"};
    int n = 0;
    for (const gn_fuzz_target *t = gn_fuzz_targets; t->name; t++, n++) {
        int found = 0;
        for (size_t i = 0; i < sizeof tested / sizeof *tested; i++)
            found |= strcmp(tested[i], t->name) == 0;
        cr_expect(found, "fuzz target %s has no regression test", t->name);
    }
    cr_expect_eq(n, (int)(sizeof tested / sizeof *tested));
}
