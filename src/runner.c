/* runner.c: executes the run grid of an experiment.
 *
 * The parent process validates everything that can fail before a run starts
 * (datasets load, models fit the data, memory estimates fit), then forks one
 * child per run, at most `jobs` at a time. A child initializes BLIS, trains,
 * writes traces/<run_id>.csv atomically and sends its summary back through a
 * pipe; the parent rewrites runs.csv atomically after every finished run.
 * The parent never calls BLIS itself (OpenMP and fork do not mix), and a
 * child that crashes is recorded as an `error` run with its signal. */
#define _GNU_SOURCE
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "blas.h"
#include "csvio.h"
#include "dataset.h"
#include "gn_config.h"
#include "gn_revision.h"
#include "loss.h"
#include "mlp.h"
#include "optim.h"
#include "plot.h"
#include "rng.h"
#include "runner.h"

#define EVAL_CHUNK 256

/* What a child sends back. */
typedef struct run_result {
    char status[16];
    long iterations;
    double wall_s, step_s_median, final_train, final_test, best_train, final_test_acc;
    double time_to_target, iters_to_target;
    double kernel_lambda_min, kernel_cond; /* first estimate the optimizer reported */
    long rejected, damping_raised_steps;
    long batch;
    char arch[32];
    char message[256];
} run_result;

typedef struct ds_entry {
    char *key;
    gn_dataset ds;
} ds_entry;

static const char *const metric_cols[] = {
    "iterations", "wall_s", "step_s_median", "final_train_loss", "final_test_loss",
    "final_test_accuracy", "best_train_loss", "time_to_target_s", "iterations_to_target", "peak_rss_mib",
    "kernel_lambda_min_init", "kernel_cond_init", "rejected_steps", "damping_raised_steps",
    "dataset_identity", "message"};
#define N_METRICS (int)(sizeof metric_cols / sizeof metric_cols[0])

/* Trace columns; the accuracies are written only for classification losses. */
enum {
    TC_ITERATION, TC_EPOCH, TC_SAMPLES, TC_WALL, TC_TRAIN_LOSS, TC_TEST_LOSS, TC_TRAIN_ACC,
    TC_TEST_ACC, TC_BATCH_LOSS, TC_GRAD_NORM, TC_STEP_NORM, TC_LR, TC_DAMPING, TC_GAIN,
    TC_T_FORWARD, TC_T_CURVATURE, TC_T_SOLVE, TC_T_BACKWARD, N_TRACE
};
static const char *const trace_cols[N_TRACE] = {
    "iteration", "epoch", "samples", "wall_s", "train_loss", "test_loss", "train_accuracy",
    "test_accuracy", "batch_loss", "grad_norm", "step_norm", "lr", "damping", "gain_ratio",
    "t_forward", "t_curvature", "t_solve", "t_backward"};

int gn_available_cores(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0) return n;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static int mkdir_p(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
            *p = '/';
        }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
    return 0;
}

static int file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* ---- settings → model ---- */

static int model_config(const gn_settings *s, const gn_dataset *ds, gn_mlp_config *cfg, char *err,
                        size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    const char *hidden = gn_settings_get(s, "model.hidden");
    int L = 0;
    cfg->sizes[0] = ds->d;
    if (hidden && *hidden) {
        const char *p = hidden;
        while (*p) {
            char *end;
            long w = strtol(p, &end, 10);
            if (end == p || w < 1 || L + 2 > GN_MAX_LAYERS) {
                snprintf(err, errlen, "model.hidden: bad layer list \"%s\"", hidden);
                return -1;
            }
            cfg->sizes[++L] = (int)w;
            p = *end == '-' ? end + 1 : end;
        }
    } else {
        long depth = gn_settings_int(s, "model.depth", 1), width = gn_settings_int(s, "model.width", 256);
        if (depth + 1 > GN_MAX_LAYERS) {
            snprintf(err, errlen, "model.depth: at most %d hidden layers", GN_MAX_LAYERS - 1);
            return -1;
        }
        for (int l = 0; l < depth; l++) cfg->sizes[++L] = (int)width;
    }
    cfg->sizes[++L] = ds->c;
    cfg->n_layers = L;
    const char *act = gn_settings_get(s, "model.activation");
    if (gn_act_parse(act ? act : "tanh", &cfg->act) != 0) {
        snprintf(err, errlen, "model.activation: unknown \"%s\"", act);
        return -1;
    }
    const char *par = gn_settings_get(s, "model.parameterization");
    cfg->ntk = !par || strcmp(par, "ntk") == 0;
    cfg->bias = gn_settings_bool(s, "model.bias", 1);
    cfg->output_scale = gn_settings_real(s, "model.output_scale", 1.0);
    return 0;
}

static char *dataset_key(const gn_settings *s)
{
    size_t len = 1;
    for (int i = 0; i < s->n; i++)
        if (strncmp(s->v[i].key, "dataset.", 8) == 0)
            len += strlen(s->v[i].key) + strlen(s->v[i].value) + 2;
    char *k = malloc(len), *p = k;
    if (!k) return NULL;
    *p = 0;
    for (int i = 0; i < s->n; i++)
        if (strncmp(s->v[i].key, "dataset.", 8) == 0)
            p += sprintf(p, "%s=%s\n", s->v[i].key, s->v[i].value);
    return k;
}

/* The batch a run steps on. */
static int run_batch(const gn_run_spec *r, const gn_dataset *ds)
{
    const gn_optim_ops *ops = gn_optim_find(r->optimizer);
    long b = gn_settings_int(&r->settings, "train.batch", 0);
    if (ops->full_batch || b <= 0 || b > ds->n_train) b = ds->n_train;
    return (int)b;
}

