/* csvio.c: RFC 4180 CSV reading and atomic writing through libcsv.
 *
 * This is the only file that includes <csv.h>.
 *
 * Reading. gn_table_read feeds the file in chunks to libcsv (strict mode,
 * CSV_STRICT_FINI, CSV_APPEND_NULL) and collects the records as text cells.
 * libcsv does not report positions, so a small scanner runs over the same
 * bytes beside it and notes the physical line (1-based; "\n", "\r\n" and a
 * lone "\r" each end one line) on which every record starts; the k-th record
 * libcsv reports started at the k-th noted line. The scanner mirrors libcsv's
 * rules: a record starts at the first byte of a line that is not a space, a
 * tab or a line end, and line ends inside double quotes belong to the field.
 * libcsv's defaults are kept: spaces and tabs around an unquoted field are
 * dropped (quote a field to keep them), and lines that are empty or hold only
 * spaces are skipped wherever they are. A UTF-8 byte order mark at the start
 * of the file is skipped.
 *
 * Writing. A gn_csv_writer writes to "<path>.tmp.<pid>"; commit flushes,
 * fsyncs, closes and renames the file over `path` and then fsyncs the
 * folder, so a reader (or a killed sweep) never sees a torn file; abort
 * removes the temporary file. A field is quoted (by csv_fwrite) only when it
 * has to be: it holds a comma, a quote or a line end, it starts or ends with
 * a space or a tab, or it is an empty first field of a row (so a one-column
 * row with an empty cell is not read back as a blank line). Rows end with
 * "\n". Numbers are written with the fewest of 15, 16 or 17 significant
 * digits that read back to the same double, so they round-trip exactly. */
#include "io/csvio.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---------------------------------------------------------------------- */
/* small helpers                                                           */

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d) return NULL;
    if (n) memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Grows *p (elements of size `size`) so that it holds at least `need`. */
static int grow(void *p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 16;
    while (c < need) {
        if (c > SIZE_MAX / 2 / size) return -1;
        c *= 2;
    }
    void *q = realloc(*(void **)p, c * size);
    if (!q) return -1;
    *(void **)p = q;
    *cap = c;
    return 0;
}

/* ---------------------------------------------------------------------- */
/* reading                                                                 */

/* Line counting shared by the record scanner and error positions. */
typedef struct line_state {
    long line;   /* 1-based physical line of the next byte */
    int prev_cr; /* the previous byte was '\r' */
} line_state;

static void line_advance(line_state *ls, unsigned char c)
{
    if (c == '\n') {
        if (!ls->prev_cr) ls->line++;
        ls->prev_cr = 0;
    } else if (c == '\r') {
        ls->line++;
        ls->prev_cr = 1;
    } else {
        ls->prev_cr = 0;
    }
}

typedef struct reader {
    const char *path;
    char *err;
    size_t errlen;
    int failed;        /* an error was recorded; later callbacks do nothing */
    int keep_complete; /* GN_TABLE_KEEP_COMPLETE */
    int n_dropped;     /* rows left out under it */
    long dropped_line; /* where the first starts */

    /* scanner: where records start */
    line_state ls;
    int in_quotes, at_row_start;
    long *starts;
    size_t n_starts, cap_starts, next_start;

    /* the record being assembled */
    char **rec;
    size_t rec_n, rec_cap;

    /* the table */
    char **header;
    int n_cols, have_header, header_line;
    char **cells;
    size_t n_cells, cap_cells;
    int *lines;
    size_t n_rows, cap_rows;
} reader;

static void reader_oom(reader *r)
{
    if (r->failed) return;
    r->failed = 1;
    set_err(r->err, r->errlen, "%s: out of memory", r->path);
}

/* Notes the line on which each record in buf[0..n) starts. */
static void scan_chunk(reader *r, const unsigned char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = buf[i];
        if (r->in_quotes) {
            if (c == '"') r->in_quotes = 0;
        } else if (c == '\r' || c == '\n') {
            r->at_row_start = 1;
        } else if (r->at_row_start && (c == ' ' || c == '\t')) {
            /* libcsv skips leading blanks before deciding a row began */
        } else {
            if (r->at_row_start) {
                if (grow(&r->starts, &r->cap_starts, r->n_starts + 1, sizeof *r->starts)) {
                    reader_oom(r);
                    return;
                }
                r->starts[r->n_starts++] = r->ls.line;
                r->at_row_start = 0;
            }
            if (c == '"') r->in_quotes = 1;
        }
        line_advance(&r->ls, c);
    }
}

