/* plot.c: gnuplot figures from a results folder.
 *
 * Reads <results>/runs.csv and <results>/traces/<run_id>.csv (through
 * csvio), reduces them over seeds and writes, for every figure of the
 * experiment, <plots>/<figure>.dat (the reduced data, one gnuplot data block
 * per line of the figure), <plots>/<figure>.gp (a standalone script that
 * reads the .dat from its own folder) and runs gnuplot in that folder to
 * render <plots>/<figure>.<format>.
 *
 * Terms used below:
 *   configuration: all settings of a run (optimizer and every setting
 *     column) except the seed; the seeds of a configuration are its repeats.
 *   group: the runs drawn as one line. For kind trace a group is one
 *     configuration; for kind summary it is a configuration minus the x
 *     setting, and each x value of the group becomes one point.
 *   panel: one sub-plot per value of the `panels` setting.
 *
 * Only runs with status ok, diverged or time_limit are plotted. */
#include "plot/plot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io/csvio.h"
#include "results/schema.h"

/* ---- small utilities ---------------------------------------------------- */

/* Growable text buffer; `oom` latches an allocation failure. */
typedef struct sbuf {
    char *s;
    size_t n, cap;
    int oom;
} sbuf;

static void sb_vprintf(sbuf *b, const char *fmt, va_list ap)
{
    if (b->oom)
        return;
    for (;;) {
        va_list aq;
        va_copy(aq, ap);
        size_t room = b->cap - b->n;
        int k = vsnprintf(b->s ? b->s + b->n : NULL, room, fmt, aq);
        va_end(aq);
        if (k < 0) {
            b->oom = 1;
            return;
        }
        if ((size_t)k < room) {
            b->n += (size_t)k;
            return;
        }
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->n <= (size_t)k)
            cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->oom = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(b, fmt, ap);
    va_end(ap);
}

static void sb_putc(sbuf *b, char c) { sb_printf(b, "%c", c); }

static void sb_free(sbuf *b)
{
    free(b->s);
    b->s = NULL;
    b->n = b->cap = 0;
    b->oom = 0;
}

static const char *sb_str(const sbuf *b) { return b->s ? b->s : ""; }

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* The one way a string enters a gnuplot script: appends a gnuplot string
 * expression whose value is exactly `s`, byte for byte. Runs of bytes are
 * single-quoted: there gnuplot substitutes no backquotes and no @ macros and
 * reads a backslash as itself. A quote and each control byte (a newline
 * would end the command) are written as a double-quoted octal escape joined
 * with '.': it's<newline> becomes 'it'."\047".'s'."\012". Not '' for a
 * quote: gnuplot 5.4 misreads it at the start of a string or twice in a row,
 * and a quote inside double quotes ("'") makes its macro expansion lose
 * track of which text is quoted. Used for labels, titles and file names
 * alike; what a label shows is settled before (sb_enhanced). */
static void sb_gpstring(sbuf *b, const char *s)
{
    int open = 0, parts = 0;
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p < 0x20 || *p == 0x7f || *p == '\'') {
            if (open)
                sb_putc(b, '\'');
            sb_printf(b, "%s\"\\%03o\"", parts++ ? "." : "", *p);
            open = 0;
            continue;
        }
        if (!open)
            sb_printf(b, "%s'", parts++ ? "." : "");
        open = 1;
        sb_putc(b, (char)*p);
    }
    if (open)
        sb_putc(b, '\'');
    else if (!parts)
        sb_printf(b, "''");
}

char *gn_plot_quote(const char *s)
{
    sbuf b = {0};
    sb_gpstring(&b, s);
    if (b.oom) {
        sb_free(&b);
        return NULL;
    }
    return b.s;
}

/* Appends text as enhanced-text markup that prints it literally: the
 * enhanced-mode specials and the backslash get a backslash, control
 * characters become spaces. Not quoted: markup may be put around it before
 * the whole goes to sb_gpmarkup. */
static void sb_enhanced(sbuf *b, const char *text)
{
    for (const char *p = text ? text : ""; *p; p++) {
        if (strchr("^_@&~{}\\", *p))
            sb_printf(b, "\\%c", *p);
        else
            sb_putc(b, (unsigned char)*p < 0x20 || *p == 0x7f ? ' ' : *p);
    }
}

/* Enhanced-text markup as a gnuplot string. Terminals skip the markup step
 * for text without any of {}^_@&~ (cairo does, svg does not), which would
 * show an escaped backslash doubled: such text that holds a backslash starts
 * with an empty group {} so that every terminal reads the escapes. */
static void sb_gpmarkup(sbuf *b, const char *markup)
{
    sbuf t = {0};
    if (strchr(markup, '\\') && !strpbrk(markup, "{}^_@&~"))
        sb_printf(&t, "{}");
    sb_printf(&t, "%s", markup);
    b->oom |= t.oom;
    sb_gpstring(b, sb_str(&t));
    sb_free(&t);
}

/* A label that prints text literally. */
static void sb_gplabel(sbuf *b, const char *text)
{
    sbuf t = {0};
    sb_enhanced(&t, text);
    b->oom |= t.oom;
    sb_gpmarkup(b, sb_str(&t));
    sb_free(&t);
}

/* Text for a comment line of the .dat/.gp files: control characters become
 * spaces so a value can never end the comment. */
static void sb_comment_text(sbuf *b, const char *text)
{
    for (const char *p = text ? text : ""; *p; p++)
        sb_putc(b, (unsigned char)*p < 0x20 ? ' ' : *p);
}

/* 1 when s is a whole number (strtod syntax, including nan and inf). */
static int num_parse(const char *s, double *v)
{
    if (!s)
        return 0;
    while (*s == ' ')
        s++;
    if (!*s)
        return 0;
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (end == s)
        return 0;
    while (*end == ' ')
        end++;
    if (*end)
        return 0;
    *v = d;
    return 1;
}

static int num_finite(const char *s, double *v)
{
    return num_parse(s, v) && isfinite(*v);
}

/* Order of setting values: finite numbers numerically, then words
 * alphabetically, then empty cells (setting not applicable). */
static int value_cmp(const char *a, const char *b)
{
    a = a ? a : "";
    b = b ? b : "";
    int ea = !*a, eb = !*b;
    if (ea || eb)
        return ea - eb;
    double x, y;
    int na = num_finite(a, &x), nb = num_finite(b, &y);
    if (na && nb && x != y)
        return x < y ? -1 : 1;
    if (na != nb)
        return na ? -1 : 1;
    return strcmp(a, b);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median, min and max of v[0..n-1] (n > 0); sorts v. */
static void reduce(double *v, int n, double *med, double *lo, double *hi)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    *lo = v[0];
    *hi = v[n - 1];
    *med = (n % 2) ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Stable insertion sort with a context pointer (n is small here). */
static void isort(void *base, size_t n, size_t size,
                  int (*cmp)(const void *, const void *, void *), void *ctx)
{
    unsigned char *a = base;
    unsigned char *tmp = malloc(size);
    if (!tmp)
        return;
    for (size_t i = 1; i < n; i++) {
        memcpy(tmp, a + i * size, size);
        size_t j = i;
        while (j > 0 && cmp(a + (j - 1) * size, tmp, ctx) > 0) {
            memcpy(a + j * size, a + (j - 1) * size, size);
            j--;
        }
        memcpy(a + j * size, tmp, size);
    }
    free(tmp);
}

static int mkdir_p(const char *path)
{
    char *p = xstrdup(path);
    if (!p)
        return -1;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            free(p);
            return -1;
        }
        *s = '/';
    }
    int rc = mkdir(p, 0777);
    int e = errno;
    free(p);
    if (rc != 0 && e != EEXIST)
        return -1;
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return -1;
    return 0;
}

