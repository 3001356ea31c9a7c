/* csv.c: the csv dataset, the user's own files.
 *
 * The files are read by gn_table_read (csvio.c). The first row names the
 * columns. Target columns are dataset.target (names) or
 * dataset.target_columns (the last K columns), by default the last column;
 * every other column is an input, in file order. Cells must be finite
 * numbers (strtod must take the whole cell, blanks around it allowed).
 * A test file must have the training file's header. With standardize
 * (default true) each input column, and each target column when the
 * request asks for values (GN_TARGETS_VALUES, square loss; one-hot and
 * probability targets are labels), is centred by its training mean and
 * divided by its training standard deviation (population, divisor n; 1 for
 * a constant column); the test set uses the training statistics. Errors
 * name the file, the line, and the column. The identity records each
 * file's size and FNV-1a hash, the targets and how they were transformed.
 * For a GN_TARGETS_ONEHOT request (xent), one target column of class
 * indices 0..K-1 becomes one-hot rows (K = dataset.classes, default the
 * largest index + 1; identity " onehot=K"); several target columns are
 * taken as one-hot rows already. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "data/dataset_impl.h"
#include "io/csvio.h"

const gn_param gn_ds_csv_params[] = {
    GN_P_STRING(gn_ds_csv_opts, train, "training CSV file (relative to the experiment file)"),
    GN_P_STRING(gn_ds_csv_opts, test, "test CSV file (optional)"),
    GN_P_LIST(gn_ds_csv_opts, target, "target column names"),
    GN_P_INT(gn_ds_csv_opts, target_columns, NULL, 1, 1e6,
             "number of target columns, taken from the right (default 1 when target is not given)"),
    GN_P_BOOL(
        gn_ds_csv_opts, standardize, "true",
        "standardize inputs and targets (not with xent/bxent) by training-set mean and deviation"),
    GN_P_INT(gn_ds_csv_opts, classes, NULL, 2, 1e6,
             "with loss xent and one target column of class indices 0..K-1: K (default max + 1)"),
    GN_P_END,
};

/* base_dir/path unless path is absolute or base_dir is empty. */
static char *resolve_path(const char *base_dir, const char *path)
{
    size_t nb = base_dir ? strlen(base_dir) : 0, np = strlen(path);
    int join = nb > 0 && path[0] != '/';
    char *r = malloc((join ? nb + 1 : 0) + np + 1);
    if (!r) return NULL;
    if (join) {
        memcpy(r, base_dir, nb);
        r[nb] = '/';
        memcpy(r + nb + 1, path, np + 1);
    } else {
        memcpy(r, path, np + 1);
    }
    return r;
}

/* Text from a file, as a message may quote it: itself when it is short
 * printable ASCII (a column name, a number), else only its length, so that
 * a file given by mistake (/etc/shadow as a CSV) is not echoed. */
#define SHOWN_MAX 32
static const char *shown(const char *s, char *buf, size_t len)
{
    size_t n = strlen(s);
    int ok = n <= SHOWN_MAX;
    for (size_t i = 0; ok && i < n; i++)
        ok = s[i] >= 0x20 && s[i] < 0x7f;
    if (ok) return s;
    snprintf(buf, len, "<%zu bytes, not shown>", n);
    return buf;
}

/* Appends the column names of t, comma separated, to buf: at most 16, each
 * as shown() quotes it. */
static void list_header(const gn_table *t, char *buf, size_t len)
{
    size_t used = strlen(buf);
    char b[48];
    for (int j = 0; j < t->n_cols && used + 1 < len; j++) {
        int n = j < 16 ? snprintf(buf + used, len - used, "%s%s", j ? ", " : "",
                                  shown(t->header[j], b, sizeof b))
                       : snprintf(buf + used, len - used, ", and %d more", t->n_cols - j);
        if (n < 0 || j >= 16) break;
        used += (size_t)n;
    }
}

/* Size and FNV-1a hash of a file's bytes, read before the table so that
 * only a regular file is parsed and a NUL byte (which would end a cell's
 * text early: "0.5<NUL>junk" read as 0.5) is refused with its line.
 * Returns 0, or -1 with the message in err. */