/* Rows of the curvature products a step forms: the batch, or the
 * optimizer's curvature subset when it has one (sgn, ngd). */
static int run_gram_batch(const gn_run_spec *r, int b)
{
    long b2 = gn_settings_int(&r->settings, "opt.curvature_batch", 0);
    return b2 > 0 && b2 < b ? (int)b2 : b;
}

static long run_iterations(const gn_run_spec *r, const gn_dataset *ds, int b)
{
    const char *ep = gn_settings_get(&r->settings, "train.epochs");
    if (ep) {
        double e = strtod(ep, NULL);
        return (long)ceil(e * ds->n_train / (double)b);
    }
    return gn_settings_int(&r->settings, "train.iterations", 100);
}

/* ---- one run, in the child ---- */

typedef struct trace_row {
    double v[N_TRACE];
    double extra[GN_OPTIM_MAX_EXTRA];
} trace_row;

/* Loss (and accuracy, NaN for regression) over a whole set, in chunks. */
static double eval_set(gn_mlp *net, gn_loss_kind loss, const double *X, const double *Y, int n,
                       int d, int c, double *acc)
{
    double total = 0, hits = 0;
    for (int i = 0; i < n; i += net->max_batch) {
        int b = n - i < net->max_batch ? n - i : net->max_batch;
        const double *F = gn_mlp_forward(net, X + (size_t)i * d, b);
        total += gn_loss_value(loss, F, Y + (size_t)i * c, b, c) * b;
        if (gn_loss_is_classification(loss))
            hits += gn_loss_accuracy(loss, F, Y + (size_t)i * c, b, c) * b;
    }
    *acc = gn_loss_is_classification(loss) && n > 0 ? hits / n : NAN;
    return n > 0 ? total / n : NAN;
}

/* One trace row: the full training (and test) objective at the current
 * parameters, with the last step's report. */