/* Writes `b` to "<path>.tmp.<pid>" and renames it over path. */
static int write_atomic(const char *path, const sbuf *b, char *msg, size_t len)
{
    if (b->oom) {
        snprintf(msg, len, "%s: out of memory", path);
        return -1;
    }
    sbuf tmp = {0};
    sb_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
    if (tmp.oom) {
        sb_free(&tmp);
        snprintf(msg, len, "%s: out of memory", path);
        return -1;
    }
    FILE *f = fopen(tmp.s, "w");
    if (!f) {
        snprintf(msg, len, "%s: cannot write: %s", tmp.s, strerror(errno));
        sb_free(&tmp);
        return -1;
    }
    int ok = fwrite(sb_str(b), 1, b->n, f) == b->n;
    ok = fflush(f) == 0 && ok;
    ok = fsync(fileno(f)) == 0 && ok;
    int e = errno;
    ok = fclose(f) == 0 && ok;
    if (ok && rename(tmp.s, path) != 0) {
        e = errno;
        ok = 0;
    }
    if (!ok) {
        snprintf(msg, len, "%s: cannot write: %s", path, strerror(e));
        unlink(tmp.s);
    }
    sb_free(&tmp);
    return ok ? 0 : -1;
}

/* Full path of `prog` found in $PATH, or NULL (caller frees). */
static char *find_program(const char *prog)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        return NULL;
    const char *p = path;
    for (;;) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t)(colon - p) : strlen(p);
        sbuf b = {0};
        if (n == 0)
            sb_printf(&b, "./%s", prog);
        else
            sb_printf(&b, "%.*s/%s", (int)n, p, prog);
        struct stat st;
        if (!b.oom && stat(b.s, &st) == 0 && S_ISREG(st.st_mode) &&
            access(b.s, X_OK) == 0)
            return b.s;
        sb_free(&b);
        if (!colon)
            return NULL;
        p = colon + 1;
    }
}

/* Runs `gnuplot script` with `dir` as working directory. Returns 0 on exit
 * status 0; otherwise -1 with gnuplot's error output in msg. Warnings of a
 * successful run are passed on to stderr. */
static int run_gnuplot(const char *gnuplot, const char *dir,
                       const char *script, char *msg, size_t len)
{
    int pfd[2];
    if (pipe(pfd) != 0) {
        snprintf(msg, len, "cannot run gnuplot: pipe: %s", strerror(errno));
        return -1;
    }
    fcntl(pfd[0], F_SETFD, FD_CLOEXEC);
    fcntl(pfd[1], F_SETFD, FD_CLOEXEC);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(msg, len, "cannot run gnuplot: fork: %s", strerror(errno));
        close(pfd[0]);
        close(pfd[1]);
        return -1;
    }
    if (pid == 0) {
        /* Child: only async-signal-safe calls. */
        int nul = open("/dev/null", O_RDWR);
        if (nul >= 0) {
            dup2(nul, 0);
            dup2(nul, 1);
        }
        dup2(pfd[1], 2);
        if (chdir(dir) != 0) {
            static const char m[] = "cannot change to the plots folder\n";
            ssize_t w = write(2, m, sizeof m - 1);
            (void)w;
            _exit(126);
        }
        execl(gnuplot, "gnuplot", script, (char *)NULL);
        static const char m[] = "cannot execute gnuplot\n";
        ssize_t w = write(2, m, sizeof m - 1);
        (void)w;
        _exit(127);
    }
    close(pfd[1]);
    char out[4096];
    size_t n = 0;
    for (;;) {
        char chunk[1024];
        ssize_t k = read(pfd[0], chunk, sizeof chunk);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        size_t take = (size_t)k;
        if (take > sizeof out - 1 - n)
            take = sizeof out - 1 - n;
        memcpy(out + n, chunk, take);
        n += take;
    }
    out[n] = '\0';
    close(pfd[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            snprintf(msg, len, "cannot run gnuplot: waitpid: %s", strerror(errno));
            return -1;
        }
    }
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' '))
        out[--n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (out[i] == '\n')
            out[i] = ' ';
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        if (n > 0)
            fprintf(stderr, "plot: %s/%s: gnuplot: %s\n", dir, script, out);
        return 0;
    }
    if (WIFEXITED(status)) {
        sbuf m = {0};
        sb_printf(&m, "gnuplot %s failed (exit %d)%s%s", script,
                  WEXITSTATUS(status), n ? ": " : "", out);
        snprintf(msg, len, "%s", m.oom ? "gnuplot failed" : sb_str(&m));
        sb_free(&m);
    } else
        snprintf(msg, len, "gnuplot %s killed by signal %d", script,
                 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    return -1;
}

/* ---- axis labels and colours -------------------------------------------- */

/* Axis labels, with units, come from the schema (schema.h). */
static const char *axis_label(const char *key)
{
    return gn_schema_label(key);
}

static const char *const palette[] = {
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
};
#define N_PALETTE ((int)(sizeof palette / sizeof palette[0]))

/* ---- the results folder ------------------------------------------------- */

typedef struct plot_ctx {
    const gn_experiment *ex;
    const char *results_dir, *plots_dir, *format;
    char *runs_path;
    gn_table runs;
    int c_run_id, c_status, c_optimizer, c_seed;
    int *set_cols; /* columns that define a configuration, optimizer first */
    int n_set;
    int *live; /* rows with status ok|diverged|time_limit */
    int n_live;
} plot_ctx;

static const char *cell(const plot_ctx *pc, int row, int col)
{
    const char *s = gn_table_cell(&pc->runs, row, col);
    return s ? s : "";
}

static int has_col(const int *cols, int n, int c)
{
    for (int i = 0; i < n; i++)
        if (cols[i] == c)
            return 1;
    return 0;
}

/* Columns of runs.csv that are not settings (the key and result columns). */
static int is_result_column(const char *name)
{
    return gn_schema_runs_column(name) != NULL;
}

static int need_col(const plot_ctx *pc, const char *name, int *col, char *msg,
                    size_t len)
{
    *col = gn_table_col(&pc->runs, name);
    if (*col < 0) {
        snprintf(msg, len, "column '%s' not in %s", name, pc->runs_path);
        return -1;
    }
    return 0;
}

static int ctx_open(plot_ctx *pc, char *msg, size_t len)
{
    sbuf p = {0};
    sb_printf(&p, "%s/runs.csv", pc->results_dir);
    if (p.oom) {
        sb_free(&p);
        snprintf(msg, len, "out of memory");
        return -1;
    }
    pc->runs_path = p.s;
    if (gn_table_read(pc->runs_path, &pc->runs, msg, len) != 0)
        return -1;
    if (need_col(pc, "run_id", &pc->c_run_id, msg, len) ||
        need_col(pc, "status", &pc->c_status, msg, len) ||
        need_col(pc, "optimizer", &pc->c_optimizer, msg, len) ||
        need_col(pc, "seed", &pc->c_seed, msg, len))
        return -1;

    const gn_table *t = &pc->runs;
    pc->set_cols = malloc(sizeof(int) * (size_t)(t->n_cols + 1));
    pc->live = malloc(sizeof(int) * (size_t)(t->n_rows + 1));
    if (!pc->set_cols || !pc->live) {
        snprintf(msg, len, "out of memory");
        return -1;
    }
    pc->set_cols[pc->n_set++] = pc->c_optimizer;
    const gn_experiment *ex = pc->ex;
    if (ex->columns && ex->n_columns > 0) {
        /* The experiment's setting paths that runs.csv holds. */
        for (int i = 0; i < ex->n_columns; i++) {
            int c = ex->columns[i] ? gn_table_col(t, ex->columns[i]) : -1;
            if (c >= 0 && c != pc->c_seed && !has_col(pc->set_cols, pc->n_set, c))
                pc->set_cols[pc->n_set++] = c;
        }
    } else {
        /* No expanded experiment: every column that is not a result. */
        for (int c = 0; c < t->n_cols; c++)
            if (!is_result_column(t->header[c]) &&
                !has_col(pc->set_cols, pc->n_set, c))
                pc->set_cols[pc->n_set++] = c;
    }
    for (int r = 0; r < t->n_rows; r++) {
        if (gn_run_status_text_finished(cell(pc, r, pc->c_status)))
            pc->live[pc->n_live++] = r;
    }
    return 0;
}

