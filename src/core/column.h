/* column.h: the description of one CSV column gnbench writes (the tables
 * are in schema.h; optimizers declare their own trace columns with it). */
#ifndef GN_COLUMN_H
#define GN_COLUMN_H

#include <stddef.h>

/* How a cell is written. */
typedef enum {
    GN_COL_INT,      /* long, "%ld" */
    GN_COL_COUNT,    /* double holding a whole number, "%.0f"; NaN: empty */
    GN_COL_REAL,     /* double, "%.17g"; NaN: empty (not applicable) */
    GN_COL_REAL_NAN, /* double, "%.17g"; NaN written "nan" (a NaN loss is data) */
    GN_COL_MIB,      /* double, "%.1f" */
    GN_COL_FLAG,     /* int: 1 "true", 0 "false", negative: empty */
    GN_COL_TEXT,     /* char array in the struct */
    GN_COL_TEXT_PTR  /* const char * in the struct (NULL: empty) */
} gn_col_type;

/* Column flags. */
enum {
    GN_COL_TIMING = 1u,   /* measured time or memory: differs between runs of one setting */
    GN_COL_CLASSIFY = 2u, /* trace: written only for classification losses */
    GN_COL_TEST = 4u,     /* trace: empty without a test set */
    GN_COL_X = 8u,        /* trace: a figure's x axis (the others are y values) */
    GN_COL_VAL = 16u      /* trace: written only for runs with a validation set */
};

typedef struct gn_column {
    const char *name;  /* the CSV header */
    const char *label; /* axis label, with the unit in parentheses */
    gn_col_type type;
    size_t offset; /* of the value in gn_run_result or gn_trace_row */
    unsigned flags;
} gn_column;

#endif