static void eval_row(gn_mlp *net, gn_loss_kind loss, const gn_dataset *ds, long it, long samples,
                     double wall, const gn_step_info *info, trace_row *row)
{
    double *v = row->v;
    v[TC_ITERATION] = (double)it;
    v[TC_EPOCH] = (double)samples / ds->n_train;
    v[TC_SAMPLES] = (double)samples;
    v[TC_WALL] = wall;
    v[TC_TRAIN_LOSS] =
        eval_set(net, loss, ds->X_train, ds->Y_train, ds->n_train, ds->d, ds->c, &v[TC_TRAIN_ACC]);
    v[TC_TEST_LOSS] = v[TC_TEST_ACC] = NAN;
    if (ds->n_test)
        v[TC_TEST_LOSS] =
            eval_set(net, loss, ds->X_test, ds->Y_test, ds->n_test, ds->d, ds->c, &v[TC_TEST_ACC]);
    v[TC_BATCH_LOSS] = info->batch_loss;
    v[TC_GRAD_NORM] = info->grad_norm;
    v[TC_STEP_NORM] = info->step_norm;
    v[TC_LR] = info->lr;
    v[TC_DAMPING] = info->damping;
    v[TC_GAIN] = info->gain_ratio;
    v[TC_T_FORWARD] = info->t_forward;
    v[TC_T_CURVATURE] = info->t_curvature;
    v[TC_T_SOLVE] = info->t_solve;
    v[TC_T_BACKWARD] = info->t_backward;
    memcpy(row->extra, info->extra, sizeof row->extra);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int write_trace(const char *path, const trace_row *rows, long n, int has_test,
                       int classify, const char *const *extra, char *err, size_t errlen)
{
    gn_csv_writer w;
    int n_extra = 0;
    while (extra && extra[n_extra] && n_extra < GN_OPTIM_MAX_EXTRA) n_extra++;
    if (gn_csvw_open(&w, path, err, errlen) != 0) return -1;
    for (int j = 0; j < N_TRACE; j++)
        if (classify || (j != TC_TRAIN_ACC && j != TC_TEST_ACC)) gn_csvw_str(&w, trace_cols[j]);
    for (int j = 0; j < n_extra; j++) gn_csvw_str(&w, extra[j]);
    gn_csvw_end_row(&w);
    for (long i = 0; i < n; i++) {
        for (int j = 0; j < N_TRACE; j++) {
            double v = rows[i].v[j];
            if (!classify && (j == TC_TRAIN_ACC || j == TC_TEST_ACC))
                continue;
            if (j <= TC_SAMPLES)
                gn_csvw_int(&w, (long)v);
            else if ((j == TC_TEST_LOSS || j == TC_TEST_ACC) && !has_test)
                gn_csvw_str(&w, NULL);
            else if (j == TC_TRAIN_LOSS || j == TC_TEST_LOSS)
                gn_csvw_real(&w, v); /* a NaN loss is data: written as nan */
            else
                gn_csvw_real_or_empty(&w, v); /* NaN = not applicable */
        }
        for (int j = 0; j < n_extra; j++) gn_csvw_real_or_empty(&w, rows[i].extra[j]);
        gn_csvw_end_row(&w);
    }
    return gn_csvw_commit(&w, err, errlen);
}

static void info_reset(gn_step_info *info)
{
    memset(info, 0, sizeof *info);
    info->batch_loss = info->grad_norm = info->step_norm = info->lr = info->damping = NAN;
    info->gain_ratio = info->t_forward = info->t_curvature = info->t_solve = NAN;
    info->t_backward = NAN;
    info->kernel_lambda_min = info->kernel_cond = NAN;
    for (int j = 0; j < GN_OPTIM_MAX_EXTRA; j++) info->extra[j] = NAN;
}

static void run_child(const gn_run_spec *r, const gn_dataset *ds, const char *trace_path,
                      int threads, run_result *res)
{
    char err[256] = "";
    gn_mlp net = {0};
    gn_optim *opt = NULL;
    trace_row *rows = NULL;
    double *Xb = NULL, *Yb = NULL, *step_times = NULL;
    int *perm = NULL;

    gn_blas_init(threads);
    snprintf(res->arch, sizeof res->arch, "%s", gn_blas_arch());
    snprintf(res->status, sizeof res->status, "error");
    res->final_train = res->final_test = res->best_train = res->final_test_acc = NAN;
    res->time_to_target = res->iters_to_target = res->step_s_median = NAN;
    res->kernel_lambda_min = res->kernel_cond = NAN;

    const gn_optim_ops *ops = gn_optim_find(r->optimizer);
    gn_loss_kind loss;
    gn_loss_parse(gn_settings_get(&r->settings, "loss"), &loss);
    gn_mlp_config cfg;
    if (model_config(&r->settings, ds, &cfg, err, sizeof err) != 0) goto fail;
    int b = run_batch(r, ds), d = ds->d, c = ds->c, n = ds->n_train;
    res->batch = b;
    long iters = run_iterations(r, ds, b);
    long eval_every = gn_settings_int(&r->settings, "train.eval_every", 1);
    double time_limit = gn_settings_real(&r->settings, "train.time_limit_s", 600);
    double target = gn_settings_real(&r->settings, "train.target_loss", NAN);
    double diverge = gn_settings_real(&r->settings, "train.diverge_factor", 1e6);
    int max_batch = b > EVAL_CHUNK ? b : EVAL_CHUNK;
    if (gn_mlp_init_ex(&net, &cfg, max_batch, ops->first_order ? -1 : run_gram_batch(r, b), err,
                       sizeof err) != 0)
        goto fail;

    /* Paired runs: parameters and batch order depend only on the seed (and
     * the shapes), never on the optimizer. */
    gn_rng rng_init, rng_batch;
    gn_rng_seed(&rng_init, (uint64_t)r->seed, "init");
    gn_rng_seed(&rng_batch, (uint64_t)r->seed, "batches");
    gn_mlp_init_params(&net, &rng_init);

    opt = ops->create(&r->settings, &net, b, err, sizeof err);
    if (!opt) goto fail;

    long n_rows_max = iters / eval_every + 3;
    rows = calloc((size_t)n_rows_max, sizeof *rows);
    step_times = malloc(sizeof(double) * (size_t)(iters > 0 ? iters : 1));
    int full = b == n;
    if (!full) {
        Xb = malloc(sizeof(double) * (size_t)b * d);
        Yb = malloc(sizeof(double) * (size_t)b * c);
        perm = malloc(sizeof(int) * (size_t)n);
    }
    if (!rows || !step_times || (!full && (!Xb || !Yb || !perm))) {
        snprintf(err, sizeof err, "out of memory");
        goto fail;
    }
    int pos = n;
    if (!full)
        for (int i = 0; i < n; i++) perm[i] = i;

    long n_rows = 0, it = 0;
    double wall = 0, loss0 = NAN, best = INFINITY;
    long samples = 0;
    int raised_steps = 0;
    double max_damping = 0;
    const char *status = "ok";
    gn_step_info info;
    info_reset(&info);

    int classify = gn_loss_is_classification(loss);
    for (;;) {
        int last = it >= iters;
        if (it % eval_every == 0 || last) {
            trace_row *row = &rows[n_rows++];
            eval_row(&net, loss, ds, it, samples, wall, &info, row);
            double tr = row->v[TC_TRAIN_LOSS];
            if (it == 0) loss0 = tr;
            res->final_train = tr;
            res->final_test = row->v[TC_TEST_LOSS];
            res->final_test_acc = row->v[TC_TEST_ACC];
            if (tr < best) best = tr;
            if (!isnan(target) && isnan(res->time_to_target) && tr <= target) {
                res->time_to_target = wall;
                res->iters_to_target = (double)it;
            }
            if (!isfinite(tr) || (it > 0 && tr > diverge * loss0 && tr > 1e-300)) {
                status = "diverged";
                snprintf(err, sizeof err, "training loss %.3g at iteration %ld (initial %.3g)", tr,
                         it, loss0);
                break;
            }
        }
        if (last) break;
        if (wall > time_limit) {
            status = "time_limit";
            snprintf(err, sizeof err, "stopped after %.1f s at iteration %ld", wall, it);
            if (it % eval_every != 0) { /* record the point where it stopped */
                trace_row *row = &rows[n_rows++];
                eval_row(&net, loss, ds, it, samples, wall, &info, row);
                res->final_train = row->v[TC_TRAIN_LOSS];
                res->final_test = row->v[TC_TEST_LOSS];
                res->final_test_acc = row->v[TC_TEST_ACC];
                if (res->final_train < best) best = res->final_train;
            }
            break;
        }

        /* the batch */
        const double *X = ds->X_train, *Y = ds->Y_train;
        if (!full) {
            for (int i = 0; i < b; i++) {
                if (pos >= n) {
                    gn_rng_shuffle(&rng_batch, perm, n);
                    pos = 0;
                }
                int k = perm[pos++];
                memcpy(Xb + (size_t)i * d, ds->X_train + (size_t)k * d, sizeof(double) * d);
                memcpy(Yb + (size_t)i * c, ds->Y_train + (size_t)k * c, sizeof(double) * c);
            }
            X = Xb;
            Y = Yb;
        }
        gn_step_ctx ctx = {.model = &net, .loss = loss, .X = X, .Y = Y, .b = b, .c = c,
                           .iteration = it};
        info_reset(&info);
        double t0 = gn_now();
        int rc = ops->step(opt, &ctx, &info);
        double dt = gn_now() - t0;
        wall += dt;
        step_times[it] = dt;
        it++;
        samples += b;
        res->rejected += info.rejected;
        if (isnan(res->kernel_cond) && !isnan(info.kernel_cond)) {
            res->kernel_cond = info.kernel_cond;
            res->kernel_lambda_min = info.kernel_lambda_min;
        }
        if (info.damping_raises) {
            raised_steps++;
            if (info.damping > max_damping) max_damping = info.damping;
        }
        if (rc != 0) {
            snprintf(err, sizeof err, "step %ld: %s", it, info.note[0] ? info.note : "failed");
            res->iterations = it;
            goto fail_trace;
        }
    }

    res->iterations = it;
    res->wall_s = wall;
    res->best_train = best;
    if (it > 0) {
        qsort(step_times, (size_t)it, sizeof(double), cmp_double);
        res->step_s_median = it % 2 ? step_times[it / 2]
                                    : 0.5 * (step_times[it / 2 - 1] + step_times[it / 2]);
    }
    snprintf(res->status, sizeof res->status, "%s", status);
    res->damping_raised_steps = raised_steps;
    if (raised_steps)
        snprintf(res->message, sizeof res->message,
                 "%s%sCholesky failed on %d steps; damping raised up to %.3g", err,
                 err[0] ? "; " : "", raised_steps, max_damping);
    else
        snprintf(res->message, sizeof res->message, "%s", err);
    if (write_trace(trace_path, rows, n_rows, ds->n_test > 0, classify, ops->trace_columns, err,
                    sizeof err) != 0) {
        snprintf(res->status, sizeof res->status, "error");
        snprintf(res->message, sizeof res->message, "%s", err);
    }
    goto done;

fail_trace:
    res->wall_s = wall;
    res->best_train = best;
    {
        /* keep the trace up to the failure for diagnosis; the run is
         * retried on resume because its status is error */
        char werr[128];
        write_trace(trace_path, rows, n_rows, ds->n_test > 0, classify, ops->trace_columns, werr,
                    sizeof werr);
    }
fail:
    snprintf(res->status, sizeof res->status, "error");
    snprintf(res->message, sizeof res->message, "%s", err);
done:
    if (opt) ops->destroy(opt);
    gn_mlp_free(&net);
    free(rows), free(Xb), free(Yb), free(perm), free(step_times);
}

/* ---- the parent ---- */

typedef struct probe_info {
    char arch[32], version[32], source[64];
} probe_info;

/* BLIS facts from a short-lived child, so the parent never starts BLIS. */
static void probe_blis(int threads, probe_info *pi)
{
    memset(pi, 0, sizeof *pi);
    snprintf(pi->arch, sizeof pi->arch, "unknown");
    int fd[2];
    if (pipe(fd) != 0) return;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        probe_info p = {{0}, {0}, {0}};
        gn_blas_init(threads);
        snprintf(p.arch, sizeof p.arch, "%s", gn_blas_arch());
        snprintf(p.version, sizeof p.version, "%s", gn_blas_version());
        snprintf(p.source, sizeof p.source, "%s", gn_blas_arch_source());
        ssize_t w = write(fd[1], &p, sizeof p);
        _exit(w == (ssize_t)sizeof p ? 0 : 1);
    }
    close(fd[1]);
    if (pid > 0) {
        probe_info p;
        if (read(fd[0], &p, sizeof p) == (ssize_t)sizeof p) *pi = p;
        waitpid(pid, NULL, 0);
    }
    close(fd[0]);
}