static void ctx_close(plot_ctx *pc)
{
    free(pc->runs_path);
    free(pc->set_cols);
    free(pc->live);
    if (pc->runs.header || pc->runs.cells)
        gn_table_free(&pc->runs);
}

/* Short name of a setting in a label: the last dotted component unless
 * another setting column ends the same way. */
static const char *short_name(const plot_ctx *pc, int col)
{
    const char *full = pc->runs.header[col];
    const char *dot = strrchr(full, '.');
    if (!dot)
        return full;
    const char *sh = dot + 1;
    for (int i = 0; i < pc->n_set; i++) {
        int c = pc->set_cols[i];
        if (c == col)
            continue;
        const char *o = pc->runs.header[c];
        const char *od = strrchr(o, '.');
        if (!strcmp(od ? od + 1 : o, sh))
            return full;
    }
    return sh;
}

/* Appends "value" (optimizer) or "name=value" for column col of row. */
static void sb_setting(sbuf *b, const plot_ctx *pc, int row, int col, int full)
{
    const char *v = cell(pc, row, col);
    if (!*v)
        v = "-";
    if (col == pc->c_optimizer)
        sb_printf(b, "%s", v);
    else
        sb_printf(b, "%s=%s", full ? pc->runs.header[col] : short_name(pc, col), v);
}

static int rows_equal(const plot_ctx *pc, int r1, int r2, const int *cols, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(cell(pc, r1, cols[i]), cell(pc, r2, cols[i])) != 0)
            return 0;
    return 1;
}

static int rows_cmp(const plot_ctx *pc, int r1, int r2, const int *cols, int n)
{
    for (int i = 0; i < n; i++) {
        int c = value_cmp(cell(pc, r1, cols[i]), cell(pc, r2, cols[i]));
        if (c)
            return c;
    }
    return 0;
}

/* ---- one figure --------------------------------------------------------- */

typedef struct point {
    double x, med, lo, hi;
    int n;         /* values reduced */
    int row;       /* trace: row index; summary: x category */
    int gap_before;
} point;

typedef struct group {
    int *rows; /* runs.csv rows of the group */
    int n_rows;
    int rep;   /* first row: the group's settings */
    int panel;
    char *label;
    int color;
    point *pts;
    int n_pts;
    int n_seeds; /* trace: traces that entered the reduction */
    int block;   /* gnuplot data block, -1 = nothing to draw */
} group;

typedef struct fig_ctx {
    plot_ctx *pc;
    const gn_figure *fig;
    int summary;
    int c_x, c_y;          /* summary: runs.csv columns */
    int c_series, c_panel; /* -1 = none */
    int *key;              /* grouping columns */
    int n_key;
    int *xkey;             /* summary: columns naming an x category */
    int n_xkey;
    group *g;
    int n_g;
    int *panel_rep; /* a row holding each panel's value, sorted */
    int n_panels;
    int *cat_rep;   /* summary: a row per x category, sorted */
    char **cat_label;
    int n_cat;
    int x_numeric;
    int n_blocks;
    sbuf notes; /* skipped traces, for the .dat header */
    int n_skipped;
    char **labels; /* distinct labels in colour order */
    int n_labels;
} fig_ctx;

static void fig_free(fig_ctx *fc)
{
    for (int i = 0; i < fc->n_g; i++) {
        free(fc->g[i].rows);
        free(fc->g[i].label);
        free(fc->g[i].pts);
    }
    free(fc->g);
    free(fc->key);
    free(fc->xkey);
    free(fc->panel_rep);
    free(fc->cat_rep);
    for (int i = 0; i < fc->n_cat; i++)
        free(fc->cat_label[i]);
    free(fc->cat_label);
    free(fc->labels);
    sb_free(&fc->notes);
}

static int valid_name(const char *s)
{
    if (!s || !*s || *s == '.' || *s == '-')
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
            return 0;
    return 1;
}

/* Resolves the figure's columns and the grouping columns. */
static int fig_columns(fig_ctx *fc, char *msg, size_t len)
{
    plot_ctx *pc = fc->pc;
    const gn_figure *f = fc->fig;
    int nc = pc->runs.n_cols;
    fc->c_series = fc->c_panel = fc->c_x = fc->c_y = -1;
    if (f->series && *f->series && need_col(pc, f->series, &fc->c_series, msg, len))
        return -1;
    if (f->panels && *f->panels && need_col(pc, f->panels, &fc->c_panel, msg, len))
        return -1;
    fc->key = malloc(sizeof(int) * (size_t)(nc + 2));
    fc->xkey = malloc(sizeof(int) * (size_t)(nc + 2));
    if (!fc->key || !fc->xkey) {
        snprintf(msg, len, "out of memory");
        return -1;
    }
    if (fc->summary) {
        if (need_col(pc, f->x, &fc->c_x, msg, len) ||
            need_col(pc, f->y, &fc->c_y, msg, len))
            return -1;
        /* An x category: the x setting; for x = optimizer also the
         * optimizer's hyperparameters (opt.*), which mean nothing apart
         * from it. */
        fc->xkey[fc->n_xkey++] = fc->c_x;
        if (fc->c_x == pc->c_optimizer)
            for (int i = 0; i < pc->n_set; i++) {
                int c = pc->set_cols[i];
                if (!strncmp(pc->runs.header[c], "opt.", 4) && c != fc->c_x)
                    fc->xkey[fc->n_xkey++] = c;
            }
        if (fc->c_series >= 0 && has_col(fc->xkey, fc->n_xkey, fc->c_series))
            fc->c_series = -1; /* the series varies along x: label by settings */
    }
    for (int i = 0; i < pc->n_set; i++) {
        int c = pc->set_cols[i];
        if (!has_col(fc->xkey, fc->n_xkey, c))
            fc->key[fc->n_key++] = c;
    }
    if (fc->c_series >= 0 && !has_col(fc->key, fc->n_key, fc->c_series))
        fc->key[fc->n_key++] = fc->c_series;
    if (fc->c_panel >= 0 && !has_col(fc->key, fc->n_key, fc->c_panel))
        fc->key[fc->n_key++] = fc->c_panel;
    return 0;
}

static int group_cmp(const void *a, const void *b, void *ctx)
{
    const fig_ctx *fc = ctx;
    const group *x = a, *y = b;
    if (x->panel != y->panel)
        return x->panel - y->panel;
    if (fc->c_series >= 0) {
        int c = value_cmp(cell(fc->pc, x->rep, fc->c_series),
                          cell(fc->pc, y->rep, fc->c_series));
        if (c)
            return c;
    }
    return rows_cmp(fc->pc, x->rep, y->rep, fc->key, fc->n_key);
}

static int rep_cmp_panel(const void *a, const void *b, void *ctx)
{
    const fig_ctx *fc = ctx;
    return value_cmp(cell(fc->pc, *(const int *)a, fc->c_panel),
                     cell(fc->pc, *(const int *)b, fc->c_panel));
}

static int rep_cmp_cat(const void *a, const void *b, void *ctx)
{
    const fig_ctx *fc = ctx;
    return rows_cmp(fc->pc, *(const int *)a, *(const int *)b, fc->xkey, fc->n_xkey);
}

/* Whether runs.csv row r passes the figure's `where` filter: for every
 * key, the row's cell equals one of the values (joined by '\n'). */
static int row_selected(const plot_ctx *pc, const gn_figure *f, int r)
{
    for (int i = 0; i < f->where.n; i++) {
        int col = gn_table_col(&pc->runs, f->where.v[i].key);
        const char *have = col >= 0 ? cell(pc, r, col) : "";
        const char *v = f->where.v[i].value;
        size_t n = strlen(have);
        int hit = 0;
        while (!hit) {
            const char *nl = strchr(v, '\n');
            size_t len = nl ? (size_t)(nl - v) : strlen(v);
            hit = len == n && strncmp(v, have, n) == 0;
            if (!nl) break;
            v = nl + 1;
        }
        if (!hit) return 0;
    }
    return 1;
}

