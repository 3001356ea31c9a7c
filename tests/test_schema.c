/* test_schema.c: the column schema (results/schema.h): every column named
 * once, labelled, inside its struct; statuses round-trip by name. */
#include <criterion/criterion.h>
#include <string.h>

#include "optim/optim.h"
#include "results/schema.h"

static size_t cell_bytes(gn_col_type t)
{
    switch (t) {
    case GN_COL_INT:
        return sizeof(long);
    case GN_COL_TEXT:
        return 1;
    case GN_COL_TEXT_PTR:
        return sizeof(const char *);
    default:
        return sizeof(double);
    }
}

Test(schema, runs_columns_are_unique_labelled_and_inside_the_result)
{
    const gn_column *tables[] = {gn_runs_key_columns, gn_runs_result_columns};
    int n = 0;
    const char *seen[64];
    for (int t = 0; t < 2; t++)
        for (const gn_column *c = tables[t]; c->name; c++) {
            cr_expect(c->label && *c->label, "%s has no label", c->name);
            for (int i = 0; i < n; i++)
                cr_expect_str_neq(seen[i], c->name);
            cr_assert_lt(n, 64);
            seen[n++] = c->name;
            if (t == 1)
                cr_expect_leq(c->offset + cell_bytes(c->type), sizeof(gn_run_result), "%s",
                              c->name);
            cr_expect_eq(gn_schema_runs_column(c->name), c, "%s is found by name", c->name);
        }
}

Test(schema, trace_columns_follow_their_enum_and_fit_the_row)
{
    for (int j = 0; j < GN_TC_COUNT; j++) {
        const gn_column *c = &gn_trace_columns[j];
        cr_assert_not_null(c->name, "trace column %d has no entry", j);
        cr_expect(c->label && *c->label, "%s has no label", c->name);
        cr_expect_eq(c->offset, j * sizeof(double), "%s is not v[%d]", c->name, j);
        cr_expect_leq(c->offset + sizeof(double), sizeof(((gn_trace_row *)0)->v));
        for (int k = 0; k < j; k++)
            cr_expect_str_neq(gn_trace_columns[k].name, c->name);
        cr_expect_eq(gn_schema_trace_column(c->name), c);
    }
}

Test(schema, optimizer_trace_columns_are_labelled_and_do_not_shadow_the_schema)
{
    for (int i = 0; gn_optimizers[i]; i++) {
        const gn_column *t = gn_optimizers[i]->trace_columns;
        int n = 0;
        for (; t && t[n].name; n++) {
            cr_expect(t[n].label && *t[n].label, "%s: %s has no label", gn_optimizers[i]->name,
                      t[n].name);
            for (int j = 0; j < GN_TC_COUNT; j++)
                cr_expect_str_neq(gn_trace_columns[j].name, t[n].name);
        }
        cr_expect_leq(n, GN_OPTIM_MAX_EXTRA, "%s", gn_optimizers[i]->name);
    }
}

Test(schema, statuses_round_trip_by_name_and_finished_ones_are_kept)
{
    for (int s = 0; s < GN_RUN_STATUS_COUNT; s++) {
        gn_run_status back;
        cr_assert_eq(gn_run_status_parse(gn_run_status_name((gn_run_status)s), &back), 0);
        cr_expect_eq(back, s);
    }
    cr_expect(gn_run_status_text_finished("ok"));
    cr_expect(gn_run_status_text_finished("diverged"));
    cr_expect(gn_run_status_text_finished("time_limit"));
    cr_expect(!gn_run_status_text_finished("error"));
    cr_expect(!gn_run_status_text_finished("interrupted"));
    cr_expect(!gn_run_status_text_finished(""));
}

Test(schema, labels_carry_units_and_unknown_names_label_themselves)
{
    cr_expect_str_eq(gn_schema_label("wall_s"), "wall time (s)");
    cr_expect_str_eq(gn_schema_label("peak_rss_mib"), "peak RSS (MiB)");
    cr_expect_str_eq(gn_schema_label("model.width"), "width (units)");
    cr_expect_str_eq(gn_schema_label("dual_gap"), "dual gap");
    cr_expect_str_eq(gn_schema_label("opt.lr"), "opt.lr");
}

/* Whether name is a column of the schema's runs.csv tables, its trace
 * columns or any registered optimizer's. */
static int names_a_column(const char *name, int trace)
{
    if (!trace) return gn_schema_runs_column(name) != NULL;
    return gn_schema_trace_column(name) != NULL;
}

static void expect_documented(const gn_column_doc *docs, const char *name)
{
    const gn_column_doc *d = gn_schema_doc(docs, name);
    cr_expect_not_null(d, "column %s has no documentation (results/schema_doc.c)", name);
    if (!d) return;
    cr_expect(d->unit != NULL && d->doc != NULL && strlen(d->doc) > 10, "%s", name);
    cr_expect(d->doc[strlen(d->doc) - 1] == '.', "%s: the doc is a sentence", name);
}

Test(schema, every_column_the_writers_use_is_documented)
{
    for (const gn_column *c = gn_runs_key_columns; c->name; c++)
        expect_documented(gn_runs_docs, c->name);
    for (const gn_column *c = gn_runs_result_columns; c->name; c++)
        expect_documented(gn_runs_docs, c->name);
    for (int j = 0; j < GN_TC_COUNT; j++)
        expect_documented(gn_trace_docs, gn_trace_columns[j].name);
    for (int i = 0; gn_optimizers[i]; i++)
        for (const gn_column *c = gn_optimizers[i]->trace_columns; c && c->name; c++)
            expect_documented(gn_trace_docs, c->name);
}

Test(schema, every_documented_column_exists_once)
{
    const gn_column_doc *tables[] = {gn_runs_docs, gn_trace_docs, gn_manifest_docs};
    for (int t = 0; t < 3; t++)
        for (const gn_column_doc *d = tables[t]; d->name; d++) {
            if (t < 2) cr_expect(names_a_column(d->name, t == 1), "%s is no column", d->name);
            cr_expect_eq(gn_schema_doc(tables[t], d->name), d, "%s documented twice", d->name);
            cr_expect(d->unit && d->doc && *d->doc, "%s", d->name);
        }
    cr_expect_null(gn_schema_doc(gn_runs_docs, "no_such_column"));
    cr_expect(strstr(gn_schema_wall_doc, "excludes the evaluations") != NULL);
}