static void on_field(void *data, size_t len, void *ctx)
{
    reader *r = ctx;
    if (r->failed) return;
    if (grow(&r->rec, &r->rec_cap, r->rec_n + 1, sizeof *r->rec)) {
        reader_oom(r);
        return;
    }
    char *cell = dup_n(data ? (const char *)data : "", data ? len : 0);
    if (!cell) {
        reader_oom(r);
        return;
    }
    r->rec[r->rec_n++] = cell;
}

static void free_rec(reader *r)
{
    for (size_t i = 0; i < r->rec_n; i++)
        free(r->rec[i]);
    r->rec_n = 0;
}

/* Leaves the record out (GN_TABLE_KEEP_COMPLETE). */
static void drop_rec(reader *r, long line)
{
    if (r->n_dropped++ == 0) r->dropped_line = line;
    free_rec(r);
}

static void on_row(int term, void *ctx)
{
    reader *r = ctx;
    if (r->failed) {
        free_rec(r);
        return;
    }
    long line = r->next_start < r->n_starts ? r->starts[r->next_start] : r->ls.line;
    r->next_start++;
    if (r->keep_complete && r->have_header && (term == -1 || r->rec_n != (size_t)r->n_cols)) {
        drop_rec(r, line); /* torn (no line end) or ragged */
        return;
    }
    if (!r->have_header) {
        if (r->rec_n > (size_t)INT32_MAX) {
            reader_oom(r);
            free_rec(r);
            return;
        }
        r->header = r->rec; /* take the record's array over */
        r->n_cols = (int)r->rec_n;
        r->header_line = (int)line;
        r->have_header = 1;
        r->rec = NULL;
        r->rec_n = r->rec_cap = 0;
        return;
    }
    if (r->rec_n != (size_t)r->n_cols) {
        r->failed = 1;
        set_err(r->err, r->errlen, "%s:%ld: row has %zu field%s, header has %d", r->path, line,
                r->rec_n, r->rec_n == 1 ? "" : "s", r->n_cols);
        free_rec(r);
        return;
    }
    if (r->n_rows >= (size_t)INT32_MAX ||
        grow(&r->cells, &r->cap_cells, r->n_cells + r->rec_n, sizeof *r->cells) ||
        grow(&r->lines, &r->cap_rows, r->n_rows + 1, sizeof *r->lines)) {
        reader_oom(r);
        free_rec(r);
        return;
    }
    memcpy(r->cells + r->n_cells, r->rec, r->rec_n * sizeof *r->rec);
    r->n_cells += r->rec_n;
    r->lines[r->n_rows++] = (int)line;
    r->rec_n = 0;
}

static void reader_free(reader *r)
{
    free_rec(r);
    free(r->rec);
    free(r->starts);
    if (r->header)
        for (int j = 0; j < r->n_cols; j++)
            free(r->header[j]);
    free(r->header);
    for (size_t i = 0; i < r->n_cells; i++)
        free(r->cells[i]);
    free(r->cells);
    free(r->lines);
}

int gn_table_read(const char *path, gn_table *t, char *err, size_t errlen)
{
    return gn_table_read_ex(path, 0, t, err, errlen);
}