/* Groups the live runs, finds panels, sorts, and labels the groups. */
static int fig_group(fig_ctx *fc, char *msg, size_t len)
{
    plot_ctx *pc = fc->pc;
    fc->g = calloc((size_t)pc->n_live + 1, sizeof *fc->g);
    fc->panel_rep = malloc(sizeof(int) * ((size_t)pc->n_live + 1));
    if (!fc->g || !fc->panel_rep)
        goto oom;
    for (int i = 0; i < pc->n_live; i++) {
        int r = pc->live[i];
        if (!row_selected(pc, fc->fig, r))
            continue;
        group *g = NULL;
        for (int k = 0; k < fc->n_g && !g; k++)
            if (rows_equal(pc, fc->g[k].rep, r, fc->key, fc->n_key))
                g = &fc->g[k];
        if (!g) {
            g = &fc->g[fc->n_g++];
            g->rep = r;
            g->block = -1;
            g->rows = malloc(sizeof(int) * (size_t)pc->n_live);
            if (!g->rows)
                goto oom;
        }
        g->rows[g->n_rows++] = r;
    }

    /* Panels. */
    for (int k = 0; k < fc->n_g; k++) {
        int p = 0;
        if (fc->c_panel >= 0) {
            for (p = 0; p < fc->n_panels; p++)
                if (!strcmp(cell(pc, fc->panel_rep[p], fc->c_panel),
                            cell(pc, fc->g[k].rep, fc->c_panel)))
                    break;
        } else if (fc->n_panels > 0) {
            p = 0;
        }
        if (p == fc->n_panels)
            fc->panel_rep[fc->n_panels++] = fc->g[k].rep;
    }
    if (fc->n_panels == 0)
        fc->panel_rep[fc->n_panels++] = -1;
    if (fc->c_panel >= 0)
        isort(fc->panel_rep, (size_t)fc->n_panels, sizeof(int), rep_cmp_panel, fc);
    for (int k = 0; k < fc->n_g; k++) {
        fc->g[k].panel = 0;
        if (fc->c_panel >= 0)
            for (int p = 0; p < fc->n_panels; p++)
                if (!strcmp(cell(pc, fc->panel_rep[p], fc->c_panel),
                            cell(pc, fc->g[k].rep, fc->c_panel)))
                    fc->g[k].panel = p;
    }
    isort(fc->g, (size_t)fc->n_g, sizeof *fc->g, group_cmp, fc);

    /* Labels: the series value; groups of a panel that share it get the
     * settings that differ among them appended. */
    int *diff = malloc(sizeof(int) * ((size_t)fc->n_key + 1));
    if (!diff)
        goto oom;
    for (int k = 0; k < fc->n_g; k++) {
        group *g = &fc->g[k];
        int n_diff = 0;
        for (int i = 0; i < fc->n_key; i++) {
            int c = fc->key[i];
            if (c == fc->c_series || c == fc->c_panel)
                continue;
            for (int j = 0; j < fc->n_g; j++) {
                const group *h = &fc->g[j];
                if (h->panel != g->panel ||
                    (fc->c_series >= 0 &&
                     strcmp(cell(pc, h->rep, fc->c_series), cell(pc, g->rep, fc->c_series))))
                    continue;
                if (strcmp(cell(pc, h->rep, c), cell(pc, g->rep, c))) {
                    diff[n_diff++] = c;
                    break;
                }
            }
        }
        sbuf b = {0};
        /* A configuration without the series setting (another optimizer's
         * hyperparameter, say) is named by its optimizer instead. */
        int series_empty = fc->c_series >= 0 && !*cell(pc, g->rep, fc->c_series);
        if (fc->c_series >= 0 && !series_empty)
            sb_setting(&b, pc, g->rep, fc->c_series, 1);
        else if (series_empty && pc->c_optimizer >= 0)
            sb_setting(&b, pc, g->rep, pc->c_optimizer, 0);
        for (int i = 0; i < n_diff; i++) {
            if (!*cell(pc, g->rep, diff[i]) || (series_empty && diff[i] == pc->c_optimizer))
                continue; /* settings this configuration does not have */
            if (b.n)
                sb_putc(&b, ' ');
            sb_setting(&b, pc, g->rep, diff[i], 0);
        }
        if (!b.n) { /* one line in the panel: name its optimizer */
            if (has_col(fc->key, fc->n_key, pc->c_optimizer))
                sb_setting(&b, pc, g->rep, pc->c_optimizer, 0);
            else
                sb_printf(&b, "%s", fc->fig->y);
        }
        if (b.oom) {
            sb_free(&b);
            free(diff);
            goto oom;
        }
        g->label = b.s;
    }
    free(diff);

    /* Colours: one per distinct label, in drawing order. */
    fc->labels = malloc(sizeof(char *) * ((size_t)fc->n_g + 1));
    if (!fc->labels)
        goto oom;
    for (int k = 0; k < fc->n_g; k++) {
        int c;
        for (c = 0; c < fc->n_labels; c++)
            if (!strcmp(fc->labels[c], fc->g[k].label))
                break;
        if (c == fc->n_labels)
            fc->labels[fc->n_labels++] = fc->g[k].label;
        fc->g[k].color = c;
    }
    return 0;
oom:
    snprintf(msg, len, "out of memory");
    return -1;
}

/* Reads the trace of runs.csv row r; 1 = read, 0 = skipped (noted),
 * -1 = error (a missing column). */
static int trace_load(fig_ctx *fc, int r, gn_table *t, int *cx, int *cy,
                      char *msg, size_t len)
{
    plot_ctx *pc = fc->pc;
    const char *id = cell(pc, r, pc->c_run_id);
    const char *why = NULL;
    char rerr[512];
    sbuf path = {0};
    sb_printf(&path, "%s/traces/%s.csv", pc->results_dir, id);
    struct stat st;
    memset(t, 0, sizeof *t);
    if (path.oom) {
        snprintf(msg, len, "out of memory");
        sb_free(&path);
        return -1;
    }
    if (!*id || strchr(id, '/'))
        why = "bad run_id";
    else if (stat(path.s, &st) != 0)
        why = "trace missing";
    else if (st.st_size == 0)
        why = "trace empty";
    else if (gn_table_read(path.s, t, rerr, sizeof rerr) != 0) {
        memset(t, 0, sizeof *t);
        why = rerr;
    }
    if (why) {
        fprintf(stderr, "plot: figure %s: run %s skipped: %s (%s)\n",
                fc->fig->name, id, why, path.s);
        sb_printf(&fc->notes, "# skipped run ");
        sb_comment_text(&fc->notes, id);
        sb_printf(&fc->notes, ": ");
        sb_comment_text(&fc->notes, why);
        sb_printf(&fc->notes, "\n");
        fc->n_skipped++;
        sb_free(&path);
        return 0;
    }
    *cx = gn_table_col(t, fc->fig->x);
    *cy = gn_table_col(t, fc->fig->y);
    if (*cx < 0 || *cy < 0) {
        snprintf(msg, len, "column '%s' not in %s",
                 *cx < 0 ? fc->fig->x : fc->fig->y, path.s);
        gn_table_free(t);
        sb_free(&path);
        return -1;
    }
    sb_free(&path);
    if (t->n_rows == 0) {
        sb_printf(&fc->notes, "# skipped run ");
        sb_comment_text(&fc->notes, id);
        sb_printf(&fc->notes, ": trace has no rows\n");
        fc->n_skipped++;
        gn_table_free(t);
        return 0;
    }
    return 1;
}

/* kind trace: seeds aligned by row, cut to the shortest; per row the median
 * of x and the median, min and max of y over the finite values. */