static int file_fingerprint(const char *path, long long *size, uint64_t *hash, char *err,
                            size_t errlen)
{
    *size = 0;
    *hash = GN_HASH_INIT;
    FILE *f = gn_ds_open_regular(path, err, errlen);
    if (!f) return -1;
    unsigned char buf[1 << 15];
    size_t n;
    long line = 1;
    int rc = 0;
    while (rc == 0 && (n = fread(buf, 1, sizeof buf, f)) > 0) {
        const unsigned char *nul = memchr(buf, 0, n);
        for (const unsigned char *p = buf; p < (nul ? nul : buf + n); p++)
            line += *p == '\n';
        if (nul) {
            gn_ds_err(err, errlen, "%s:%ld: a NUL byte (not a text CSV file)", path, line);
            rc = -1;
        }
        *hash = gn_hash_bytes(buf, n, *hash);
        *size += (long long)n;
    }
    if (rc == 0 && ferror(f)) {
        gn_ds_err(err, errlen, "%s: read error: %s", path, strerror(errno));
        rc = -1;
    }
    fclose(f);
    return rc;
}

/* Parses a cell as a finite number; blanks around it are allowed. */
static int parse_cell(const char *path, int line, const char *col, const char *cell, double *out,
                      char *err, size_t errlen)
{
    char cb[48], tb[48];
    const char *b = cell;
    while (*b == ' ' || *b == '\t')
        b++;
    size_t n = strlen(b);
    while (n > 0 && (b[n - 1] == ' ' || b[n - 1] == '\t'))
        n--;
    if (n == 0) {
        gn_ds_err(err, errlen, "%s:%d: column '%s': empty cell", path, line,
                  shown(col, cb, sizeof cb));
        return -1;
    }
    char tmp[64], *text = n < sizeof tmp ? tmp : malloc(n + 1);
    if (!text) {
        gn_ds_err(err, errlen, "%s:%d: out of memory", path, line);
        return -1;
    }
    memcpy(text, b, n);
    text[n] = '\0';
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    int rc = 0;
    if (end == text || *end != '\0') {
        gn_ds_err(err, errlen, "%s:%d: column '%s': '%s' is not a number", path, line,
                  shown(col, cb, sizeof cb), shown(text, tb, sizeof tb));
        rc = -1;
    } else if (!isfinite(v)) {
        gn_ds_err(err, errlen,
                  "%s:%d: column '%s': '%s' is not finite (NaN and Inf are not allowed)", path,
                  line, shown(col, cb, sizeof cb), shown(text, tb, sizeof tb));
        rc = -1;
    }
    if (text != tmp) free(text);
    if (rc == 0) *out = v;
    return rc;
}

/* Fills X (n, d) and Y (n, c) from the table's columns in_cols and out_cols. */
static int table_to_xy(const char *path, const gn_table *t, const int *in_cols, int d,
                       const int *out_cols, int c, double *X, double *Y, char *err, size_t errlen)
{
    for (int i = 0; i < t->n_rows; i++) {
        for (int j = 0; j < d; j++)
            if (parse_cell(path, t->lines[i], t->header[in_cols[j]],
                           gn_table_cell(t, i, in_cols[j]), &X[(size_t)i * d + j], err, errlen))
                return -1;
        for (int j = 0; j < c; j++)
            if (parse_cell(path, t->lines[i], t->header[out_cols[j]],
                           gn_table_cell(t, i, out_cols[j]), &Y[(size_t)i * c + j], err, errlen))
                return -1;
    }
    return 0;
}

/* A column name and its index, sorted to find repeats. */
typedef struct named_col {
    const char *name;
    int j;
} named_col;

static int cmp_named(const void *a, const void *b)
{
    const named_col *x = a, *y = b;
    int r = strcmp(x->name, y->name);
    return r ? r : (x->j > y->j) - (x->j < y->j);
}

/* Checks that a table has rows and no repeated column names (by sorting
 * the names: a header of 200 000 columns took 42 s when every pair was
 * compared). The repeat reported is the one whose second occurrence comes
 * first. */
