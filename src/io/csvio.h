/* csvio.h: RFC 4180 CSV reading and atomic writing through libcsv.
 * The only module that includes <csv.h>. */
#ifndef GN_CSVIO_H
#define GN_CSVIO_H

#include <stddef.h>
#include <stdio.h>

/* A whole CSV file as text cells; the first record is the header. */
typedef struct gn_table {
    int n_rows, n_cols; /* data rows (header excluded), columns */
    char **header;      /* n_cols names */
    char **cells;       /* n_rows * n_cols, row-major; never NULL (empty = "") */
    int *lines;         /* n_rows: 1-based line in the file where each row starts */
    int header_line;    /* 1-based line of the header (set by gn_table_read) */
    int n_dropped;      /* GN_TABLE_KEEP_COMPLETE: incomplete rows left out */
    int dropped_line;   /* the line where the first of them starts (0: none) */
} gn_table;

/* Reads `path`. Errors (missing file, empty file, ragged row, bad quoting)
 * return -1 with "path:line: what" in err. */
int gn_table_read(const char *path, gn_table *t, char *err, size_t errlen);

/* gn_table_read_ex flags. GN_TABLE_KEEP_COMPLETE: a table this program
 * wrote and something else damaged: rows with the wrong number of fields,
 * a last row without its line end and a quoted field left open at the end
 * of the file are left out (counted in n_dropped) instead of failing. */
enum { GN_TABLE_KEEP_COMPLETE = 1 };
int gn_table_read_ex(const char *path, int flags, gn_table *t, char *err, size_t errlen);
void gn_table_free(gn_table *t);
int gn_table_col(const gn_table *t, const char *name); /* index or -1 */
const char *gn_table_cell(const gn_table *t, int row, int col);

/* Writer: fields go to "<path>.tmp.<pid>"; commit flushes, fsyncs and
 * renames over `path`, so readers never see a torn file. */
typedef struct gn_csv_writer {
    FILE *f;
    char *path, *tmp;
    int at_row_start;
    int failed;
} gn_csv_writer;

int gn_csvw_open(gn_csv_writer *w, const char *path, char *err, size_t errlen);
void gn_csvw_str(gn_csv_writer *w, const char *s); /* NULL writes an empty field */
void gn_csvw_real(gn_csv_writer *w,
                  double v); /* exact (gn_csv_format_real); NaN -> "nan"; inf -> "inf" */
void gn_csvw_real_or_empty(gn_csv_writer *w, double v); /* NaN -> empty field */
void gn_csvw_int(gn_csv_writer *w, long v);
void gn_csvw_end_row(gn_csv_writer *w);
int gn_csvw_commit(gn_csv_writer *w, char *err, size_t errlen); /* 0 ok */
void gn_csvw_abort(gn_csv_writer *w);                           /* removes the temporary file */

/* Formats v with the fewest of 15, 16 or 17 significant digits ("%.*g")
 * that read back to the same double; "nan", "inf", "-inf" otherwise. Returns
 * what snprintf returns. */
int gn_csv_format_real(char *buf, size_t len, double v);

/* Writes a whole gn_table atomically. */
int gn_table_write(const char *path, const gn_table *t, char *err, size_t errlen);

#endif
