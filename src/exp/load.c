/* load.c: the public entry points of experiment.h. Reads the file (with
 * core/fs), runs the steps of exp_internal.h in order on a fresh context
 * (parse, quick overlay, sections, grid, columns, figures), and frees an
 * experiment. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fs.h"
#include "exp/exp_internal.h"
#include "model/loss.h"

/* The longest experiment file read: 1 GiB less two bytes, the bound the
 * loader had when it read files itself (its buffer doubled up to 1 GiB,
 * keeping a byte for the NUL and one to see the end of the file). */
#define MAX_FILE_BYTES (((size_t)1 << 30) - 2)

/* Appends where the items of l were written (entry: -1 for the global
 * sections) to ex->key_lines. */
static int record_lines(ctx *c, gn_experiment *ex, const layer *l, int entry_index)
{
    gn_key_line *kl = realloc(ex->key_lines, (size_t)(ex->n_key_lines + l->n + 1) * sizeof *kl);
    if (!kl) return gn_exp_oom(c);
    ex->key_lines = kl;
    for (int i = 0; i < l->n; i++) {
        const item *it = &l->it[i];
        gn_key_line *k = &ex->key_lines[ex->n_key_lines];
        *k = (gn_key_line){entry_index, it->line, it->quick, strdup(it->key), NULL};
        size_t n = strlen(it->path) + 7;
        k->path = malloc(n);
        if (k->path) snprintf(k->path, n, "%s%s", it->quick ? "quick." : "", it->path);
        ex->n_key_lines++;
        if (!k->key || !k->path) return gn_exp_oom(c);
    }
    return 0;
}

/* Validates the tree and fills the experiment's name, runs, columns and figures. */
static int build(ctx *c, const ynode *root, gn_experiment *ex)
{
    spec sp;
    memset(&sp, 0, sizeof sp);
    if (gn_exp_parse_root(c, &sp, root) != 0) return -1;
    gn_exp_map_get(root, "dataset", &ex->dataset_line);
    if (record_lines(c, ex, &sp.global, -1) != 0) return -1;
    for (int i = 0; i < sp.n_entries; i++)
        if (record_lines(c, ex, &sp.entries[i].l, sp.entries[i].index) != 0) return -1;
    ex->name = strdup(sp.name);
    ex->description = strdup(sp.description ? sp.description : "");
    if (!ex->name || !ex->description) return gn_exp_oom(c);
    if (gn_exp_expand(c, &sp, ex) != 0) return -1;
    if (gn_exp_check_runs(c, ex) != 0) return -1;
    if (gn_exp_build_columns(c, ex) != 0) return -1;
    return gn_exp_build_figures(c, &sp, ex);
}

/* The loss: parameter, its choices from the loss table. */
static void init_loss_param(ctx *c)
{
    size_t o = 0;
    c->loss_choices[0] = '\0';
    for (int i = 0; gn_losses[i].name && o < sizeof c->loss_choices; i++)
        o += (size_t)snprintf(c->loss_choices + o, sizeof c->loss_choices - o, "%s%s", i ? "|" : "",
                              gn_losses[i].name);
    if (!c->loss_choices[0]) snprintf(c->loss_choices, sizeof c->loss_choices, "square");
    c->loss_param = (gn_param){"loss",
                               GN_PARAM_CHOICE,
                               gn_losses[0].name ? gn_losses[0].name : "square",
                               0,
                               0,
                               c->loss_choices,
                               "training loss",
                               0};
}

/* The folder part of path ("." when it has none), in a new string. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    if (slash == path) return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

/* Steps 1-4 on ex->text (len bytes): parse, apply quick, build; also
 * validates the quick variant when quick is off. */
static int load_tree(ctx *c, size_t len, int quick, gn_experiment *ex)
{
    ynode *root = gn_exp_parse_text(c, ex->text, len);
    if (!root) return -1;
    const ynode *q = gn_exp_map_get(root, "quick", NULL);
    ynode *qroot = NULL;
    if (q) {
        qroot = gn_exp_apply_quick(c, root, q);
        if (!qroot) return -1;
    }
    if (build(c, quick && qroot ? qroot : root, ex) != 0) return -1;
    if (!quick && qroot) {
        /* Validate the quick variant too, so `check` catches its errors. */
        gn_experiment scratch;
        memset(&scratch, 0, sizeof scratch);
        int qrc = build(c, qroot, &scratch);
        gn_experiment_free(&scratch);
        if (qrc != 0) return -1;
    }
    return 0;
}