int gn_table_read_ex(const char *path, int flags, gn_table *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "rb");
    if (!f) {
        set_err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }

    reader r;
    memset(&r, 0, sizeof r);
    r.path = path;
    r.err = err;
    r.errlen = errlen;
    r.ls.line = 1;
    r.at_row_start = 1;
    r.keep_complete = (flags & GN_TABLE_KEEP_COMPLETE) != 0;

    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        fclose(f);
        set_err(err, errlen, "%s: out of memory", path);
        return -1;
    }

    unsigned char buf[1 << 16];
    int first = 1;
    for (;;) {
        size_t n = fread(buf, 1, sizeof buf, f);
        if (n == 0) break;
        unsigned char *b = buf;
        if (first) {
            first = 0;
            if (n >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) b += 3, n -= 3;
        }
        line_state at_start = r.ls;
        scan_chunk(&r, b, n);
        if (r.failed) break;
        size_t used = csv_parse(&p, b, n, on_field, on_row, &r);
        if (r.failed) break;
        if (used != n) {
            line_state ls = at_start;
            for (size_t i = 0; i < used; i++)
                line_advance(&ls, b[i]);
            r.failed = 1;
            if (csv_error(&p) == CSV_EPARSE)
                set_err(err, errlen,
                        "%s:%ld: bad quoting (a quote inside an unquoted field, or text after a "
                        "closing quote)",
                        path, ls.line);
            else
                set_err(err, errlen, "%s:%ld: %s", path, ls.line, csv_strerror(csv_error(&p)));
            break;
        }
    }
    if (!r.failed && ferror(f)) {
        r.failed = 1;
        set_err(err, errlen, "%s: read error: %s", path, strerror(errno));
    }
    if (!r.failed && csv_fini(&p, on_field, on_row, &r) != 0 && !r.failed) {
        long line = r.n_starts ? r.starts[r.n_starts - 1] : r.ls.line;
        if (r.keep_complete && r.have_header) {
            drop_rec(&r, line); /* torn inside a quoted field */
        } else {
            r.failed = 1;
            set_err(err, errlen, "%s:%ld: quoted field not closed before the end of the file", path,
                    line);
        }
    }
    csv_free(&p);
    fclose(f);

    if (!r.failed && !r.have_header) {
        r.failed = 1;
        set_err(err, errlen, "%s:1: empty file (expected a header row)", path);
    }
    if (r.failed) {
        reader_free(&r);
        return -1;
    }

    t->n_rows = (int)r.n_rows;
    t->n_cols = r.n_cols;
    t->header = r.header;
    t->cells = r.cells;
    t->lines = r.lines;
    t->header_line = r.header_line;
    t->n_dropped = r.n_dropped;
    t->dropped_line = (int)r.dropped_line;
    if (!t->cells) t->cells = calloc(1, sizeof *t->cells); /* "never NULL" */
    if (!t->lines) t->lines = calloc(1, sizeof *t->lines);
    r.header = NULL;
    r.cells = NULL;
    r.lines = NULL;
    r.n_cells = 0;
    reader_free(&r);
    if (!t->cells || !t->lines) {
        gn_table_free(t);
        set_err(err, errlen, "%s: out of memory", path);
        return -1;
    }
    return 0;
}

void gn_table_free(gn_table *t)
{
    if (!t) return;
    if (t->header)
        for (int j = 0; j < t->n_cols; j++)
            free(t->header[j]);
    if (t->cells)
        for (long i = 0; i < (long)t->n_rows * t->n_cols; i++)
            free(t->cells[i]);
    free(t->header);
    free(t->cells);
    free(t->lines);
    memset(t, 0, sizeof *t);
}

int gn_table_col(const gn_table *t, const char *name)
{
    for (int j = 0; j < t->n_cols; j++)
        if (strcmp(t->header[j], name) == 0) return j;
    return -1;
}

const char *gn_table_cell(const gn_table *t, int row, int col)
{
    if (row < 0 || row >= t->n_rows || col < 0 || col >= t->n_cols) return NULL;
    return t->cells[(size_t)row * t->n_cols + col];
}

/* ---------------------------------------------------------------------- */
/* writing                                                                 */

int gn_csv_format_real(char *buf, size_t len, double v)
{
    if (isnan(v)) return snprintf(buf, len, "nan");
    if (isinf(v)) return snprintf(buf, len, v < 0 ? "-inf" : "inf");
    char tmp[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (prec == 17 || strtod(tmp, NULL) == v) break;
    }
    return snprintf(buf, len, "%s", tmp);
}

static void writer_clear(gn_csv_writer *w)
{
    free(w->path);
    free(w->tmp);
    memset(w, 0, sizeof *w);
}