static void cpu_model(char *buf, size_t len)
{
    snprintf(buf, len, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "model name", 10) == 0) {
            char *p = strchr(line, ':');
            if (p) {
                p++;
                while (*p == ' ') p++;
                p[strcspn(p, "\n")] = 0;
                snprintf(buf, len, "%s", p);
            }
            break;
        }
    fclose(f);
}

static void iso_now(char *buf, size_t len)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

typedef struct sweep {
    const gn_experiment *ex;
    const gn_run_options *opt;
    int threads;
    probe_info blis;
    char start[32];
    char **header;
    int n_cols;
    char ***cells;   /* per run: n_cols cells, NULL = not finished */
    char runs_path[4096];
} sweep;

static char *dupstr(const char *s)
{
    return strdup(s ? s : "");
}

static char *fmt_real(double v)
{
    char buf[64];
    if (isnan(v)) return dupstr("");
    snprintf(buf, sizeof buf, "%.17g", v);
    return dupstr(buf);
}

static char *fmt_real_nan(double v)
{
    char buf[64];
    if (isnan(v)) return dupstr("nan");
    snprintf(buf, sizeof buf, "%.17g", v);
    return dupstr(buf);
}

static int write_manifest(const sweep *sw, const char *end_time, int done,
                          const ds_entry *datasets, int n_datasets)
{
    const gn_experiment *ex = sw->ex;
    const gn_run_options *o = sw->opt;
    char path[4096], host[256] = "", cpu[256], buf[64], err[256];
    snprintf(path, sizeof path, "%s/manifest.csv", o->out_dir);
    gethostname(host, sizeof host - 1);
    cpu_model(cpu, sizeof cpu);
    gn_csv_writer w;
    if (gn_csvw_open(&w, path, err, sizeof err) != 0) {
        fprintf(stderr, "gnbench: %s\n", err);
        return -1;
    }
#define KV(k, v)                                                                               \
    do {                                                                                       \
        gn_csvw_str(&w, k);                                                                    \
        gn_csvw_str(&w, v);                                                                    \
        gn_csvw_end_row(&w);                                                                   \
    } while (0)
    KV("key", "value");
    KV("gnbench_version", GN_VERSION);
    KV("git_revision", GN_REVISION);
    KV("command_line", o->command_line);
    KV("experiment", ex->name);
    KV("experiment_file", ex->path);
    KV("quick", o->quick ? "true" : "false");
    KV("start_time", sw->start);
    KV("end_time", end_time);
    KV("host", host);
    KV("cpu_model", cpu);
    snprintf(buf, sizeof buf, "%d", gn_available_cores());
    KV("cores", buf);
    KV("blis_version", sw->blis.version);
    KV("blis_arch", sw->blis.arch);
    KV("blis_arch_source", sw->blis.source);
    const char *want = gn_blas_arch_for_cpu();
    KV("blis_arch_for_cpu_flags", want ? want : "generic");
    snprintf(buf, sizeof buf, "%d", sw->threads);
    KV("blas_threads", buf);
    snprintf(buf, sizeof buf, "%d", o->jobs);
    KV("jobs", buf);
    KV("compiler", GN_CC);
    KV("cflags", GN_CFLAGS);
    snprintf(buf, sizeof buf, "%d", ex->n_runs);
    KV("runs_total", buf);
    snprintf(buf, sizeof buf, "%d", done);
    KV("runs_finished", buf);
    for (int k = 0; k < n_datasets; k++) {
        char key[32];
        snprintf(key, sizeof key, n_datasets > 1 ? "dataset_identity_%d" : "dataset_identity",
                 k + 1);
        KV(key, datasets[k].ds.identity);
    }
#undef KV
    if (gn_csvw_commit(&w, err, sizeof err) != 0) {
        fprintf(stderr, "gnbench: %s\n", err);
        return -1;
    }
    return 0;
}