static int fig_trace_points(fig_ctx *fc, group *g, char *msg, size_t len)
{
    const gn_figure *f = fc->fig;
    int n = g->n_rows;
    gn_table *t = calloc((size_t)n, sizeof *t);
    int *cx = malloc(sizeof(int) * (size_t)n), *cy = malloc(sizeof(int) * (size_t)n);
    double *xs = malloc(sizeof(double) * (size_t)n), *ys = malloc(sizeof(double) * (size_t)n);
    int rc = 0, nt = 0;
    if (!t || !cx || !cy || !xs || !ys) {
        snprintf(msg, len, "out of memory");
        rc = -1;
        goto done;
    }
    for (int i = 0; i < n; i++) {
        int k = trace_load(fc, g->rows[i], &t[nt], &cx[nt], &cy[nt], msg, len);
        if (k < 0) {
            rc = -1;
            goto done;
        }
        nt += k;
    }
    g->n_seeds = nt;
    if (nt == 0)
        goto done;
    int rows = t[0].n_rows;
    for (int i = 1; i < nt; i++)
        if (t[i].n_rows < rows)
            rows = t[i].n_rows;
    g->pts = malloc(sizeof(point) * ((size_t)rows + 1));
    if (!g->pts) {
        snprintf(msg, len, "out of memory");
        rc = -1;
        goto done;
    }
    int gap = 0;
    for (int r = 0; r < rows; r++) {
        int nx = 0, ny = 0;
        for (int i = 0; i < nt; i++) {
            double v;
            if (num_finite(gn_table_cell(&t[i], r, cx[i]), &v) && (!f->logx || v > 0))
                xs[nx++] = v;
            if (num_finite(gn_table_cell(&t[i], r, cy[i]), &v) && (!f->logy || v > 0))
                ys[ny++] = v;
        }
        if (nx == 0 || ny == 0) {
            gap = g->n_pts > 0;
            continue;
        }
        point *p = &g->pts[g->n_pts++];
        double lo, hi;
        reduce(xs, nx, &p->x, &lo, &hi);
        reduce(ys, ny, &p->med, &p->lo, &p->hi);
        p->n = ny;
        p->row = r;
        p->gap_before = gap;
        gap = 0;
    }
done:
    for (int i = 0; i < nt; i++)
        gn_table_free(&t[i]);
    free(t);
    free(cx);
    free(cy);
    free(xs);
    free(ys);
    return rc;
}

/* kind summary: the x categories (distinct x settings) over all live runs,
 * sorted, with labels. */
static int fig_categories(fig_ctx *fc, char *msg, size_t len)
{
    plot_ctx *pc = fc->pc;
    fc->cat_rep = malloc(sizeof(int) * ((size_t)pc->n_live + 1));
    fc->cat_label = calloc((size_t)pc->n_live + 1, sizeof(char *));
    if (!fc->cat_rep || !fc->cat_label)
        goto oom;
    for (int i = 0; i < pc->n_live; i++) {
        int r = pc->live[i], k;
        for (k = 0; k < fc->n_cat; k++)
            if (rows_equal(pc, fc->cat_rep[k], r, fc->xkey, fc->n_xkey))
                break;
        if (k == fc->n_cat)
            fc->cat_rep[fc->n_cat++] = r;
    }
    isort(fc->cat_rep, (size_t)fc->n_cat, sizeof(int), rep_cmp_cat, fc);
    fc->x_numeric = fc->c_x != pc->c_optimizer;
    for (int k = 0; k < fc->n_cat; k++) {
        double v;
        if (!num_finite(cell(pc, fc->cat_rep[k], fc->c_x), &v))
            fc->x_numeric = 0;
    }
    for (int k = 0; k < fc->n_cat; k++) {
        int r = fc->cat_rep[k];
        sbuf b = {0};
        const char *xv = cell(pc, r, fc->c_x);
        sb_printf(&b, "%s", *xv ? xv : "-");
        for (int i = 1; i < fc->n_xkey; i++) {
            int c = fc->xkey[i];
            for (int j = 0; j < fc->n_cat; j++) {
                int q = fc->cat_rep[j];
                if (!strcmp(cell(pc, q, fc->c_x), xv) &&
                    strcmp(cell(pc, q, c), cell(pc, r, c))) {
                    sb_putc(&b, ' ');
                    sb_setting(&b, pc, r, c, 0);
                    break;
                }
            }
        }
        if (b.oom) {
            sb_free(&b);
            goto oom;
        }
        fc->cat_label[k] = b.s;
    }
    return 0;
oom:
    snprintf(msg, len, "out of memory");
    return -1;
}

/* kind summary: per x category, median, min and max over the group's runs
 * of the finite y values. */
static int fig_summary_points(fig_ctx *fc, group *g, char *msg, size_t len)
{
    plot_ctx *pc = fc->pc;
    const gn_figure *f = fc->fig;
    double *ys = malloc(sizeof(double) * ((size_t)g->n_rows + 1));
    g->pts = malloc(sizeof(point) * ((size_t)fc->n_cat + 1));
    if (!ys || !g->pts) {
        free(ys);
        snprintf(msg, len, "out of memory");
        return -1;
    }
    for (int k = 0; k < fc->n_cat; k++) {
        int ny = 0, nrun = 0;
        for (int i = 0; i < g->n_rows; i++) {
            int r = g->rows[i];
            if (!rows_equal(pc, r, fc->cat_rep[k], fc->xkey, fc->n_xkey))
                continue;
            nrun++;
            double v;
            if (num_finite(cell(pc, r, fc->c_y), &v) && (!f->logy || v > 0))
                ys[ny++] = v;
        }
        if (nrun == 0 || ny == 0)
            continue;
        double x = k;
        if (fc->x_numeric)
            num_finite(cell(pc, fc->cat_rep[k], fc->c_x), &x);
        if (fc->x_numeric && f->logx && x <= 0)
            continue;
        point *p = &g->pts[g->n_pts++];
        p->x = x;
        reduce(ys, ny, &p->med, &p->lo, &p->hi);
        p->n = ny;
        p->row = k;
        p->gap_before = 0;
    }
    free(ys);
    return 0;
}

static void dat_write(fig_ctx *fc, sbuf *b)
{
    plot_ctx *pc = fc->pc;
    const gn_figure *f = fc->fig;
    sb_printf(b, "# gnbench plot data: figure ");
    sb_comment_text(b, f->name);
    sb_printf(b, " (kind %s) of experiment ", f->kind);
    sb_comment_text(b, pc->ex->name ? pc->ex->name : "?");
    sb_printf(b, "\n# source: ");
    sb_comment_text(b, pc->runs_path);
    if (!fc->summary)
        sb_printf(b, " and traces/<run_id>.csv");
    sb_printf(b, "\n# x: ");
    sb_comment_text(b, f->x);
    sb_printf(b, "   y: ");
    sb_comment_text(b, f->y);
    sb_printf(b, "\n# runs with status ok, diverged or time_limit: %d of %d\n",
              pc->n_live, pc->runs.n_rows);
    sb_printf(b, "# One block per line of the figure (gnuplot: index N); blocks are\n"
                 "# separated by two blank lines, a single blank line is a gap.\n");
    if (fc->summary)
        sb_printf(b, "# columns: 1 x (%s)  2 y median over seeds  3 y min  4 y max"
                     "  5 runs with a value  6 x label\n",
                  fc->x_numeric ? "value" : "category position");
    else
        sb_printf(b, "# Seeds are aligned by row and cut to the shortest trace;"
                     " non-finite%s values are left out.\n"
                     "# columns: 1 row  2 x median over seeds  3 y median  4 y min"
                     "  5 y max  6 seeds with a value\n",
                  (f->logx || f->logy) ? " and non-positive (log axis)" : "");
    sb_printf(b, "%s", sb_str(&fc->notes));
    fc->n_blocks = 0;
    for (int k = 0; k < fc->n_g; k++) {
        group *g = &fc->g[k];
        if (g->n_pts == 0) {
            sb_printf(b, "# (no points) label \"");
            sb_comment_text(b, g->label);
            sb_printf(b, "\"\n");
            continue;
        }
        g->block = fc->n_blocks++;
        sb_printf(b, "%s# block %d: panel \"", g->block ? "\n\n" : "", g->block);
        if (fc->c_panel >= 0)
            sb_comment_text(b, cell(pc, g->rep, fc->c_panel));
        sb_printf(b, "\" label \"");
        sb_comment_text(b, g->label);
        sb_printf(b, "\" runs:");
        for (int i = 0; i < g->n_rows; i++) {
            sb_putc(b, ' ');
            sb_comment_text(b, cell(pc, g->rows[i], pc->c_run_id));
        }
        sb_putc(b, '\n');
        for (int i = 0; i < g->n_pts; i++) {
            const point *p = &g->pts[i];
            if (p->gap_before)
                sb_putc(b, '\n');
            if (fc->summary) {
                sb_printf(b, "%.10g %.10g %.10g %.10g %d \"", p->x, p->med, p->lo,
                          p->hi, p->n);
                for (const char *s = fc->cat_label[p->row]; *s; s++)
                    sb_putc(b, (*s == '"' || (unsigned char)*s < 0x20) ? '\'' : *s);
                sb_printf(b, "\"\n");
            } else {
                sb_printf(b, "%d %.10g %.10g %.10g %.10g %d\n", p->row, p->x, p->med,
                          p->lo, p->hi, p->n);
            }
        }
    }
}