static int check_table(const char *path, const gn_table *t, char *err, size_t errlen)
{
    named_col *v = malloc((size_t)(t->n_cols > 0 ? t->n_cols : 1) * sizeof *v);
    if (!v) {
        gn_ds_err(err, errlen, "%s: out of memory", path);
        return -1;
    }
    for (int j = 0; j < t->n_cols; j++)
        v[j] = (named_col){t->header[j], j};
    qsort(v, (size_t)t->n_cols, sizeof *v, cmp_named);
    int first = -1, second = -1;
    for (int i = 1; i < t->n_cols; i++)
        if (strcmp(v[i].name, v[i - 1].name) == 0 && (second < 0 || v[i].j < second)) {
            int k = i - 1;
            while (k > 0 && strcmp(v[k - 1].name, v[i].name) == 0)
                k--;
            first = v[k].j;
            second = v[i].j;
        }
    free(v);
    if (second >= 0) {
        char b[48];
        gn_ds_err(err, errlen, "%s:%d: column '%s' appears twice in the header (columns %d and %d)",
                  path, t->header_line, shown(t->header[second], b, sizeof b), first + 1,
                  second + 1);
        return -1;
    }
    if (t->n_rows == 0) {
        gn_ds_err(err, errlen, "%s:%d: header but no data rows (columns: ", path, t->header_line);
        list_header(t, err, errlen);
        size_t u = strlen(err);
        if (u + 1 < errlen) snprintf(err + u, errlen - u, ")");
        return -1;
    }
    return 0;
}

/* Picks the target columns of the training table: out_cols (c), in_cols (d). */
static int choose_columns(const gn_ds_csv_opts *o, const char *path, const gn_table *t,
                          int **in_cols, int *d, int **out_cols, int *c, char *err, size_t errlen)
{
    const char *names = o->target; /* items joined by ';' */
    long kcols = o->target_columns;
    int n = t->n_cols;
    int *is_target = calloc((size_t)n, sizeof *is_target);
    int *outs = malloc((size_t)n * sizeof *outs), *ins = malloc((size_t)n * sizeof *ins);
    int nout = 0, nin = 0;
    if (!is_target || !outs || !ins) {
        gn_ds_err(err, errlen, "%s: out of memory", path);
        goto fail;
    }
    if (names && kcols) {
        gn_ds_err(err, errlen,
                  "dataset.target and dataset.target_columns are both set; give one of them");
        goto fail;
    }
    if (names) {
        const char *p = names;
        for (;;) {
            const char *e = strchr(p, ';');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            while (len > 0 && (*p == ' ' || *p == '\t'))
                p++, len--;
            while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
                len--;
            int j = -1;
            for (int k = 0; k < n; k++)
                if (strlen(t->header[k]) == len && strncmp(t->header[k], p, len) == 0) {
                    j = k;
                    break;
                }
            if (j < 0) {
                gn_ds_err(
                    err, errlen,
                    "%s:%d: target column '%.*s' (dataset.target) not found; the header has: ",
                    path, t->header_line, (int)len, p);
                list_header(t, err, errlen);
                goto fail;
            }
            if (is_target[j]) {
                char b[48];
                gn_ds_err(err, errlen, "dataset.target: column '%s' is listed twice",
                          shown(t->header[j], b, sizeof b));
                goto fail;
            }
            is_target[j] = 1;
            outs[nout++] = j;
            if (!e) break;
            p = e + 1;
        }
    } else {
        long k = kcols ? kcols : 1;
        if (k < 1 || k > n) {
            gn_ds_err(err, errlen,
                      "%s:%d: dataset.target_columns = %ld but the header has %d columns: ", path,
                      t->header_line, k, n);
            list_header(t, err, errlen);
            goto fail;
        }
        for (int j = n - (int)k; j < n; j++) {
            is_target[j] = 1;
            outs[nout++] = j;
        }
    }
    for (int j = 0; j < n; j++)
        if (!is_target[j]) ins[nin++] = j;
    if (nin == 0) {
        gn_ds_err(err, errlen, "%s:%d: no input columns: every column is a target (", path,
                  t->header_line);
        list_header(t, err, errlen);
        size_t u = strlen(err);
        if (u + 1 < errlen) snprintf(err + u, errlen - u, ")");
        goto fail;
    }
    free(is_target);
    *in_cols = ins;
    *d = nin;
    *out_cols = outs;
    *c = nout;
    return 0;
fail:
    free(is_target);
    free(outs);
    free(ins);
    return -1;
}