static int write_runs(sweep *sw)
{
    char err[256];
    gn_csv_writer w;
    if (gn_csvw_open(&w, sw->runs_path, err, sizeof err) != 0) {
        fprintf(stderr, "gnbench: %s\n", err);
        return -1;
    }
    for (int j = 0; j < sw->n_cols; j++) gn_csvw_str(&w, sw->header[j]);
    gn_csvw_end_row(&w);
    for (int i = 0; i < sw->ex->n_runs; i++) {
        if (!sw->cells[i]) continue;
        for (int j = 0; j < sw->n_cols; j++) gn_csvw_str(&w, sw->cells[i][j]);
        gn_csvw_end_row(&w);
    }
    if (gn_csvw_commit(&w, err, sizeof err) != 0) {
        fprintf(stderr, "gnbench: %s\n", err);
        return -1;
    }
    return 0;
}

static void free_cells(sweep *sw, int i)
{
    if (!sw->cells[i]) return;
    for (int j = 0; j < sw->n_cols; j++) free(sw->cells[i][j]);
    free(sw->cells[i]);
    sw->cells[i] = NULL;
}

static void fill_row(sweep *sw, int i, const run_result *res, double rss_mib,
                     const char *dataset_identity)
{
    const gn_run_spec *r = &sw->ex->runs[i];
    free_cells(sw, i);
    char **c = calloc((size_t)sw->n_cols, sizeof *c);
    if (!c) return;
    int k = 0;
    c[k++] = dupstr(r->run_id);
    c[k++] = dupstr(res->status);
    c[k++] = dupstr(r->optimizer);
    char buf[64];
    snprintf(buf, sizeof buf, "%ld", r->seed);
    c[k++] = dupstr(buf);
    for (int j = 0; j < sw->ex->n_columns; j++) {
        const char *key = sw->ex->columns[j];
        if (strcmp(key, "train.batch") == 0 && res->batch > 0) {
            snprintf(buf, sizeof buf, "%ld", res->batch);
            c[k++] = dupstr(buf);
        } else {
            c[k++] = dupstr(gn_settings_get(&r->settings, key));
        }
    }
    snprintf(buf, sizeof buf, "%ld", res->iterations);
    c[k++] = dupstr(buf);
    c[k++] = fmt_real(res->wall_s);
    c[k++] = fmt_real(res->step_s_median);
    c[k++] = fmt_real_nan(res->final_train);
    c[k++] = fmt_real(res->final_test);
    c[k++] = fmt_real(res->final_test_acc);
    c[k++] = fmt_real_nan(res->best_train);
    c[k++] = fmt_real(res->time_to_target);
    if (isnan(res->iters_to_target))
        c[k++] = dupstr("");
    else {
        snprintf(buf, sizeof buf, "%.0f", res->iters_to_target);
        c[k++] = dupstr(buf);
    }
    snprintf(buf, sizeof buf, "%.1f", rss_mib);
    c[k++] = dupstr(buf);
    c[k++] = fmt_real(res->kernel_lambda_min);
    c[k++] = fmt_real(res->kernel_cond);
    snprintf(buf, sizeof buf, "%ld", res->rejected);
    c[k++] = dupstr(buf);
    snprintf(buf, sizeof buf, "%ld", res->damping_raised_steps);
    c[k++] = dupstr(buf);
    c[k++] = dupstr(dataset_identity);
    c[k++] = dupstr(res->message);
    sw->cells[i] = c;
}

