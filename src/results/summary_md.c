/* summary_md.c: a summary as markdown (gn_summary_print_markdown): the
 * main columns of summary.csv, numbers to 4 significant digits. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "results/summary.h"

/* A cell of the table, with '|' escaped and line breaks as blanks. */
static void md_text(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '|')
            fputs("\\|", f);
        else
            fputc((unsigned char)*s < 0x20 ? ' ' : *s, f);
    }
}

static const char *text(const gn_summary *s, int row, const char *name)
{
    int col = gn_table_col(&s->table, name);
    return col >= 0 ? gn_table_cell(&s->table, row, col) : "";
}

/* A number to 4 significant digits; "-" for an empty cell. */
static void md_num(FILE *f, const gn_summary *s, int row, const char *name)
{
    double v = gn_summary_number(s, row, name);
    if (isnan(v))
        fputs("-", f);
    else
        fprintf(f, "%.4g", v);
}

/* "median [lo, hi]". */
static void md_interval(FILE *f, const gn_summary *s, int row, const char *prefix)
{
    char name[96];
    snprintf(name, sizeof name, "%s_median", prefix);
    md_num(f, s, row, name);
    snprintf(name, sizeof name, "%s_lo", prefix);
    if (isnan(gn_summary_number(s, row, name))) return;
    fputs(" [", f);
    md_num(f, s, row, name);
    fputs(", ", f);
    snprintf(name, sizeof name, "%s_hi", prefix);
    md_num(f, s, row, name);
    fputs("]", f);
}

/* Whether any row has a value in column name. */
static int any(const gn_summary *s, const char *name)
{
    for (int i = 0; i < s->table.n_rows; i++)
        if (*text(s, i, name)) return 1;
    return 0;
}

static void md_row(FILE *f, const gn_summary *s, int i, int studies, int acc)
{
    fputs("| ", f);
    md_text(f, gn_summary_method(s, i));
    if (studies) fprintf(f, " | %s", text(s, i, "study"));
    fputs(" | ", f);
    md_text(f, *text(s, i, "config") ? text(s, i, "config") : "-");
    fprintf(f, " | %s", text(s, i, "trials"));
    if (*text(s, i, "trials_budget")) fprintf(f, "/%s", text(s, i, "trials_budget"));
    fprintf(f, " | %s/%s | ", text(s, i, "reached"), text(s, i, "runs"));
    md_interval(f, s, i, "time_to_target_s");
    fputs(" | ", f);
    md_num(f, s, i, "speedup_vs_baseline");
    if (*text(s, i, "baseline")) fprintf(f, " (%s)", text(s, i, "baseline"));
    fputs(" | ", f);
    md_interval(f, s, i, "final_val_loss");
    if (acc) {
        fputs(" | ", f);
        md_num(f, s, i, "final_test_accuracy_median");
    }
    fputs(" | ", f);
    md_num(f, s, i, "tuning_compute_s");
    fputs(" |\n", f);
}

int gn_summary_print_markdown(const gn_summary *s, const char *dir, FILE *f)
{
    int studies = any(s, "study"), acc = any(s, "final_test_accuracy_median");
    fputs("# Summary of ", f);
    md_text(f, *s->experiment ? s->experiment : dir);
    fputs("\n\n", f);
    fprintf(f, "- source: %s\n",
            s->protocol ? "confirm runs of the tuned configurations"
                        : "grid sweep (best configuration per optimizer)");
    fputs("- target: ", f);
    if (*s->target_metric) {
        md_text(f, s->target_metric);
        fputs(" ", f);
        md_text(f, s->target_value);
    } else {
        fputs("none", f);
    }
    fputs("\n- selection: ", f);
    md_text(f, s->select_rule ? s->select_rule : "");
    fprintf(f, "\n- runs.csv rows: %d (%d error)\n\n", s->n_rows_read, s->n_error);
    fprintf(f,
            "| optimizer%s | configuration | trials | reached | time to target (s) "
            "median [95%% CI] | speed-up | final val loss median [95%% CI]%s | tuning "
            "compute (s) |\n",
            studies ? " | study" : "", acc ? " | test accuracy" : "");
    fprintf(f, "|---%s|---|---|---|---|---|---|%s---|\n", studies ? "|---" : "", acc ? "---|" : "");
    for (int i = 0; i < s->table.n_rows; i++)
        md_row(f, s, i, studies, acc);
    fputs("\nEvery column: summary.csv (docs/SUMMARY.md).\n", f);
    return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}