/* The test table must have the training table's header. */
static int check_same_header(const char *test_path, const gn_table *te, const char *train_path,
                             const gn_table *tr, char *err, size_t errlen)
{
    for (int j = 0; j < tr->n_cols && j < te->n_cols; j++)
        if (strcmp(te->header[j], tr->header[j]) != 0) {
            char b1[48], b2[48];
            gn_ds_err(err, errlen,
                      "%s:%d: column %d is '%s' but the training file %s has '%s' there", test_path,
                      te->header_line, j + 1, shown(te->header[j], b1, sizeof b1), train_path,
                      shown(tr->header[j], b2, sizeof b2));
            return -1;
        }
    if (te->n_cols != tr->n_cols) {
        const gn_table *longer = te->n_cols > tr->n_cols ? te : tr;
        int j = te->n_cols < tr->n_cols ? te->n_cols : tr->n_cols;
        char b[48];
        gn_ds_err(
            err, errlen,
            "%s:%d: header has %d columns but the training file %s has %d (column '%s' is %s)",
            test_path, te->header_line, te->n_cols, train_path, tr->n_cols,
            shown(longer->header[j], b, sizeof b), longer == te ? "extra" : "missing");
        return -1;
    }
    return 0;
}

/* One target column of class indices -> one-hot rows: replaces ds->Y_train
 * and ds->Y_test (one column each) by (n, K) arrays, K = *classes or, when
 * that is 0, the largest index + 1; *classes gets K. A label that is not a
 * class index is named by file, line (tr, te) and column col. */
static int csv_onehot(gn_dataset *ds, int *classes, const char *train_path, const gn_table *tr,
                      const char *test_path, const gn_table *te, const char *col, char *err,
                      size_t errlen)
{
    double *A, *B;
    int bad = 0,
        r = gn_ds_onehot(ds->Y_train, ds->n_train, ds->Y_test, ds->n_test, classes, &A, &B, &bad);
    if (r == -1) {
        int in_test = bad >= ds->n_train;
        int row = in_test ? bad - ds->n_train : bad;
        double v = in_test ? ds->Y_test[row] : ds->Y_train[row];
        char vb[40], kb[40] = "K", cb[48];
        gn_csv_format_real(vb, sizeof vb, v);
        if (*classes > 0) snprintf(kb, sizeof kb, "%d", *classes);
        gn_ds_err(err, errlen,
                  "%s:%d: column '%s': %s is not a class index (loss xent with one target column "
                  "needs integers in [0, %s))",
                  in_test ? test_path : train_path, in_test ? te->lines[row] : tr->lines[row],
                  shown(col, cb, sizeof cb), vb, kb);
        return -1;
    }
    if (r == -2) {
        gn_ds_err(err, errlen, "%s: out of memory", train_path);
        return -1;
    }
    free(ds->Y_train);
    free(ds->Y_test);
    ds->Y_train = A;
    ds->Y_test = B;
    ds->c = *classes;
    return 0;
}