static int status_finished(const char *s)
{
    return strcmp(s, "ok") == 0 || strcmp(s, "diverged") == 0 || strcmp(s, "time_limit") == 0;
}

/* Takes finished runs from an earlier runs.csv whose traces exist. */
static void load_previous(sweep *sw)
{
    char err[256];
    gn_table t;
    if (!file_exists(sw->runs_path)) return;
    if (gn_table_read(sw->runs_path, &t, err, sizeof err) != 0) {
        fprintf(stderr, "gnbench: warning: ignoring unreadable %s (%s); its runs will be redone\n",
                sw->runs_path, err);
        return;
    }
    int cid = gn_table_col(&t, "run_id"), cst = gn_table_col(&t, "status");
    if (cid < 0 || cst < 0) {
        gn_table_free(&t);
        return;
    }
    for (int row = 0; row < t.n_rows; row++) {
        const char *id = gn_table_cell(&t, row, cid);
        if (!status_finished(gn_table_cell(&t, row, cst))) continue;
        for (int i = 0; i < sw->ex->n_runs; i++) {
            if (strcmp(sw->ex->runs[i].run_id, id) != 0) continue;
            char tp[4200];
            snprintf(tp, sizeof tp, "%s/traces/%s.csv", sw->opt->out_dir, id);
            if (!file_exists(tp)) break;
            char **c = calloc((size_t)sw->n_cols, sizeof *c);
            if (!c) break;
            for (int j = 0; j < sw->n_cols; j++) {
                int col = gn_table_col(&t, sw->header[j]);
                c[j] = dupstr(col >= 0 ? gn_table_cell(&t, row, col) : "");
            }
            free_cells(sw, i);
            sw->cells[i] = c;
            break;
        }
    }
    gn_table_free(&t);
}

static int matches_only(const gn_run_options *o, const gn_run_spec *r)
{
    if (!o->only) return 1;
    return fnmatch(o->only, r->run_id, 0) == 0 || fnmatch(o->only, r->optimizer, 0) == 0;
}

static double physical_mib(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    return pages > 0 && size > 0 ? (double)pages * size / 1048576.0 : 1e9;
}

typedef struct slot {
    pid_t pid;
    int fd, run;
    double t0;
} slot;

static void fmt_duration(double s, char *buf, size_t len)
{
    if (!(s >= 0) || s > 1e7) {
        snprintf(buf, len, "?");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, len, "%ldh%02ldm", t / 3600, (t / 60) % 60);
    else
        snprintf(buf, len, "%ldm%02lds", t / 60, t % 60);
}

static volatile sig_atomic_t stop_signal = 0;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

/* SIGINT/SIGTERM: stop launching runs, end the running ones, record them as
 * interrupted (so a rerun redoes them), write the tables, exit 128 + sig. */
static void install_stop_handlers(struct sigaction *old_int, struct sigaction *old_term)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: wait4 returns EINTR */
    sigaction(SIGINT, &sa, old_int);
    sigaction(SIGTERM, &sa, old_term);
}