static void gp_title(fig_ctx *fc, sbuf *b)
{
    const gn_experiment *ex = fc->pc->ex;
    const gn_figure *f = fc->fig;
    sbuf t = {0}, m = {0};
    if (f->title && *f->title)
        sb_printf(&t, "%s", f->title);
    else
        sb_printf(&t, "%s: %s vs %s", ex->name ? ex->name : "gnbench", f->y, f->x);
    sb_enhanced(&m, sb_str(&t));
    if (ex->description && *ex->description) {
        /* Second line, smaller (enhanced-text markup). */
        sb_printf(&m, "\n{/*0.75 ");
        sb_enhanced(&m, ex->description);
        sb_putc(&m, '}');
    }
    b->oom |= t.oom | m.oom;
    sb_gpmarkup(b, sb_str(&m));
    sb_free(&t);
    sb_free(&m);
}

/* What a panel shows, in axis units (log10 on log axes). */
typedef struct extent {
    double x0, x1, y0, y1;
    int n;
} extent;

static double axis_t(double v, int lg) { return lg ? log10(v) : v; }

static int x_is_log(const fig_ctx *fc)
{
    return fc->fig->logx && (!fc->summary || fc->x_numeric);
}

static extent panel_extent(const fig_ctx *fc, int p)
{
    extent e = {INFINITY, -INFINITY, INFINITY, -INFINITY, 0};
    int lx = x_is_log(fc), ly = fc->fig->logy;
    for (int k = 0; k < fc->n_g; k++) {
        const group *g = &fc->g[k];
        if (g->panel != p || g->block < 0)
            continue;
        for (int i = 0; i < g->n_pts; i++) {
            double x = axis_t(g->pts[i].x, lx);
            double lo = axis_t(g->pts[i].lo, ly), hi = axis_t(g->pts[i].hi, ly);
            e.x0 = fmin(e.x0, x);
            e.x1 = fmax(e.x1, x);
            e.y0 = fmin(e.y0, lo);
            e.y1 = fmax(e.y1, hi);
            e.n++;
        }
    }
    if (fc->summary && !fc->x_numeric) {
        e.x0 = -0.5;
        e.x1 = fc->n_cat - 0.5;
    }
    return e;
}

/* Data inside the box [bx0,bx1]x[by0,by1] of the unit square: points,
 * the vertical min-max extent at each point and the segments between
 * points (sampled). */
static int box_hits(const fig_ctx *fc, int p, const extent *e, double bx0,
                    double bx1, double by0, double by1)
{
    int lx = x_is_log(fc), ly = fc->fig->logy, hits = 0;
    double sx = e->x1 > e->x0 ? e->x1 - e->x0 : 1, sy = e->y1 > e->y0 ? e->y1 - e->y0 : 1;
    for (int k = 0; k < fc->n_g; k++) {
        const group *g = &fc->g[k];
        if (g->panel != p || g->block < 0)
            continue;
        double px = 0, py = 0;
        for (int i = 0; i < g->n_pts; i++) {
            const point *q = &g->pts[i];
            double x = (axis_t(q->x, lx) - e->x0) / sx;
            double y = (axis_t(q->med, ly) - e->y0) / sy;
            double lo = (axis_t(q->lo, ly) - e->y0) / sy, hi = (axis_t(q->hi, ly) - e->y0) / sy;
            if (x >= bx0 && x <= bx1 && hi >= by0 && lo <= by1)
                hits++;
            if (i > 0 && !q->gap_before)
                for (int t = 1; t < 8; t++) {
                    double ix = px + (x - px) * t / 8.0, iy = py + (y - py) * t / 8.0;
                    if (ix >= bx0 && ix <= bx1 && iy >= by0 && iy <= by1)
                        hits++;
                }
            px = x;
            py = y;
        }
    }
    return hits;
}

/* Key position: the first empty corner of the plot area that fits the key,
 * else below the plot (several panels or a wide key) or outside on the right. */
static void gp_key(const fig_ctx *fc, sbuf *b, int p, const extent *e, int n_lines,
                   size_t longest, int area_w, int area_h)
{
    double kw = (longest * 7.0 + 70.0) / area_w, kh = (n_lines * 17.0 + 14.0) / area_h;
    static const char *const where[] = {"top right", "top left", "bottom left",
                                        "bottom right"};
    if (kw < 0.55 && kh < 0.6)
        for (int c = 0; c < 4; c++) {
            int right = c == 0 || c == 3, top = c < 2;
            double bx0 = right ? 1 - kw : 0, by0 = top ? 1 - kh : 0;
            if (box_hits(fc, p, e, bx0, bx0 + kw, by0, by0 + kh) == 0) {
                sb_printf(b, "set key inside %s\n", where[c]);
                return;
            }
        }
    /* Beside the plot the key would squeeze a panel of a multi-panel figure
     * or a wide key: put those under the plot instead. */
    if (fc->n_panels > 1 || kw > 0.3)
        sb_printf(b, "set key below left Left reverse maxcols 1\n");
    else
        sb_printf(b, "set key outside right top\n");
}

/* Axis set-up repeated at the start of every panel, so that a placeholder
 * panel cannot leak its ranges into the next one. Log axes spanning three
 * decades or more label their tics as powers of ten. */
static void gp_axes(fig_ctx *fc, sbuf *b, const extent *e)
{
    const gn_figure *f = fc->fig;
    int x_log = x_is_log(fc);
    sb_printf(b, "unset label 99\nunset logscale\nset autoscale xy\n");
    /* Narrow log axes have one or two labelled tics: add minor grid lines. */
    int mx = x_log && e->x1 - e->x0 < 2, my = f->logy && e->y1 - e->y0 < 2;
    sb_printf(b, "set grid %smxtics %smytics\n", mx ? "" : "no", my ? "" : "no");
    sb_printf(b, "set format x \"%s\"\n",
              x_log && e->x1 - e->x0 >= 3 ? "10^{%L}" : x_log ? "%g" : "% h");
    sb_printf(b, "set format y \"%s\"\n",
              f->logy && e->y1 - e->y0 >= 3 ? "10^{%L}" : f->logy ? "%g" : "% h");
    if (fc->summary && !fc->x_numeric)
        sb_printf(b, "set xrange [-0.5:%d.5]\n", fc->n_cat > 0 ? fc->n_cat - 1 : 0);
    else if (fc->summary && (!x_log || fc->n_cat <= 12) && e->x1 > e->x0)
        sb_printf(b, "set autoscale xfix\n"); /* padded by the offsets */
    if (fc->summary && !f->logy && e->y1 > e->y0)
        sb_printf(b, "set autoscale yfix\n");
    /* A single value would give gnuplot an empty range: widen it. */
    if (e->n > 0 && e->x1 == e->x0 && !(fc->summary && !fc->x_numeric)) {
        double v = e->x0, d = x_log ? 0.5 : (v != 0 ? 0.1 * fabs(v) : 1);
        if (x_log)
            sb_printf(b, "set xrange [%.10g:%.10g]\n", pow(10, v - d), pow(10, v + d));
        else
            sb_printf(b, "set xrange [%.10g:%.10g]\n", v - d, v + d);
    }
    if (e->n > 0 && e->y1 == e->y0) {
        double v = e->y0, d = f->logy ? 0.5 : (v != 0 ? 0.1 * fabs(v) : 1);
        if (f->logy)
            sb_printf(b, "set yrange [%.10g:%.10g]\n", pow(10, v - d), pow(10, v + d));
        else
            sb_printf(b, "set yrange [%.10g:%.10g]\n", v - d, v + d);
    }
    if (x_log)
        sb_printf(b, "set logscale x\n");
    if (f->logy)
        sb_printf(b, "set logscale y\n");
}