int gn_csvw_open(gn_csv_writer *w, const char *path, char *err, size_t errlen)
{
    memset(w, 0, sizeof *w);
    size_t n = strlen(path) + 32;
    w->path = dup_n(path, strlen(path));
    w->tmp = malloc(n);
    if (!w->path || !w->tmp) {
        writer_clear(w);
        set_err(err, errlen, "%s: out of memory", path);
        return -1;
    }
    snprintf(w->tmp, n, "%s.tmp.%ld", path, (long)getpid());
    w->f = fopen(w->tmp, "wb");
    if (!w->f) {
        set_err(err, errlen, "%s: cannot create %s: %s", path, w->tmp, strerror(errno));
        writer_clear(w);
        return -1;
    }
    w->at_row_start = 1;
    return 0;
}

static int needs_quotes(const char *s, size_t n, int first_in_row)
{
    if (n == 0) return first_in_row;
    if (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t') return 1;
    return strpbrk(s, ",\"\r\n") != NULL;
}

void gn_csvw_str(gn_csv_writer *w, const char *s)
{
    if (!w->f) return;
    if (!s) s = "";
    size_t n = strlen(s);
    if (!w->at_row_start && fputc(',', w->f) == EOF) w->failed = 1;
    if (needs_quotes(s, n, w->at_row_start)) {
        if (csv_fwrite(w->f, s, n) != 0) w->failed = 1;
    } else if (n && fwrite(s, 1, n, w->f) != n) {
        w->failed = 1;
    }
    w->at_row_start = 0;
}

void gn_csvw_real(gn_csv_writer *w, double v)
{
    char buf[40];
    gn_csv_format_real(buf, sizeof buf, v);
    gn_csvw_str(w, buf);
}

void gn_csvw_real_or_empty(gn_csv_writer *w, double v)
{
    if (isnan(v))
        gn_csvw_str(w, "");
    else
        gn_csvw_real(w, v);
}

void gn_csvw_int(gn_csv_writer *w, long v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%ld", v);
    gn_csvw_str(w, buf);
}

void gn_csvw_end_row(gn_csv_writer *w)
{
    if (!w->f) return;
    if (fputc('\n', w->f) == EOF) w->failed = 1;
    w->at_row_start = 1;
}

/* fsyncs the folder holding `path` so the rename itself is durable. Best
 * effort: some file systems refuse to fsync a folder. */
static void fsync_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? dup_n(path, slash == path ? 1 : (size_t)(slash - path)) : dup_n(".", 1);
    if (!dir) return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

int gn_csvw_commit(gn_csv_writer *w, char *err, size_t errlen)
{
    if (!w->f) {
        set_err(err, errlen, "%s: writer is not open", w->path ? w->path : "csv");
        writer_clear(w);
        return -1;
    }
    if (!w->at_row_start) gn_csvw_end_row(w);
    const char *what = NULL;
    int e = 0;
    if (w->failed || fflush(w->f) != 0 || ferror(w->f))
        what = "write", e = errno;
    else if (fsync(fileno(w->f)) != 0 && errno != EINVAL)
        what = "fsync", e = errno;
    int rc = fclose(w->f);
    w->f = NULL;
    if (!what && rc != 0) what = "close", e = errno;
    if (!what && rename(w->tmp, w->path) != 0) what = "rename", e = errno;
    if (what) {
        set_err(err, errlen, "%s: %s failed: %s", w->path, what, e ? strerror(e) : "I/O error");
        remove(w->tmp);
        writer_clear(w);
        return -1;
    }
    fsync_parent(w->path);
    writer_clear(w);
    return 0;
}

void gn_csvw_abort(gn_csv_writer *w)
{
    if (w->f) {
        fclose(w->f);
        w->f = NULL;
        if (w->tmp) remove(w->tmp);
    }
    writer_clear(w);
}

int gn_table_write(const char *path, const gn_table *t, char *err, size_t errlen)
{
    gn_csv_writer w;
    if (gn_csvw_open(&w, path, err, errlen)) return -1;
    for (int j = 0; j < t->n_cols; j++)
        gn_csvw_str(&w, t->header[j]);
    gn_csvw_end_row(&w);
    for (int i = 0; i < t->n_rows; i++) {
        for (int j = 0; j < t->n_cols; j++)
            gn_csvw_str(&w, t->cells[(size_t)i * t->n_cols + j]);
        gn_csvw_end_row(&w);
    }
    return gn_csvw_commit(&w, err, errlen);
}
