/* plot.c: gnuplot figures from a results folder (see plot.h).
 *
 * Reads <results>/runs.csv and <results>/traces/<run_id>.csv (through
 * csvio), reduces them over seeds and writes, for every figure of the
 * experiment, <plots>/<figure>.dat (the reduced data, one gnuplot data block
 * per line of the figure), <plots>/<figure>.gp (a standalone script that
 * reads the .dat from its own folder) and runs gnuplot in that folder to
 * render <plots>/<figure>.<format>. This file checks a figure, writes its
 * files and joins the errors; the steps live in the files that
 * plot_internal.h lists.
 *
 * Only runs with status ok, diverged or time_limit are plotted. */
#include "plot/plot.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fs.h"
#include "plot/plot_internal.h"

static int valid_name(const char *s)
{
    if (!s || !*s || *s == '.' || *s == '-') return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.'))
            return 0;
    return 1;
}

/* Whether the script at path exists and its first line is not the one
 * gnbench writes (plot_gp_first_line): then it is the user's to keep. */
static int script_is_users(const fig_ctx *fc, const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return 0;
    sbuf want = {0};
    plot_gp_first_line(fc, &want);
    char line[1024];
    int users = !fgets(line, sizeof line, fp) || strcmp(line, sb_str(&want)) != 0;
    fclose(fp);
    if (want.oom) users = 0;
    sb_free(&want);
    return users;
}

/* Writes <plots>/<figure>.dat and .gp and renders when gnuplot != NULL. */
static int plot_figure(plot_ctx *pc, const gn_figure *f, const char *gnuplot, char *msg, size_t len)
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
    if (f->kind < GN_FIG_TRACE || f->kind > GN_FIG_TUNING) {
        snprintf(msg, len, "kind %d: expected trace, summary, best or tuning", (int)f->kind);
        goto done;
    }
    if (!f->x || !*f->x || !f->y || !*f->y) {
        snprintf(msg, len, "x and y are required");
        goto done;
    }
    fc.summary = f->kind == GN_FIG_SUMMARY || f->kind == GN_FIG_TUNING;
    fc.tuning = f->kind == GN_FIG_TUNING;
    fc.best = f->kind == GN_FIG_BEST;
    fc.phase = fc.best ? "confirm" : fc.tuning ? "tune" : NULL;
    fc.target = NAN;
    fc.format = f->format ? f->format : pc->format;
    int n_pts = 0;
    if (plot_fig_build(&fc, &n_pts, msg, len)) goto done;
    if (pc->n_live == 0)
        sb_printf(&why, "no data: runs.csv has no run with status ok, diverged or time_limit");
    else if (fc.phase && fc.n_phase == 0)
        sb_printf(&why, "no data: runs.csv has no finished %s run%s", fc.phase,
                  fc.best ? " (no study has chosen its configuration yet)" : "");
    else if (n_pts == 0 && fc.n_skipped > 0)
        sb_printf(&why, "no data: %d trace(s) missing or empty, no finite %s", fc.n_skipped, f->y);
    else if (n_pts == 0)
        sb_printf(&why, "no data: no finite%s value of %s", f->logy ? " positive" : "", f->y);

    plot_dat_write(&fc, &dat);
    plot_gp_write(&fc, &gp, why.n ? why.s : NULL);
    sb_printf(&path, "%s/%s.dat", pc->plots_dir, f->name);
    if (path.oom || plot_write_atomic(path.s, &dat, msg, len)) goto done;
    path.n = 0;
    sb_printf(&path, "%s/%s.gp", pc->plots_dir, f->name);
    if (path.oom) goto done;
    if (script_is_users(&fc, path.s))
        fprintf(stderr,
                "plot: %s: first line changed, so the script is yours: left as it is and "
                "rendered with the new %s.dat (restore the first line or remove the file to "
                "regenerate it)\n",
                path.s, f->name);
    else if (plot_write_atomic(path.s, &gp, msg, len))
        goto done;
    if (gnuplot) {
        path.n = 0;
        sb_printf(&path, "%s.gp", f->name);
        if (path.oom || plot_run_gnuplot(gnuplot, pc->plots_dir, path.s, msg, len)) goto done;
        path.n = 0;
        sb_printf(&path, "%s/%s.%s", pc->plots_dir, f->name, fc.format);
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
    plot_fig_free(&fc);
    return rc;
}

static void append_error(char *err, size_t errlen, int *n_err, const char *fmt, ...)
{
    if (!err || errlen == 0) return;
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

int gn_plot_experiment(const gn_experiment *ex, const char *results_dir, const char *plots_dir,
                       const char *format, char *err, size_t errlen)
{
    char msg[1024];
    int n_err = 0;
    if (err && errlen) err[0] = '\0';
    if (!format || !*format) format = "png";
    if (!ex || !results_dir || !plots_dir) {
        append_error(err, errlen, &n_err, "plot: missing experiment or folder");
        return -1;
    }
    if (strcmp(format, "png") && strcmp(format, "svg") && strcmp(format, "pdf")) {
        append_error(err, errlen, &n_err, "plot: format '%s': expected png, svg or pdf", format);
        return -1;
    }
    if (ex->n_figures == 0) return 0;
    plot_ctx pc = {0};
    pc.ex = ex;
    pc.results_dir = results_dir;
    pc.plots_dir = plots_dir;
    pc.format = format;
    pc.c_run_id = pc.c_status = pc.c_optimizer = pc.c_seed = -1;
    if (plot_ctx_open(&pc, msg, sizeof msg) != 0) {
        append_error(err, errlen, &n_err, "plot: %s", msg);
        plot_ctx_close(&pc);
        return -1;
    }
    if (gn_fs_mkdir_p(plots_dir) != 0) {
        append_error(err, errlen, &n_err, "plot: %s: cannot create folder: %s", plots_dir,
                     strerror(errno));
        plot_ctx_close(&pc);
        return -1;
    }
    /* Two processes may draw into one folder at once (the last two shards of
     * a sweep that finish together): they take turns, so neither reads a
     * figure the other is rewriting. */
    int lock = plot_lock_folder(plots_dir);
    char *gnuplot = plot_find_program("gnuplot");
    for (int i = 0; i < ex->n_figures; i++) {
        const gn_figure *f = &ex->figures[i];
        if (plot_figure(&pc, f, gnuplot, msg, sizeof msg) != 0)
            append_error(err, errlen, &n_err, "figure '%s': %s", f->name ? f->name : "?", msg);
    }
    if (!gnuplot)
        append_error(err, errlen, &n_err,
                     "gnuplot not found in PATH: scripts and data written to %s; "
                     "install gnuplot (Debian: gnuplot-nox) and run "
                     "'gnuplot <figure>.gp' there",
                     plots_dir);
    free(gnuplot);
    if (lock >= 0) close(lock); /* releases the folder */
    plot_ctx_close(&pc);
    return n_err ? -1 : 0;
}