/* Draws panel p (or the whole figure when there are no panels). */
static void gp_panel(fig_ctx *fc, sbuf *b, int p, int multi, const char *why,
                     int area_w, int area_h)
{
    plot_ctx *pc = fc->pc;
    const gn_figure *f = fc->fig;
    int n_lines = 0, n_pts = 0;
    size_t longest = 0;
    for (int k = 0; k < fc->n_g; k++)
        if (fc->g[k].panel == p && fc->g[k].block >= 0) {
            n_lines++;
            n_pts += fc->g[k].n_pts;
            if (strlen(fc->g[k].label) > longest)
                longest = strlen(fc->g[k].label);
        }
    sb_printf(b, "\n");
    if (multi) {
        sb_printf(b, "# panel %d\nset title ", p);
        sbuf t = {0};
        if (fc->c_panel >= 0) {
            sb_printf(&t, "%s = ", f->panels);
            const char *v = cell(pc, fc->panel_rep[p], fc->c_panel);
            sb_printf(&t, "%s", *v ? v : "-");
        }
        sb_gplabel(b, sb_str(&t));
        sb_free(&t);
        sb_printf(b, "\n");
    }
    if (n_lines == 0) {
        /* Placeholder: nothing to draw in this panel. */
        sb_printf(b, "unset logscale\nset xrange [0:1]\nset yrange [0:1]\n"
                     "set format x \"\"\nset format y \"\"\nunset key\n"
                     "set label 99 ");
        sb_gplabel(b, why ? why : "no data");
        sb_printf(b, " at graph 0.5, graph 0.5 center\nplot 2 notitle\n");
        return;
    }
    extent e = panel_extent(fc, p);
    gp_axes(fc, b, &e);
    gp_key(fc, b, p, &e, n_lines, longest, area_w, area_h);

    int style_pts = fc->summary || n_pts / n_lines <= 30;
    sb_printf(b, "plot \\\n");
    int first = 1;
    /* Bands first so that lines are drawn over them. */
    for (int k = 0; k < fc->n_g && !fc->summary; k++) {
        const group *g = &fc->g[k];
        if (g->panel != p || g->block < 0 || g->n_seeds < 2 || g->n_pts < 2)
            continue;
        sb_printf(b, "%s  datafile index %d using 2:4:5 with filledcurves"
                     " fc rgb \"%s\" fs transparent solid 0.20 noborder notitle",
                  first ? "" : ", \\\n", g->block, palette[g->color % N_PALETTE]);
        first = 0;
    }
    /* Categorical x: lines side by side around each category. */
    double dodge = 0;
    if (fc->summary && !fc->x_numeric && n_lines > 1)
        dodge = fmin(0.5 / n_lines, 0.1);
    int j = 0;
    for (int k = 0; k < fc->n_g; k++) {
        const group *g = &fc->g[k];
        if (g->panel != p || g->block < 0)
            continue;
        sb_printf(b, "%s  datafile index %d ", first ? "" : ", \\\n", g->block);
        if (fc->summary && dodge > 0)
            sb_printf(b, "using ($1%+.3f):2:3:4 with yerrorlines lw 2 pt 7 ps 0.8",
                      (j - 0.5 * (n_lines - 1)) * dodge);
        else if (fc->summary)
            sb_printf(b, "using 1:2:3:4 with yerrorlines lw 2 pt 7 ps 0.8");
        else
            sb_printf(b, "using 2:3 with %s lw 2", style_pts ? "linespoints pt 7 ps 0.6" : "lines");
        sb_printf(b, " lc rgb \"%s\" dt %d title ", palette[g->color % N_PALETTE],
                  1 + g->color / N_PALETTE);
        sb_gplabel(b, g->label);
        first = 0;
        j++;
    }
    sb_printf(b, "\n");
}

/* <figure>.<ext>, the name of a file beside the script, as a gnuplot string. */
static void gp_file_name(const fig_ctx *fc, sbuf *b, const char *ext)
{
    sbuf t = {0};
    sb_printf(&t, "%s.%s", fc->fig->name, ext);
    b->oom |= t.oom;
    sb_gpstring(b, sb_str(&t));
    sb_free(&t);
}

static void gp_write(fig_ctx *fc, sbuf *b, const char *why)
{
    plot_ctx *pc = fc->pc;
    const gn_figure *f = fc->fig;
    int multi = fc->c_panel >= 0 && !why;
    int cols = 1, rows = 1;
    if (multi) {
        while (cols * cols < fc->n_panels)
            cols++;
        rows = (fc->n_panels + cols - 1) / cols;
    }
    int w = cols * 600 > 1000 ? cols * 600 : 1000;
    int h = rows * 450 + 60 > 700 ? rows * 450 + 60 : 700;

    sb_printf(b, "# %s.gp: figure \"", f->name);
    sb_comment_text(b, f->name);
    sb_printf(b, "\" of experiment \"");
    sb_comment_text(b, pc->ex->name ? pc->ex->name : "?");
    sb_printf(b, "\", written by gnbench.\n"
                 "# Run in this folder: gnuplot %s.gp  (reads %s.dat, writes %s.%s)\n",
              f->name, f->name, f->name, pc->format);
    if (fc->summary)
        sb_printf(b, "# Points: median over seeds, error bars: min and max.\n");
    else
        sb_printf(b, "# Lines: median over seeds; shaded band: min to max over seeds.\n");
    sb_printf(b, "datafile = ");
    gp_file_name(fc, b, "dat");
    sb_printf(b, "\n");
    if (!strcmp(pc->format, "svg"))
        sb_printf(b, "set terminal svg size %d,%d dynamic enhanced font \"sans,12\""
                     " background rgb \"white\"\n", w, h);
    else if (!strcmp(pc->format, "pdf"))
        sb_printf(b, "set terminal pdfcairo size %.2fin,%.2fin enhanced font \"sans,9\"\n",
                  w / 150.0, h / 150.0);
    else
        sb_printf(b, "set terminal pngcairo size %d,%d enhanced font \"sans,11\"\n", w, h);
    sb_printf(b, "set output ");
    gp_file_name(fc, b, pc->format);
    sb_printf(b, "\nset encoding utf8\n"
                 "# Strings are single-quoted (no backquote or macro substitution), labels\n"
                 "# escaped for enhanced text mode ('\\_' prints _).\n"
                 "set grid back lt 1 lw 1 lc rgb \"#e2e2e2\", lt 1 lw 1 lc rgb \"#f0f0f0\"\n"
                 "set key samplen 2.5 spacing 1.1\n");
    sb_printf(b, "set xlabel ");
    sb_gplabel(b, fc->summary && fc->c_x == pc->c_optimizer ? "optimizer" : axis_label(f->x));
    sb_printf(b, "\nset ylabel ");
    sb_gplabel(b, axis_label(f->y));
    sb_printf(b, "\n");
    if (fc->summary) {
        sb_printf(b, "set offsets graph 0.04, graph 0.04, %s\n",
                  f->logy ? "0, 0" : "graph 0.06, graph 0.06");
        if (fc->n_cat > 0 && (!fc->x_numeric || fc->n_cat <= 12)) {
            size_t lmax = 0;
            sb_printf(b, "set xtics (");
            for (int k = 0; k < fc->n_cat; k++) {
                sb_printf(b, "%s", k ? ", " : "");
                sb_gplabel(b, fc->cat_label[k]);
                if (fc->x_numeric) {
                    double v = 0;
                    num_finite(cell(pc, fc->cat_rep[k], fc->c_x), &v);
                    sb_printf(b, " %.10g", v);
                } else {
                    sb_printf(b, " %d", k);
                }
                if (strlen(fc->cat_label[k]) > lmax)
                    lmax = strlen(fc->cat_label[k]);
            }
            sb_printf(b, ")\n");
            if (!fc->x_numeric && lmax * (size_t)fc->n_cat > 60)
                sb_printf(b, "set xtics rotate by -25\n");
        }
        if (!fc->x_numeric)
            sb_printf(b, "set offsets 0, 0, %s\n",
                      f->logy ? "0, 0" : "graph 0.06, graph 0.06");
    }
    if (multi) {
        sb_printf(b, "set multiplot layout %d,%d title ", rows, cols);
        gp_title(fc, b);
        sb_printf(b, " font \",14\"\n");
    } else {
        sb_printf(b, "set title ");
        gp_title(fc, b);
        sb_printf(b, " font \",13\"\n");
    }
    /* Plot area of one panel in pixels, for the key placement. */
    int area_w = w / cols - 120, area_h = (h - (multi ? 70 : 0)) / rows - 110;
    if (why) {
        gp_panel(fc, b, -1, 0, why, area_w, area_h);
    } else {
        for (int p = 0; p < (multi ? fc->n_panels : 1); p++)
            gp_panel(fc, b, p, multi, NULL, area_w, area_h);
    }
    if (multi)
        sb_printf(b, "unset multiplot\n");
    sb_printf(b, "set output\n");
}