int gn_ds_load_csv(const gn_dataset_spec *spec, const gn_dataset_request *req, gn_dataset *ds,
                   char *err, size_t errlen)
{
    const gn_ds_csv_opts *o = spec->opts;
    const char *base_dir = req->base_dir;
    const char *train_rel = o->train;
    const char *test_rel = o->test;
    if (!train_rel || !*train_rel) {
        gn_ds_err(err, errlen, "dataset.train: required for dataset csv (the training CSV file)");
        return -1;
    }
    if (test_rel && !*test_rel) test_rel = NULL;
    int std_on = o->standardize;
    int labels = req->targets != GN_TARGETS_VALUES; /* targets are never standardized */

    char *train_path = resolve_path(base_dir, train_rel);
    char *test_path = test_rel ? resolve_path(base_dir, test_rel) : NULL;
    gn_table tr = {0}, te = {0};
    int *in_cols = NULL, *out_cols = NULL, d = 0, c = 0, rc = -1;
    if (!train_path || (test_rel && !test_path)) {
        gn_ds_err(err, errlen, "out of memory");
        goto done;
    }
    long long train_bytes = 0, test_bytes = 0;
    uint64_t train_hash = 0, test_hash = 0;
    if (file_fingerprint(train_path, &train_bytes, &train_hash, err, errlen) ||
        gn_table_read(train_path, &tr, err, errlen)) {
        size_t u = strlen(err);
        if (u + 1 < errlen) snprintf(err + u, errlen - u, " (dataset.train)");
        goto done;
    }
    if (check_table(train_path, &tr, err, errlen)) goto done;
    if (choose_columns(o, train_path, &tr, &in_cols, &d, &out_cols, &c, err, errlen)) goto done;
    if (test_path) {
        if (file_fingerprint(test_path, &test_bytes, &test_hash, err, errlen) ||
            gn_table_read(test_path, &te, err, errlen)) {
            size_t u = strlen(err);
            if (u + 1 < errlen) snprintf(err + u, errlen - u, " (dataset.test)");
            goto done;
        }
        if (check_same_header(test_path, &te, train_path, &tr, err, errlen)) goto done;
        if (check_table(test_path, &te, err, errlen)) goto done;
    }

    ds->n_train = tr.n_rows;
    ds->n_test = test_path ? te.n_rows : 0;
    ds->d = d;
    ds->c = c;
    ds->X_train = gn_ds_alloc(ds->n_train, d);
    ds->Y_train = gn_ds_alloc(ds->n_train, c);
    if (ds->n_test > 0) {
        ds->X_test = gn_ds_alloc(ds->n_test, d);
        ds->Y_test = gn_ds_alloc(ds->n_test, c);
    }
    if (!ds->X_train || !ds->Y_train || (ds->n_test > 0 && (!ds->X_test || !ds->Y_test))) {
        gn_ds_err(err, errlen, "%s: out of memory", train_path);
        goto done;
    }
    if (table_to_xy(train_path, &tr, in_cols, d, out_cols, c, ds->X_train, ds->Y_train, err,
                    errlen))
        goto done;
    if (ds->n_test > 0 &&
        table_to_xy(test_path, &te, in_cols, d, out_cols, c, ds->X_test, ds->Y_test, err, errlen))
        goto done;
    int classes = 0;
    if (req->targets == GN_TARGETS_ONEHOT && c == 1) {
        classes = (int)o->classes;
        if (csv_onehot(ds, &classes, train_path, &tr, test_path, &te, tr.header[out_cols[0]], err,
                       errlen))
            goto done;
    }
    if (std_on) {
        gn_ds_standardize(ds->X_train, ds->n_train, d, ds->X_test, ds->n_test);
        if (!labels) gn_ds_standardize(ds->Y_train, ds->n_train, c, ds->Y_test, ds->n_test);
    }

    /* identity: files by size and hash, targets by name */
    char targets[256] = "";
    for (int j = 0; j < c; j++) {
        size_t u = strlen(targets);
        snprintf(targets + u, sizeof targets - u, "%s%s", j ? ";" : "", tr.header[out_cols[j]]);
    }
    int n = snprintf(ds->identity, sizeof ds->identity, "csv train=%s bytes=%lld fnv1a=%016llx",
                     train_rel, train_bytes, (unsigned long long)train_hash);
    if (test_path && n >= 0 && (size_t)n < sizeof ds->identity) {
        n += snprintf(ds->identity + n, sizeof ds->identity - (size_t)n,
                      " test=%s bytes=%lld fnv1a=%016llx", test_rel, test_bytes,
                      (unsigned long long)test_hash);
    }
    if (n >= 0 && (size_t)n < sizeof ds->identity)
        snprintf(ds->identity + n, sizeof ds->identity - (size_t)n, " target=%s standardize=%s",
                 targets,
                 !std_on  ? "false"
                 : labels ? "inputs"
                          : "true");
    if (classes > 0) gn_ds_append(ds->identity, sizeof ds->identity, " onehot=%d", classes);
    rc = 0;
done:
    gn_table_free(&tr);
    gn_table_free(&te);
    free(in_cols);
    free(out_cols);
    free(train_path);
    free(test_path);
    return rc;
}
