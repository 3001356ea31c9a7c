/* test_csvio.c: CSV reading (line numbers, errors) and atomic writing. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/csvio.h"
#include "tolerances.h"

static char dir[64];

static void make_dir(void)
{
    strcpy(dir, "/tmp/gn_csvio_XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        remove(p);
    }
    closedir(d);
    rmdir(dir);
}

static int count_entries(void)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

/* Writes `text` to <dir>/<name> and returns the path (static buffer). */
static const char *put(const char *name, const char *text)
{
    static char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    cr_assert_not_null(f);
    fwrite(text, 1, strlen(text), f);
    fclose(f);
    return p;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    static char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Reads `text` expecting failure; checks that err starts with "path:line:"
 * and holds `what`. */
static void expect_error(const char *text, int line, const char *what)
{
    const char *p = put("bad.csv", text);
    gn_table t;
    char err[512] = "";
    cr_assert_eq(gn_table_read(p, &t, err, sizeof err), -1, "accepted: %s", text);
    char prefix[600];
    snprintf(prefix, sizeof prefix, "%s:%d: ", p, line);
    cr_assert(strncmp(err, prefix, strlen(prefix)) == 0, "want prefix '%s', got '%s'", prefix, err);
    cr_assert(strstr(err, what), "want '%s' in '%s'", what, err);
    cr_assert_null(t.header);
    cr_assert_null(t.cells);
}

TestSuite(csvio, .init = make_dir, .fini = remove_dir);

Test(csvio, reads_header_rows_and_lines)
{
    const char *p = put("a.csv", "x,y,name\n1,2,a\n\n3,4,\"two\nlines\"\n5,6,b");
    gn_table t;
    char err[256];
    cr_assert_eq(gn_table_read(p, &t, err, sizeof err), 0, "%s", err);
    cr_assert_eq(t.n_cols, 3);
    cr_assert_eq(t.n_rows, 3);
    cr_assert_eq(t.header_line, 1);
    cr_assert_str_eq(t.header[2], "name");
    cr_assert_str_eq(gn_table_cell(&t, 1, 2), "two\nlines");
    cr_assert_str_eq(gn_table_cell(&t, 2, 0), "5");
    cr_assert_eq(t.lines[0], 2);
    cr_assert_eq(t.lines[1], 4); /* line 3 is blank */
    cr_assert_eq(t.lines[2], 6); /* the quoted field spans lines 4-5 */
    cr_assert_eq(gn_table_col(&t, "y"), 1);
    cr_assert_eq(gn_table_col(&t, "z"), -1);
    cr_assert_null(gn_table_cell(&t, 3, 0));
    gn_table_free(&t);
}

Test(csvio, crlf_bom_blank_trailing_lines_and_spaces)
{
    const char *p = put("b.csv", "\xEF\xBB\xBF"
                                 "a, b\r\n 1 ,\" 2 \"\r\n\r\n   \r\n\n");
    gn_table t;
    char err[256];
    cr_assert_eq(gn_table_read(p, &t, err, sizeof err), 0, "%s", err);
    cr_assert_eq(t.n_rows, 1);
    cr_assert_str_eq(t.header[0], "a");
    cr_assert_str_eq(t.header[1], "b");
    cr_assert_str_eq(gn_table_cell(&t, 0, 0), "1");   /* unquoted: blanks dropped */
    cr_assert_str_eq(gn_table_cell(&t, 0, 1), " 2 "); /* quoted: kept */
    cr_assert_eq(t.lines[0], 2);
    gn_table_free(&t);
}

Test(csvio, header_only_has_no_rows)
{
    const char *p = put("h.csv", "a,b\n");
    gn_table t;
    char err[256];
    cr_assert_eq(gn_table_read(p, &t, err, sizeof err), 0, "%s", err);
    cr_assert_eq(t.n_rows, 0);
    cr_assert_eq(t.n_cols, 2);
    cr_assert_not_null(t.cells);
    gn_table_free(&t);
}

Test(csvio, round_trips_awkward_fields)
{
    static const char *fields[] = {
        "plain", "with,comma",  "with \"quotes\"", "multi\nline\r\nfield",
        "",      " leading",    "trailing\t",      "\"",
        ",",     "caf\xc3\xa9",
    };
    int nf = (int)(sizeof fields / sizeof *fields);
    double nums[] = {0.1,    1.0 / 3.0, -2.5e-300, 1.7976931348623157e308,
                     5e-324, 0.0,       -0.0,      123456789.0};
    int nn = (int)(sizeof nums / sizeof *nums);
    char path[512];
    snprintf(path, sizeof path, "%s/rt.csv", dir);

    gn_csv_writer w;
    char err[256];
    cr_assert_eq(gn_csvw_open(&w, path, err, sizeof err), 0, "%s", err);
    gn_csvw_str(&w, "text");
    gn_csvw_str(&w, "number");
    gn_csvw_end_row(&w);
    for (int i = 0; i < nf || i < nn; i++) {
        gn_csvw_str(&w, fields[i % nf]);
        gn_csvw_real(&w, nums[i % nn]);
        gn_csvw_end_row(&w);
    }
    /* an empty field alone on its row must not read back as a blank line */
    gn_csvw_str(&w, NULL);
    gn_csvw_int(&w, -42);
    gn_csvw_end_row(&w);
    cr_assert_eq(gn_csvw_commit(&w, err, sizeof err), 0, "%s", err);

    gn_table t;
    cr_assert_eq(gn_table_read(path, &t, err, sizeof err), 0, "%s", err);
    int rows = nf > nn ? nf : nn;
    cr_assert_eq(t.n_rows, rows + 1);
    for (int i = 0; i < rows; i++) {
        cr_assert_str_eq(gn_table_cell(&t, i, 0), fields[i % nf], "row %d", i);
        double v = strtod(gn_table_cell(&t, i, 1), NULL);
        cr_assert(v == nums[i % nn] && signbit(v) == signbit(nums[i % nn]), "row %d: %s vs %.17g",
                  i, gn_table_cell(&t, i, 1), nums[i % nn]);
        cr_assert(fabs(v - nums[i % nn]) <= GN_TOL_ROUNDTRIP);
    }
    cr_assert_str_eq(gn_table_cell(&t, rows, 0), "");
    cr_assert_str_eq(gn_table_cell(&t, rows, 1), "-42");

    /* a table written by gn_table_write reads back identical */
    char path2[512];
    snprintf(path2, sizeof path2, "%s/rt2.csv", dir);
    cr_assert_eq(gn_table_write(path2, &t, err, sizeof err), 0, "%s", err);
    gn_table u;
    cr_assert_eq(gn_table_read(path2, &u, err, sizeof err), 0, "%s", err);
    cr_assert_eq(u.n_rows, t.n_rows);
    cr_assert_eq(u.n_cols, t.n_cols);
    for (int i = 0; i < t.n_rows * t.n_cols; i++)
        cr_assert_str_eq(u.cells[i], t.cells[i]);
    gn_table_free(&u);
    gn_table_free(&t);
    cr_assert_eq(count_entries(), 2); /* rt.csv, rt2.csv: no temporary files left */
}

Test(csvio, quotes_only_when_needed)
{
    char path[512];
    snprintf(path, sizeof path, "%s/q.csv", dir);
    gn_csv_writer w;
    char err[256];
    cr_assert_eq(gn_csvw_open(&w, path, err, sizeof err), 0);
    gn_csvw_str(&w, "a");
    gn_csvw_str(&w, "b,c");
    gn_csvw_real(&w, 0.1);
    gn_csvw_real(&w, NAN);
    gn_csvw_real(&w, -INFINITY);
    gn_csvw_real_or_empty(&w, NAN);
    gn_csvw_int(&w, 7);
    gn_csvw_end_row(&w);
    cr_assert_eq(gn_csvw_commit(&w, err, sizeof err), 0);
    cr_assert_str_eq(slurp(path), "a,\"b,c\",0.1,nan,-inf,,7\n");
}

Test(csvio, commit_replaces_file_atomically)
{
    const char *p = put("r.csv", "old\n1\n");
    char path[512];
    snprintf(path, sizeof path, "%s", p);
    gn_csv_writer w;
    char err[256];
    cr_assert_eq(gn_csvw_open(&w, path, err, sizeof err), 0, "%s", err);
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    cr_assert_str_eq(w.tmp, tmp);
    gn_csvw_str(&w, "new");
    gn_csvw_end_row(&w);
    gn_csvw_int(&w, 2);
    gn_csvw_end_row(&w);
    /* until commit, readers see the old file */
    cr_assert_str_eq(slurp(path), "old\n1\n");
    cr_assert_eq(access(tmp, F_OK), 0);
    cr_assert_eq(gn_csvw_commit(&w, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(slurp(path), "new\n2\n");
    cr_assert_neq(access(tmp, F_OK), 0);
    cr_assert_eq(count_entries(), 1);
    cr_assert_null(w.f);
}

Test(csvio, commit_ends_an_unfinished_row)
{
    char path[512];
    snprintf(path, sizeof path, "%s/u.csv", dir);
    gn_csv_writer w;
    char err[256];
    cr_assert_eq(gn_csvw_open(&w, path, err, sizeof err), 0);
    gn_csvw_str(&w, "x");
    cr_assert_eq(gn_csvw_commit(&w, err, sizeof err), 0);
    cr_assert_str_eq(slurp(path), "x\n");
}

Test(csvio, abort_keeps_the_old_file)
{
    const char *p = put("k.csv", "old\n1\n");
    char path[512];
    snprintf(path, sizeof path, "%s", p);
    gn_csv_writer w;
    char err[256];
    cr_assert_eq(gn_csvw_open(&w, path, err, sizeof err), 0, "%s", err);
    gn_csvw_str(&w, "new");
    gn_csvw_end_row(&w);
    gn_csvw_abort(&w);
    gn_csvw_abort(&w); /* harmless twice */
    cr_assert_str_eq(slurp(path), "old\n1\n");
    cr_assert_eq(count_entries(), 1);
}

Test(csvio, open_fails_in_missing_folder)
{
    gn_csv_writer w;
    char err[256] = "";
    char path[512];
    snprintf(path, sizeof path, "%s/no/such/dir/x.csv", dir);
    cr_assert_eq(gn_csvw_open(&w, path, err, sizeof err), -1);
    cr_assert(strstr(err, "No such file or directory"), "%s", err);
    cr_assert_null(w.f);
    cr_assert_null(w.tmp);
}

Test(csvio, missing_file_names_path_and_reason)
{
    char path[512];
    snprintf(path, sizeof path, "%s/absent.csv", dir);
    gn_table t;
    char err[512];
    cr_assert_eq(gn_table_read(path, &t, err, sizeof err), -1);
    cr_assert(strstr(err, path) == err, "%s", err);
    cr_assert(strstr(err, "cannot open: No such file or directory"), "%s", err);
}

Test(csvio, empty_file)
{
    expect_error("", 1, "empty file");
    expect_error("\n\n  \n", 1, "empty file");
}

Test(csvio, ragged_rows_name_their_line)
{
    expect_error("a,b,c,d\n1,2,3,4\n1,2,3\n", 3, "row has 3 fields, header has 4");
    expect_error("a,b\n1,2\n\n\n1,2,3\n", 5, "row has 3 fields, header has 2");
    /* a quoted line end does not count as a new record */
    expect_error("a,b\n\"x\ny\",1\n1\n", 4, "row has 1 field, header has 2");
    /* the last row without a final newline */
    expect_error("a,b\n1,2\n3", 3, "row has 1 field, header has 2");
    /* CRLF line ends */
    expect_error("a,b\r\n1,2\r\n3,4,5\r\n", 3, "row has 3 fields");
}

Test(csvio, bad_quoting_names_its_line)
{
    expect_error("a,b\n1,2\n1,x\"y\n", 3, "bad quoting");
    expect_error("a,b\n1,2\n\"ab\"c,1\n", 3, "bad quoting");
    expect_error("a,b\n1,2\n3,\"open\nstill open\n", 3, "quoted field not closed");
}

Test(csvio, large_file_spans_chunks)
{
    char path[512];
    snprintf(path, sizeof path, "%s/big.csv", dir);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    fputs("i,text\n", f);
    int n = 20000;
    for (int i = 0; i < n; i++)
        fprintf(f, "%d,\"row %d\nsecond line, with comma\"\n", i, i);
    fputs("1,2,3\n", f);
    fclose(f);
    gn_table t;
    char err[512];
    cr_assert_eq(gn_table_read(path, &t, err, sizeof err), -1);
    char want[600];
    snprintf(want, sizeof want, "%s:%d: row has 3 fields", path, 2 + 2 * n);
    cr_assert(strncmp(err, want, strlen(want)) == 0, "want '%s', got '%s'", want, err);

    f = fopen(path, "wb");
    fputs("i,text\n", f);
    for (int i = 0; i < n; i++)
        fprintf(f, "%d,\"row %d\nsecond line, with comma\"\n", i, i);
    fclose(f);
    cr_assert_eq(gn_table_read(path, &t, err, sizeof err), 0, "%s", err);
    cr_assert_eq(t.n_rows, n);
    cr_assert_eq(t.lines[n - 1], 2 + 2 * (n - 1));
    cr_assert_str_eq(gn_table_cell(&t, 12345, 1), "row 12345\nsecond line, with comma");
    gn_table_free(&t);
}

/* Reads text with GN_TABLE_KEEP_COMPLETE: rows kept, rows left out and the
 * line of the first left out. */
static void expect_kept(const char *text, int rows, int dropped, int line)
{
    const char *p = put("torn.csv", text);
    gn_table t;
    char err[512] = "";
    cr_assert_eq(gn_table_read_ex(p, GN_TABLE_KEEP_COMPLETE, &t, err, sizeof err), 0, "%s", err);
    cr_assert_eq(t.n_rows, rows, "%s", text);
    cr_assert_eq(t.n_dropped, dropped, "%s", text);
    cr_assert_eq(t.dropped_line, line, "%s", text);
    gn_table_free(&t);
}

Test(csvio, keep_complete_leaves_out_a_torn_end)
{
    expect_kept("a,b\n1,2\n3,4\n", 2, 0, 0);
    expect_kept("a,b\n1,2\n3", 1, 1, 3);           /* torn before a field ends */
    expect_kept("a,b\n1,2\n3,4", 1, 1, 3);         /* torn in the last field: no line end */
    expect_kept("a,b\n1,2\n3,\"op", 1, 1, 3);      /* torn inside a quoted field */
    expect_kept("a,b\n1\n3,4\n5,6,7\n", 1, 2, 2);  /* ragged rows anywhere */
    expect_kept("a,b\r\n1,2\r\n3,4\r\n", 2, 0, 0); /* CRLF rows are complete */
    /* without the flag the same text fails */
    expect_error("a,b\n1,2\n3", 3, "row has 1 field");
}