/* Writes <plots>/<figure>.dat and .gp and renders when gnuplot != NULL. */
static int plot_figure(plot_ctx *pc, const gn_figure *f, const char *gnuplot,
                       char *msg, size_t len)
{
    fig_ctx fc = {0};
    fc.pc = pc;
    fc.fig = f;
    sbuf dat = {0}, gp = {0}, path = {0}, why = {0};
    int rc = -1;
    if (!valid_name(f->name)) {
        snprintf(msg, len, "bad figure name (letters, digits, '_', '-', '.')");
        goto done;
    }
    if (!f->kind || (strcmp(f->kind, "trace") && strcmp(f->kind, "summary"))) {
        snprintf(msg, len, "kind '%s': expected trace or summary",
                 f->kind ? f->kind : "(none)");
        goto done;
    }
    if (!f->x || !*f->x || !f->y || !*f->y) {
        snprintf(msg, len, "x and y are required");
        goto done;
    }
    fc.summary = !strcmp(f->kind, "summary");
    if (fig_columns(&fc, msg, len) || fig_group(&fc, msg, len))
        goto done;
    if (fc.summary && fig_categories(&fc, msg, len))
        goto done;
    int n_pts = 0;
    for (int k = 0; k < fc.n_g; k++) {
        int e = fc.summary ? fig_summary_points(&fc, &fc.g[k], msg, len)
                           : fig_trace_points(&fc, &fc.g[k], msg, len);
        if (e)
            goto done;
        n_pts += fc.g[k].n_pts;
    }
    if (pc->n_live == 0)
        sb_printf(&why, "no data: runs.csv has no run with status ok, diverged or time_limit");
    else if (n_pts == 0 && fc.n_skipped > 0)
        sb_printf(&why, "no data: %d trace(s) missing or empty, no finite %s", fc.n_skipped, f->y);
    else if (n_pts == 0)
        sb_printf(&why, "no data: no finite%s value of %s", f->logy ? " positive" : "", f->y);

    dat_write(&fc, &dat);
    gp_write(&fc, &gp, why.n ? why.s : NULL);
    sb_printf(&path, "%s/%s.dat", pc->plots_dir, f->name);
    if (path.oom || write_atomic(path.s, &dat, msg, len))
        goto done;
    path.n = 0;
    sb_printf(&path, "%s/%s.gp", pc->plots_dir, f->name);
    if (path.oom || write_atomic(path.s, &gp, msg, len))
        goto done;
    if (gnuplot) {
        path.n = 0;
        sb_printf(&path, "%s.gp", f->name);
        if (path.oom || run_gnuplot(gnuplot, pc->plots_dir, path.s, msg, len))
            goto done;
        path.n = 0;
        sb_printf(&path, "%s/%s.%s", pc->plots_dir, f->name, pc->format);
        struct stat st;
        if (path.oom || stat(path.s, &st) != 0 || st.st_size == 0) {
            snprintf(msg, len, "gnuplot wrote no %s", path.oom ? "output" : path.s);
            goto done;
        }
    }
    rc = 0;
done:
    if (rc == 0 && (path.oom || dat.oom || gp.oom)) {
        snprintf(msg, len, "out of memory");
        rc = -1;
    }
    sb_free(&dat);
    sb_free(&gp);
    sb_free(&path);
    sb_free(&why);
    fig_free(&fc);
    return rc;
}

static void append_error(char *err, size_t errlen, int *n_err, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    size_t used = *n_err ? strlen(err) : 0;
    if (*n_err && used + 3 < errlen) {
        strcpy(err + used, "; ");
        used += 2;
    }
    if (used < errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + used, errlen - used, fmt, ap);
        va_end(ap);
    }
    (*n_err)++;
}

int gn_plot_experiment(const gn_experiment *ex, const char *results_dir,
                       const char *plots_dir, const char *format,
                       char *err, size_t errlen)
{
    char msg[1024];
    int n_err = 0;
    if (err && errlen)
        err[0] = '\0';
    if (!format || !*format)
        format = "png";
    if (!ex || !results_dir || !plots_dir) {
        append_error(err, errlen, &n_err, "plot: missing experiment or folder");
        return -1;
    }
    if (strcmp(format, "png") && strcmp(format, "svg") && strcmp(format, "pdf")) {
        append_error(err, errlen, &n_err, "plot: format '%s': expected png, svg or pdf",
                     format);
        return -1;
    }
    if (ex->n_figures == 0)
        return 0;
    plot_ctx pc = {0};
    pc.ex = ex;
    pc.results_dir = results_dir;
    pc.plots_dir = plots_dir;
    pc.format = format;
    pc.c_run_id = pc.c_status = pc.c_optimizer = pc.c_seed = -1;
    if (ctx_open(&pc, msg, sizeof msg) != 0) {
        append_error(err, errlen, &n_err, "plot: %s", msg);
        ctx_close(&pc);
        return -1;
    }
    if (mkdir_p(plots_dir) != 0) {
        append_error(err, errlen, &n_err, "plot: %s: cannot create folder: %s",
                     plots_dir, strerror(errno));
        ctx_close(&pc);
        return -1;
    }
    char *gnuplot = find_program("gnuplot");
    for (int i = 0; i < ex->n_figures; i++) {
        const gn_figure *f = &ex->figures[i];
        if (plot_figure(&pc, f, gnuplot, msg, sizeof msg) != 0)
            append_error(err, errlen, &n_err, "figure '%s': %s",
                         f->name ? f->name : "?", msg);
    }
    if (!gnuplot)
        append_error(err, errlen, &n_err,
                     "gnuplot not found in PATH: scripts and data written to %s; "
                     "install gnuplot (Debian: gnuplot-nox) and run "
                     "'gnuplot <figure>.gp' there",
                     plots_dir);
    free(gnuplot);
    ctx_close(&pc);
    return n_err ? -1 : 0;
}
