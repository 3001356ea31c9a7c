/* trace.c: writes traces/<run_id>.csv, one row per evaluation of a run,
 * with the cell types the schema gives (schema.h). */
#include "io/csvio.h"
#include "run/run_internal.h"

/* Whether trace column j is written for this run. */
static int trace_has(int j, int classify, int has_val)
{
    unsigned f = gn_trace_columns[j].flags;
    return (classify || !(f & GN_COL_CLASSIFY)) && (has_val || !(f & GN_COL_VAL));
}

/* One trace cell of the type the schema gives (schema.h). */
static void trace_cell(gn_csv_writer *w, const gn_column *col, double v, int has_test)
{
    if ((col->flags & GN_COL_TEST) && !has_test)
        gn_csvw_str(w, NULL);
    else if (col->type == GN_COL_INT)
        gn_csvw_int(w, (long)v);
    else if (col->type == GN_COL_REAL_NAN)
        gn_csvw_real(w, v); /* a NaN loss is data: written as nan */
    else
        gn_csvw_real_or_empty(w, v); /* NaN = not applicable */
}

int gn_trace_write(const char *path, const gn_trace_row *rows, long n, int has_test, int has_val,
                   int classify, const gn_column *extra, char *err, size_t errlen)
{
    gn_csv_writer w;
    int n_extra = 0;
    while (extra && extra[n_extra].name && n_extra < GN_OPTIM_MAX_EXTRA)
        n_extra++;
    if (gn_csvw_open(&w, path, err, errlen) != 0) return -1;
    for (int j = 0; j < GN_TC_COUNT; j++)
        if (trace_has(j, classify, has_val)) gn_csvw_str(&w, gn_trace_columns[j].name);
    for (int j = 0; j < n_extra; j++)
        gn_csvw_str(&w, extra[j].name);
    gn_csvw_end_row(&w);
    for (long i = 0; i < n; i++) {
        for (int j = 0; j < GN_TC_COUNT; j++)
            if (trace_has(j, classify, has_val))
                trace_cell(&w, &gn_trace_columns[j], rows[i].v[j], has_test);
        for (int j = 0; j < n_extra; j++)
            trace_cell(&w, &extra[j], rows[i].extra[j], has_test);
        gn_csvw_end_row(&w);
    }
    return gn_csvw_commit(&w, err, errlen);
}