int gn_experiment_load_text(const char *name, const char *text, size_t len, const char *base_dir,
                            int quick, gn_experiment *ex, char *err, size_t errlen)
{
    ctx c;
    memset(&c, 0, sizeof c);
    memset(ex, 0, sizeof *ex);
    c.path = name ? name : "(text)";
    c.err = err;
    c.errlen = errlen;
    if (err && errlen) err[0] = '\0';
    if (!text && len > 0) return gn_exp_fail(&c, 0, 0, NULL, "no experiment text given");
    init_loss_param(&c);

    int rc = -1;
    ex->text = malloc(len + 1);
    ex->path = strdup(c.path);
    ex->base_dir = base_dir ? strdup(base_dir) : dir_of(c.path);
    ex->quick = quick != 0;
    if (!ex->text || !ex->path || !ex->base_dir) {
        gn_exp_oom(&c);
        goto out;
    }
    if (len) memcpy(ex->text, text, len);
    ex->text[len] = '\0';
    rc = load_tree(&c, len, quick, ex);
out:
    gn_exp_arena_free(&c);
    if (rc != 0) gn_experiment_free(ex);
    return rc;
}

/* path is a regular file: opened non-blocking (a FIFO cannot block) and
 * checked with fstat, so /dev/zero, a FIFO or a folder is refused before it
 * is read. 0, or -1 with the error set. */
static int check_regular(ctx *c, const char *path)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(c->err, c->errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    int rc = fstat(fd, &st);
    close(fd);
    if (rc == 0 && S_ISREG(st.st_mode)) return 0;
    snprintf(c->err, c->errlen, "%s: cannot read: %s, expected a regular file (an experiment file)",
             path,
             rc != 0                ? strerror(errno)
             : S_ISDIR(st.st_mode)  ? "a folder"
             : S_ISFIFO(st.st_mode) ? "a FIFO"
             : S_ISCHR(st.st_mode)  ? "a character device"
             : S_ISBLK(st.st_mode)  ? "a block device"
                                    : "not a regular file");
    return -1;
}

int gn_experiment_load(const char *path, int quick, gn_experiment *ex, char *err, size_t errlen)
{
    ctx c;
    memset(&c, 0, sizeof c);
    memset(ex, 0, sizeof *ex);
    c.path = path ? path : "(null)";
    c.err = err;
    c.errlen = errlen;
    if (err && errlen) err[0] = '\0';
    if (!path) return gn_exp_fail(&c, 0, 0, NULL, "no experiment file given");

    char *text = NULL;
    size_t len = 0;
    if (check_regular(&c, path) != 0) return -1;
    if (gn_fs_read_whole(path, MAX_FILE_BYTES, &text, &len, c.err, c.errlen) != 0) return -1;
    char *dir = dir_of(path);
    if (!dir) {
        free(text);
        return gn_exp_oom(&c);
    }
    int rc = gn_experiment_load_text(path, text, len, dir, quick, ex, err, errlen);
    free(dir);
    free(text);
    return rc;
}

void gn_experiment_free(gn_experiment *ex)
{
    if (!ex) return;
    free(ex->path);
    free(ex->base_dir);
    free(ex->text);
    free(ex->name);
    free(ex->description);
    for (int i = 0; i < ex->n_runs; i++)
        gn_exp_run_spec_free(&ex->runs[i]);
    free(ex->runs);
    for (int i = 0; i < ex->n_columns; i++)
        free(ex->columns[i]);
    free(ex->columns);
    for (int i = 0; i < ex->n_figures; i++)
        gn_exp_figure_free(&ex->figures[i]);
    free(ex->figures);
    for (int i = 0; i < ex->n_entry_labels; i++)
        free(ex->entry_labels[i]);
    free(ex->entry_labels);
    for (int i = 0; i < ex->n_key_lines; i++) {
        free(ex->key_lines[i].key);
        free(ex->key_lines[i].path);
    }
    free(ex->key_lines);
    free(ex->protocol.baselines);
    free(ex->protocol.entry_trials);
    free(ex->protocol.entry_explicit);
    memset(ex, 0, sizeof *ex);
}

const gn_key_line *gn_experiment_key_line(const gn_experiment *ex, const gn_run_spec *r,
                                          const char *key)
{
    const gn_key_line *global = NULL;
    for (int i = 0; i < ex->n_key_lines; i++) {
        const gn_key_line *k = &ex->key_lines[i];
        if (strcmp(k->key, key) != 0) continue;
        if (r && k->entry == r->entry) return k;
        if (k->entry < 0 && !global) global = k;
    }
    return global;
}

const char *gn_experiment_entry_label(const gn_experiment *ex, int k)
{
    if (k < 0 || k >= ex->n_entry_labels || !ex->entry_labels[k]) return "";
    return ex->entry_labels[k];
}

const char *gn_experiment_entry_name(const gn_experiment *ex, int k, const gn_optim_ops *ops)
{
    const char *label = gn_experiment_entry_label(ex, k);
    return *label ? label : ops->name;
}