int gn_runner_run(const gn_experiment *ex, const gn_run_options *o)
{
    int rc = 0;
    sweep sw;
    memset(&sw, 0, sizeof sw);
    sw.ex = ex;
    sw.opt = o;
    int jobs = o->jobs > 0 ? o->jobs : 1;
    sw.threads = o->threads > 0 ? o->threads : gn_available_cores();

    /* Everything that can fail on the input, before anything is written. */
    ds_entry *cache = NULL;
    int n_cache = 0;
    int *ds_of = calloc((size_t)ex->n_runs + 1, sizeof *ds_of);
    if (!ds_of) return 1;
    double mem_limit =
        o->memory_limit_mib > 0 ? o->memory_limit_mib : 0.8 * physical_mib() / jobs;
    for (int i = 0; i < ex->n_runs; i++) {
        const gn_run_spec *r = &ex->runs[i];
        char *key = dataset_key(&r->settings);
        int k;
        for (k = 0; k < n_cache; k++)
            if (strcmp(cache[k].key, key) == 0) break;
        if (k == n_cache) {
            char err[512];
            ds_entry *nc = realloc(cache, sizeof *cache * (size_t)(n_cache + 1));
            if (!nc) {
                free(key);
                rc = 1;
                goto out;
            }
            cache = nc;
            memset(&cache[k], 0, sizeof cache[k]);
            if (gn_dataset_load(&r->settings, ex->base_dir, &cache[k].ds, err, sizeof err) != 0) {
                fprintf(stderr, "gnbench: %s: dataset: %s\n", ex->path, err);
                free(key);
                rc = 2;
                goto out;
            }
            cache[k].key = key;
            n_cache++;
        } else {
            free(key);
        }
        ds_of[i] = k;
        const gn_dataset *ds = &cache[k].ds;
        gn_mlp_config cfg;
        char err[256];
        if (model_config(&r->settings, ds, &cfg, err, sizeof err) != 0) {
            fprintf(stderr, "gnbench: %s: run %s: %s\n", ex->path, r->run_id, err);
            rc = 2;
            goto out;
        }
        const gn_optim_ops *ops = gn_optim_find(r->optimizer);
        int b = run_batch(r, ds), gb = ops->first_order ? -1 : run_gram_batch(r, b);
        int mb = b > EVAL_CHUNK ? b : EVAL_CHUNK;
        double rows = (double)(gb > 0 ? gb : 0) * ds->c, m = 0;
        for (int l = 1; l <= cfg.n_layers; l++) m += (double)cfg.sizes[l] * (cfg.sizes[l - 1] + 1);
        /* optimizer workspace: a few parameter-sized vectors, plus for the
         * curvature methods the Gram matrix, its factor and a transform */
        const char *solver = gn_settings_get(&r->settings, "opt.solver");
        int matrix_free = solver && strcmp(solver, "cg") == 0;
        double opt_bytes = 8.0 * (4 * m + (ops->first_order || matrix_free ? 0 : 3 * rows * rows));
        double mib = (gn_mlp_bytes(&cfg, mb, gb) + opt_bytes) / 1048576.0;
        if (mib > mem_limit) {
            fprintf(stderr,
                    "gnbench: %s: run %s needs about %.0f MiB (model, Gram matrices of %.0f rows), "
                    "more than the %.0f MiB allowed per job; lower train.batch, "
                    "opt.curvature_batch or model.width, use a matrix-free solver (dgn with "
                    "solver: cg), raise --memory-limit or run fewer --jobs\n",
                    ex->path, r->run_id, mib, rows, mem_limit);
            rc = 2;
            goto out;
        }
    }

    int n_todo = 0;
    int *todo = calloc((size_t)ex->n_runs + 1, sizeof *todo);
    sw.cells = calloc((size_t)ex->n_runs + 1, sizeof *sw.cells);
    sw.n_cols = 4 + ex->n_columns + N_METRICS;
    sw.header = calloc((size_t)sw.n_cols, sizeof *sw.header);
    if (!todo || !sw.cells || !sw.header) {
        free(todo);
        rc = 1;
        goto out;
    }
    {
        int k = 0;
        const char *fixed[] = {"run_id", "status", "optimizer", "seed"};
        for (int j = 0; j < 4; j++) sw.header[k++] = (char *)fixed[j];
        for (int j = 0; j < ex->n_columns; j++) sw.header[k++] = ex->columns[j];
        for (int j = 0; j < N_METRICS; j++) sw.header[k++] = (char *)metric_cols[j];
    }
    snprintf(sw.runs_path, sizeof sw.runs_path, "%s/runs.csv", o->out_dir);
    if (!o->fresh) load_previous(&sw);
    for (int i = 0; i < ex->n_runs; i++)
        if (!sw.cells[i] && matches_only(o, &ex->runs[i])) todo[n_todo++] = i;

    if (o->dry_run) {
        printf("%d runs in the grid, %d to run, %d already finished in %s\n", ex->n_runs, n_todo,
               ex->n_runs - n_todo - 0, o->out_dir);
        for (int t = 0; t < n_todo; t++) printf("would run %s\n", ex->runs[todo[t]].run_id);
        free(todo);
        goto out;
    }

    char tdir[4200], err[512];
    snprintf(tdir, sizeof tdir, "%s/traces", o->out_dir);
    if (mkdir_p(tdir) != 0) {
        fprintf(stderr, "gnbench: cannot create %s: %s\n", tdir, strerror(errno));
        free(todo);
        rc = 1;
        goto out;
    }
    if (o->fresh) {
        /* start over: remove the traces of this grid and the old table */
        for (int i = 0; i < ex->n_runs; i++) {
            char tp[4400];
            snprintf(tp, sizeof tp, "%s/%s.csv", tdir, ex->runs[i].run_id);
            unlink(tp);
        }
        unlink(sw.runs_path);
    }
    {
        char yp[4200];
        snprintf(yp, sizeof yp, "%s/experiment.yaml", o->out_dir);
        char tmp[4300];
        snprintf(tmp, sizeof tmp, "%s.tmp.%ld", yp, (long)getpid());
        FILE *f = fopen(tmp, "w");
        if (!f || fputs(ex->text, f) < 0 || fclose(f) != 0 || rename(tmp, yp) != 0) {
            fprintf(stderr, "gnbench: cannot write %s: %s\n", yp, strerror(errno));
            free(todo);
            rc = 1;
            goto out;
        }
    }
    probe_blis(sw.threads, &sw.blis);
    iso_now(sw.start, sizeof sw.start);
    const char *want = gn_blas_arch_for_cpu();
    if (want && strcmp(sw.blis.arch, "generic") == 0)
        fprintf(stderr, "gnbench: warning: BLIS runs its generic kernels although this CPU has %s\n",
                want);
    write_manifest(&sw, "", ex->n_runs - n_todo, cache, n_cache);
    write_runs(&sw);

    int tty = isatty(2);
    fprintf(stderr, "gnbench: %s: %d runs, %d to do (%d finished before), jobs %d, BLAS threads %d, BLIS %s\n",
            ex->name, ex->n_runs, n_todo, ex->n_runs - n_todo, jobs, sw.threads, sw.blis.arch);

    slot *slots = calloc((size_t)jobs, sizeof *slots);
    if (!slots) {
        free(todo);
        rc = 1;
        goto out;
    }
    struct sigaction old_int, old_term;
    stop_signal = 0;
    install_stop_handlers(&old_int, &old_term);
    int next = 0, active = 0, finished = 0, errors = 0;
    double busy = 0;
    int stopping = 0;
    while (next < n_todo || active > 0) {
        if (stop_signal && !stopping) {
            stopping = 1;
            next = n_todo; /* launch nothing more */
            for (int s = 0; s < jobs; s++)
                if (slots[s].pid > 0) kill(slots[s].pid, SIGTERM);
            fprintf(stderr, "%sgnbench: %s: ending %d running run(s)\n", tty ? "\n" : "",
                    strsignal(stop_signal), active);
        }
        while (active < jobs && next < n_todo) {
            int i = todo[next++];
            int fd[2];
            if (pipe(fd) != 0) {
                fprintf(stderr, "gnbench: pipe: %s\n", strerror(errno));
                rc = 1;
                break;
            }
            fflush(NULL);
            pid_t pid = fork();
            if (pid == 0) {
                signal(SIGINT, SIG_DFL);
                signal(SIGTERM, SIG_DFL);
                close(fd[0]);
                run_result res;
                memset(&res, 0, sizeof res);
                char tp[4400];
                snprintf(tp, sizeof tp, "%s/%s.csv", tdir, ex->runs[i].run_id);
                run_child(&ex->runs[i], &cache[ds_of[i]].ds, tp, sw.threads, &res);
                ssize_t wr = write(fd[1], &res, sizeof res);
                _exit(wr == (ssize_t)sizeof res ? 0 : 3);
            }
            close(fd[1]);
            if (pid < 0) {
                fprintf(stderr, "gnbench: fork: %s\n", strerror(errno));
                close(fd[0]);
                rc = 1;
                break;
            }
            for (int s = 0; s < jobs; s++)
                if (slots[s].pid == 0) {
                    slots[s] = (slot){pid, fd[0], i, gn_now()};
                    break;
                }
            active++;
        }
        if (active == 0) break;
        int st;
        struct rusage ru;
        pid_t pid = wait4(-1, &st, 0, &ru);
        if (pid < 0) {
            if (errno == EINTR) continue;
            break;
        }
        int s;
        for (s = 0; s < jobs; s++)
            if (slots[s].pid == pid) break;
        if (s == jobs) continue;
        run_result res;
        memset(&res, 0, sizeof res);
        ssize_t got = read(slots[s].fd, &res, sizeof res);
        close(slots[s].fd);
        if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0 && got == (ssize_t)sizeof res)) {
            memset(&res, 0, sizeof res);
            snprintf(res.status, sizeof res.status, "error");
            res.final_train = res.final_test = res.best_train = res.step_s_median = NAN;
            res.final_test_acc = NAN;
            res.time_to_target = res.iters_to_target = res.wall_s = NAN;
            res.kernel_lambda_min = res.kernel_cond = NAN;
            if (stopping)
                snprintf(res.message, sizeof res.message, "interrupted (%s); rerun to redo it",
                         strsignal(stop_signal));
            else if (WIFSIGNALED(st))
                snprintf(res.message, sizeof res.message, "run process killed by signal %d (%s)",
                         WTERMSIG(st), strsignal(WTERMSIG(st)));
            else
                snprintf(res.message, sizeof res.message, "run process exited with status %d",
                         WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        }
        int i = slots[s].run;
        double took = gn_now() - slots[s].t0;
        busy += took;
        slots[s].pid = 0;
        active--;
        finished++;
        if (strcmp(res.status, "error") == 0) errors++;
        fill_row(&sw, i, &res, ru.ru_maxrss / 1024.0, cache[ds_of[i]].ds.identity);
        write_runs(&sw);
        double per = busy / finished, eta = per * (n_todo - finished) / jobs;
        char etab[32], tookb[32];
        fmt_duration(eta, etab, sizeof etab);
        fmt_duration(took, tookb, sizeof tookb);
        fprintf(stderr, "%s[%d/%d] %-40s %-10s loss %-10.3g %s  ETA %s%s", tty ? "\r\033[K" : "gnbench: ",
                finished, n_todo, ex->runs[i].run_id, res.status, res.final_train, tookb, etab,
                tty && finished < n_todo ? "" : "\n");
        if (strcmp(res.status, "error") == 0)
            fprintf(stderr, "%sgnbench: run %s: %s\n", tty ? "\n" : "", ex->runs[i].run_id,
                    res.message);
    }
    free(slots);
    free(todo);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    char end[32];
    iso_now(end, sizeof end);
    int done = 0;
    for (int i = 0; i < ex->n_runs; i++) done += sw.cells[i] != NULL;
    write_manifest(&sw, end, done, cache, n_cache);
    if (errors) rc = 1;
    if (stop_signal) {
        rc = 128 + stop_signal;
        fprintf(stderr, "gnbench: interrupted; run the same command again to resume\n");
    } else if (!o->no_plot && ex->n_figures > 0) {
        if (mkdir_p(o->plots_dir) != 0) {
            fprintf(stderr, "gnbench: cannot create %s: %s\n", o->plots_dir, strerror(errno));
            rc = 1;
        } else if (gn_plot_experiment(ex, o->out_dir, o->plots_dir, o->format ? o->format : "png",
                                      err, sizeof err) != 0) {
            fprintf(stderr, "gnbench: figures: %s\n", err);
            rc = 1;
        } else {
            fprintf(stderr, "gnbench: figures in %s\n", o->plots_dir);
        }
    }

out:
    if (sw.cells) {
        for (int i = 0; i < ex->n_runs; i++) free_cells(&sw, i);
        free(sw.cells);
    }
    free(sw.header);
    for (int k = 0; k < n_cache; k++) {
        free(cache[k].key);
        gn_dataset_free(&cache[k].ds);
    }
    free(cache);
    free(ds_of);
    return rc;
}
