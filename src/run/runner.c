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
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "la/blas.h"
#include "io/csvio.h"
#include "data/dataset.h"
#include "gn_config.h"
#include "gn_revision.h"
#include "model/loss.h"
#include "model/mlp.h"
#include "model/model_spec.h"
#include "optim/optim.h"
#include "core/rng.h"
#include "run/runner.h"
#include "results/schema.h"
#include "core/testhook.h"
#include "la/vmath.h"
#ifdef GN_HAVE_MPI
#include "run/mpi_sched.h"
#endif

#define EVAL_CHUNK 256

/* What a child sends back: gn_run_result (schema.h). */
typedef gn_run_result run_result;

typedef struct ds_entry {
    char *key;
    gn_dataset ds;
} ds_entry;


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

/* ---- the typed run → model, batch, plan ---- */

static int model_config(const gn_run_spec *r, const gn_dataset *ds, gn_mlp_config *cfg,
                        char *err, size_t errlen)
{
    return gn_model_config(&r->model, ds->d, ds->c, cfg, err, errlen);
}

/* The cache key of a run's dataset: everything that changes what is loaded,
 * the `dataset.*` settings and the target encoding the run's loss asks for. */
static char *dataset_key(const gn_settings *s, gn_targets targets)
{
    size_t len = 32;
    for (int i = 0; i < s->n; i++)
        if (strncmp(s->v[i].key, "dataset.", 8) == 0)
            len += strlen(s->v[i].key) + strlen(s->v[i].value) + 2;
    char *k = malloc(len), *p = k;
    if (!k) return NULL;
    *p = 0;
    for (int i = 0; i < s->n; i++)
        if (strncmp(s->v[i].key, "dataset.", 8) == 0)
            p += sprintf(p, "%s=%s\n", s->v[i].key, s->v[i].value);
    sprintf(p, "request.targets=%d\n", (int)targets);
    return k;
}

/* The batch a run steps on. */
static int run_batch(const gn_run_spec *r, const gn_dataset *ds)
{
    long b = r->train.batch;
    if (r->optim->full_batch || b <= 0 || b > ds->n_train) b = ds->n_train;
    return (int)b;
}

static long run_iterations(const gn_run_spec *r, const gn_dataset *ds, int b)
{
    if (!isnan(r->train.epochs)) return (long)ceil(r->train.epochs * ds->n_train / (double)b);
    return r->train.iterations;
}

/* What the run's optimizer needs per step at batch b (optim.h). */
static void run_plan(const gn_run_spec *r, const gn_mlp_config *cfg, int b, gn_optim_plan *plan)
{
    gn_optim_shape sh = {.batch = b, .c = cfg->sizes[cfg->n_layers]};
    for (int l = 1; l <= cfg->n_layers; l++) {
        uint64_t fan_in = (uint64_t)cfg->sizes[l - 1] + (cfg->bias ? 1 : 0);
        sh.m += (uint64_t)cfg->sizes[l] * fan_in;
        sh.fan += (uint64_t)cfg->sizes[l - 1] + 1 + (uint64_t)cfg->sizes[l];
    }
    gn_optim_plan_for(r->optim, r->hparams, &sh, plan);
}

/* The model's curvature capacity for a plan (gn_mlp_init_ex: -1 = none). */
static int plan_gram_capacity(const gn_optim_plan *plan)
{
    return plan->gram_batch > 0 ? plan->gram_batch : -1;
}

/* ---- shards ---- */

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
    uint64_t r;
    return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    uint64_t r;
    return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

/* Estimated cost of a run in flops, in integers so that every machine and
 * compiler gets the same number: per step the optimizer's plan (optim.h:
 * 6 b m for the forward and backward passes, plus the curvature products of
 * the Gauss-Newton methods); plus the evaluations, 2 m per sample of the
 * training and test sets at every eval_every-th step; plus a fixed 10^6 for
 * starting the run. */
static uint64_t run_cost(const gn_run_spec *r, const gn_dataset *ds)
{
    gn_mlp_config cfg;
    char err[160];
    if (model_config(r, ds, &cfg, err, sizeof err) != 0) return 1;
    int b = run_batch(r, ds);
    gn_optim_plan plan;
    run_plan(r, &cfg, b, &plan);
    uint64_t m = 0;
    for (int l = 1; l <= cfg.n_layers; l++)
        m = sat_add(m, sat_mul((uint64_t)cfg.sizes[l], (uint64_t)cfg.sizes[l - 1] + cfg.bias));
    long it = run_iterations(r, ds, b), every = r->train.eval_every;
    uint64_t iters = it > 0 ? (uint64_t)it : 0;
    uint64_t evals = iters / (uint64_t)(every > 0 ? every : 1) + 2;
    uint64_t eval = sat_mul(2 * ((uint64_t)ds->n_train + (uint64_t)ds->n_test), m);
    return sat_add(sat_add(sat_mul(iters, plan.step_flops), sat_mul(evals, eval)), 1000000);
}

typedef struct cost_index {
    uint64_t cost;
    int run;
} cost_index;

static int cmp_cost_desc(const void *a, const void *b)
{
    const cost_index *x = a, *y = b;
    if (x->cost != y->cost) return x->cost < y->cost ? 1 : -1;
    return (x->run > y->run) - (x->run < y->run);
}

/* Greedy longest-processing-time assignment: the costliest run first, each
 * to the least loaded shard (ties: lower run index, lower shard).
 * shard_of: n_runs entries (0-based shard); load: n entries. */
static int shard_assign(const uint64_t *cost, int n_runs, int n, int *shard_of, uint64_t *load)
{
    cost_index *order = malloc(sizeof *order * (size_t)(n_runs + 1));
    if (!order) return -1;
    for (int i = 0; i < n_runs; i++) order[i] = (cost_index){cost[i], i};
    qsort(order, (size_t)n_runs, sizeof *order, cmp_cost_desc);
    for (int s = 0; s < n; s++) load[s] = 0;
    for (int k = 0; k < n_runs; k++) {
        int best = 0;
        for (int s = 1; s < n; s++)
            if (load[s] < load[best]) best = s;
        shard_of[order[k].run] = best;
        load[best] = sat_add(load[best], order[k].cost);
    }
    free(order);
    return 0;
}

/* ---- one run, in the child ---- */

typedef gn_trace_row trace_row;

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
    v[GN_TC_ITERATION] = (double)it;
    v[GN_TC_EPOCH] = (double)samples / ds->n_train;
    v[GN_TC_SAMPLES] = (double)samples;
    v[GN_TC_WALL] = wall;
    v[GN_TC_TRAIN_LOSS] =
        eval_set(net, loss, ds->X_train, ds->Y_train, ds->n_train, ds->d, ds->c, &v[GN_TC_TRAIN_ACC]);
    v[GN_TC_TEST_LOSS] = v[GN_TC_TEST_ACC] = NAN;
    if (ds->n_test)
        v[GN_TC_TEST_LOSS] =
            eval_set(net, loss, ds->X_test, ds->Y_test, ds->n_test, ds->d, ds->c, &v[GN_TC_TEST_ACC]);
    v[GN_TC_BATCH_LOSS] = info->batch_loss;
    v[GN_TC_GRAD_NORM] = info->grad_norm;
    v[GN_TC_STEP_NORM] = info->step_norm;
    v[GN_TC_LR] = info->lr;
    v[GN_TC_DAMPING] = info->damping;
    v[GN_TC_GAIN] = info->gain_ratio;
    v[GN_TC_T_FORWARD] = info->t_forward;
    v[GN_TC_T_CURVATURE] = info->t_curvature;
    v[GN_TC_T_SOLVE] = info->t_solve;
    v[GN_TC_T_BACKWARD] = info->t_backward;
    memcpy(row->extra, info->extra, sizeof row->extra);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Whether trace column j is written for this run. */
static int trace_has(int j, int classify)
{
    return classify || !(gn_trace_columns[j].flags & GN_COL_CLASSIFY);
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

/* traces/<run_id>.csv: the schema's trace columns, then the optimizer's. */
static int write_trace(const char *path, const trace_row *rows, long n, int has_test,
                       int classify, const gn_column *extra, char *err, size_t errlen)
{
    gn_csv_writer w;
    int n_extra = 0;
    while (extra && extra[n_extra].name && n_extra < GN_OPTIM_MAX_EXTRA) n_extra++;
    if (gn_csvw_open(&w, path, err, errlen) != 0) return -1;
    for (int j = 0; j < GN_TC_COUNT; j++)
        if (trace_has(j, classify)) gn_csvw_str(&w, gn_trace_columns[j].name);
    for (int j = 0; j < n_extra; j++) gn_csvw_str(&w, extra[j].name);
    gn_csvw_end_row(&w);
    for (long i = 0; i < n; i++) {
        for (int j = 0; j < GN_TC_COUNT; j++)
            if (trace_has(j, classify)) trace_cell(&w, &gn_trace_columns[j], rows[i].v[j], has_test);
        for (int j = 0; j < n_extra; j++) trace_cell(&w, &extra[j], rows[i].extra[j], has_test);
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
    res->status = GN_RUN_ERROR;
    res->final_train = res->final_test = res->best_train = res->final_test_acc = NAN;
    res->time_to_target = res->iters_to_target = res->step_s_median = NAN;
    res->kernel_lambda_min = res->kernel_cond = NAN;

    const gn_optim_ops *ops = r->optim;
    gn_loss_kind loss = r->loss;
    gn_mlp_config cfg;
    if (model_config(r, ds, &cfg, err, sizeof err) != 0) goto fail;
    int b = run_batch(r, ds), d = ds->d, c = ds->c, n = ds->n_train;
    res->batch = b;
    long iters = run_iterations(r, ds, b);
    long eval_every = r->train.eval_every;
    double time_limit = r->train.time_limit_s;
    double target = r->train.target_loss;
    double diverge = r->train.diverge_factor;
    int max_batch = b > EVAL_CHUNK ? b : EVAL_CHUNK;
    gn_optim_plan plan;
    run_plan(r, &cfg, b, &plan);
    if (gn_mlp_init_ex(&net, &cfg, max_batch, plan_gram_capacity(&plan), err, sizeof err) != 0)
        goto fail;

    /* Paired runs: parameters and batch order depend only on the seed (and
     * the shapes), never on the optimizer. */
    gn_rng rng_init, rng_batch;
    gn_rng_seed(&rng_init, (uint64_t)r->seed, "init");
    gn_rng_seed(&rng_batch, (uint64_t)r->seed, "batches");
    gn_mlp_init_params(&net, &rng_init);

    opt = ops->create(r->hparams, &net, b, err, sizeof err);
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
    gn_run_status status = GN_RUN_OK;
    gn_step_info info;
    info_reset(&info);

    int classify = gn_loss_is_classification(loss);
    for (;;) {
        int last = it >= iters;
        if (it % eval_every == 0 || last) {
            trace_row *row = &rows[n_rows++];
            eval_row(&net, loss, ds, it, samples, wall, &info, row);
            /* the previous evaluation's loss: plotting train_loss against it on
             * log axes shows the local order of convergence */
            row->v[GN_TC_PREV_LOSS] = n_rows > 1 ? rows[n_rows - 2].v[GN_TC_TRAIN_LOSS] : NAN;
            double tr = row->v[GN_TC_TRAIN_LOSS];
            if (it == 0) loss0 = tr;
            res->final_train = tr;
            res->final_test = row->v[GN_TC_TEST_LOSS];
            res->final_test_acc = row->v[GN_TC_TEST_ACC];
            if (tr < best) best = tr;
            if (!isnan(target) && isnan(res->time_to_target) && tr <= target) {
                res->time_to_target = wall;
                res->iters_to_target = (double)it;
            }
            if (!isfinite(tr) || (it > 0 && tr > diverge * loss0 && tr > 1e-300)) {
                status = GN_RUN_DIVERGED;
                snprintf(err, sizeof err, "training loss %.3g at iteration %ld (initial %.3g)",
                         isnan(tr) ? NAN : tr, it, loss0);
                break;
            }
        }
        if (last) break;
        if (wall > time_limit) {
            status = GN_RUN_TIME_LIMIT;
            snprintf(err, sizeof err, "stopped after %.1f s at iteration %ld", wall, it);
            if (it % eval_every != 0) { /* record the point where it stopped */
                trace_row *row = &rows[n_rows++];
                eval_row(&net, loss, ds, it, samples, wall, &info, row);
                row->v[GN_TC_PREV_LOSS] = n_rows > 1 ? rows[n_rows - 2].v[GN_TC_TRAIN_LOSS] : NAN;
                res->final_train = row->v[GN_TC_TRAIN_LOSS];
                res->final_test = row->v[GN_TC_TEST_LOSS];
                res->final_test_acc = row->v[GN_TC_TEST_ACC];
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
    res->status = status;
    res->damping_raised_steps = raised_steps;
    if (raised_steps)
        snprintf(res->message, sizeof res->message,
                 "%s%sCholesky failed on %d steps; damping raised up to %.3g", err,
                 err[0] ? "; " : "", raised_steps, max_damping);
    else
        snprintf(res->message, sizeof res->message, "%s", err);
    if (write_trace(trace_path, rows, n_rows, ds->n_test > 0, classify, ops->trace_columns, err,
                    sizeof err) != 0) {
        res->status = GN_RUN_ERROR;
        snprintf(res->message, sizeof res->message, "%s", err);
    }
    goto done;

fail_trace:
    res->wall_s = wall;
    res->best_train = best;
    res->damping_raised_steps = raised_steps;
    {
        /* keep the trace up to the failure for diagnosis; the run is
         * retried on resume because its status is error */
        char werr[128];
        write_trace(trace_path, rows, n_rows, ds->n_test > 0, classify, ops->trace_columns, werr,
                    sizeof werr);
    }
fail:
    res->status = GN_RUN_ERROR;
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
    char runs_path[4096];     /* runs.csv, or runs.shard-K-of-N.csv */
    char manifest_path[4096]; /* manifest.csv, or manifest.shard-K-of-N.csv */
    char threads_desc[32];    /* blas_threads in the manifest */
    int shard_runs;           /* runs in this shard (shards only) */
    uint64_t shard_cost, total_cost;
#ifdef GN_HAVE_MPI
    gn_mpi_rank_info *ranks;  /* rank 0 under MPI: every rank's layout */
#endif
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
    char host[256] = "", cpu[256], buf[64], err[256];
    const char *path = sw->manifest_path;
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
    KV("vector_math", gn_vmath_isa());
    KV("blas_threads", sw->threads_desc);
    snprintf(buf, sizeof buf, "%d", o->jobs);
    KV("jobs", buf);
    if (o->shard_n > 0) {
        snprintf(buf, sizeof buf, "%d/%d", o->shard_k, o->shard_n);
        KV("shard", buf);
        snprintf(buf, sizeof buf, "%d", sw->shard_runs);
        KV("shard_runs", buf);
        snprintf(buf, sizeof buf, "%.4f",
                 sw->total_cost ? (double)sw->shard_cost / (double)sw->total_cost : 0.0);
        KV("shard_cost_share", buf);
    }
#ifdef GN_HAVE_MPI
    if (sw->ranks) {
        int n = gn_mpi_size(), nodes = 0;
        KV("mpi_library", gn_mpi_library());
        snprintf(buf, sizeof buf, "%d", n);
        KV("mpi_ranks", buf);
        KV("mpi_scheduler", "rank 0 schedules and writes; ranks 1.. run one run at a time each");
        /* one row per node: its host, ranks, cores and BLAS threads */
        for (int r = 0; r < n; r++) {
            if (sw->ranks[r].local_rank != 0) continue;
            char key[32], val[1024];
            int len = snprintf(val, sizeof val, "host=%s ranks=", sw->ranks[r].host);
            int first = 1;
            for (int q = 0; q < n && len < (int)sizeof val - 40; q++)
                if (strcmp(sw->ranks[q].host, sw->ranks[r].host) == 0) {
                    len += snprintf(val + len, sizeof val - (size_t)len, "%s%d", first ? "" : ",", q);
                    first = 0;
                }
            snprintf(val + len, sizeof val - (size_t)len, " cores_per_rank=%d blas_threads=%d",
                     sw->ranks[r].cores, sw->ranks[r].threads);
            snprintf(key, sizeof key, "mpi_node_%d", nodes++);
            KV(key, val);
        }
        snprintf(buf, sizeof buf, "%d", nodes);
        KV("mpi_nodes", buf);
    }
#endif
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

/* The text of a result cell of the type the schema gives (schema.h). */
static char *result_cell(const gn_column *col, const run_result *res)
{
    const char *field = (const char *)res + col->offset;
    char buf[64];
    long l;
    double v;
    switch (col->type) {
    case GN_COL_INT:
        memcpy(&l, field, sizeof l);
        snprintf(buf, sizeof buf, "%ld", l);
        return dupstr(buf);
    case GN_COL_TEXT:
        return dupstr(field);
    case GN_COL_TEXT_PTR: {
        const char *t;
        memcpy(&t, field, sizeof t);
        return dupstr(t ? t : "");
    }
    default:
        break;
    }
    memcpy(&v, field, sizeof v);
    switch (col->type) {
    case GN_COL_COUNT:
        if (isnan(v)) return dupstr("");
        snprintf(buf, sizeof buf, "%.0f", v);
        return dupstr(buf);
    case GN_COL_MIB:
        snprintf(buf, sizeof buf, "%.1f", v);
        return dupstr(buf);
    case GN_COL_REAL_NAN:
        return fmt_real_nan(v);
    default:
        return fmt_real(v);
    }
}

/* The runs.csv row of run i: key columns, settings, results (schema.h). */
static void fill_row(sweep *sw, int i, const run_result *result, double rss_mib,
                     const char *dataset_identity)
{
    const gn_run_spec *r = &sw->ex->runs[i];
    run_result res = *result;
    res.peak_rss_mib = rss_mib;
    res.dataset_identity = dataset_identity;
    free_cells(sw, i);
    char **c = calloc((size_t)sw->n_cols, sizeof *c);
    if (!c) return;
    int k = 0;
    char buf[64];
    c[k++] = dupstr(r->run_id);
    c[k++] = dupstr(gn_run_status_name(res.status));
    c[k++] = dupstr(r->optim->name);
    snprintf(buf, sizeof buf, "%ld", r->seed);
    c[k++] = dupstr(buf);
    for (int j = 0; j < sw->ex->n_columns; j++) {
        const char *key = sw->ex->columns[j];
        if (strcmp(key, "train.batch") == 0 && res.batch > 0) { /* the batch the run used */
            snprintf(buf, sizeof buf, "%ld", res.batch);
            c[k++] = dupstr(buf);
        } else {
            c[k++] = dupstr(gn_settings_get(&r->settings, key));
        }
    }
    for (const gn_column *col = gn_runs_result_columns; col->name; col++)
        c[k++] = result_cell(col, &res);
    sw->cells[i] = c;
}


/* ---- the tables of a results folder ---- */

/* runs.csv (k = n = 0) or runs.shard-K-of-N.csv; the same for manifests. */
typedef struct table_ref {
    char path[4200];
    char name[96];
    int k, n;
} table_ref;

static int cmp_table_ref(const void *a, const void *b)
{
    const table_ref *x = a, *y = b;
    if (x->n != y->n) return (x->n > y->n) - (x->n < y->n);
    return (x->k > y->k) - (x->k < y->k);
}

/* Parses "<prefix>.csv" (0/0) or "<prefix>.shard-K-of-N.csv". */
static int table_name_parse(const char *name, const char *prefix, int *k, int *n)
{
    size_t pl = strlen(prefix);
    if (strncmp(name, prefix, pl) != 0) return 0;
    name += pl;
    if (strcmp(name, ".csv") == 0) {
        *k = *n = 0;
        return 1;
    }
    if (strncmp(name, ".shard-", 7) != 0) return 0;
    char *end;
    long kk = strtol(name + 7, &end, 10);
    if (end == name + 7 || strncmp(end, "-of-", 4) != 0) return 0;
    const char *q = end + 4;
    long nn = strtol(q, &end, 10);
    if (end == q || strcmp(end, ".csv") != 0 || kk < 1 || kk > nn || nn > 1000000) return 0;
    *k = (int)kk;
    *n = (int)nn;
    return 1;
}

/* The tables named <prefix>*.csv in dir: the unsharded one first, then the
 * shard tables by N, then K. Returns how many (*out malloc'd), -1 on error. */
static int list_tables(const char *dir, const char *prefix, table_ref **out)
{
    *out = NULL;
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0, cap = 0;
    table_ref *t = NULL;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int k, nn;
        if (strlen(e->d_name) >= sizeof t->name || !table_name_parse(e->d_name, prefix, &k, &nn))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 8;
            table_ref *nt = realloc(t, sizeof *t * (size_t)cap);
            if (!nt) {
                free(t);
                closedir(d);
                return -1;
            }
            t = nt;
        }
        snprintf(t[n].path, sizeof t[n].path, "%s/%s", dir, e->d_name);
        snprintf(t[n].name, sizeof t[n].name, "%s", e->d_name);
        t[n].k = k;
        t[n].n = nn;
        n++;
    }
    closedir(d);
    if (n > 1) qsort(t, (size_t)n, sizeof *t, cmp_table_ref);
    *out = t;
    return n;
}

/* The row chosen for a run when several tables hold it. */
typedef struct row_pick {
    char **cells; /* n_cols cells, NULL = no row */
    int rank;     /* 2: finished and its trace exists; 1: error; 0: finished, trace missing */
    int dir;      /* folder it came from */
} row_pick;

static int run_index(const gn_experiment *ex, const char *id)
{
    for (int i = 0; i < ex->n_runs; i++)
        if (strcmp(ex->runs[i].run_id, id) == 0) return i;
    return -1;
}

static void free_row(char **c, int n_cols)
{
    if (!c) return;
    for (int j = 0; j < n_cols; j++) free(c[j]);
    free(c);
}

/* Reads every runs table of the folders into picks (ex->n_runs entries):
 * a row replaces the one held when its rank is at least as high, so later
 * tables win among equals. *foreign counts rows of run ids outside the
 * grid. Returns the number of tables read. */
static int collect_rows(const gn_experiment *ex, char *const *header, int n_cols,
                        const char *const *dirs, int n_dirs, row_pick *picks, int *foreign)
{
    int n_read = 0;
    *foreign = 0;
    for (int d = 0; d < n_dirs; d++) {
        table_ref *tabs;
        int nt = list_tables(dirs[d], "runs", &tabs);
        for (int ti = 0; ti < nt; ti++) {
            char err[256];
            gn_table t;
            if (gn_table_read(tabs[ti].path, &t, err, sizeof err) != 0) {
                fprintf(stderr, "gnbench: warning: ignoring unreadable %s (%s); its runs will be redone\n",
                        tabs[ti].path, err);
                continue;
            }
            int cid = gn_table_col(&t, "run_id"), cst = gn_table_col(&t, "status");
            int *map = malloc(sizeof *map * (size_t)n_cols);
            if (cid < 0 || cst < 0 || !map) {
                free(map);
                gn_table_free(&t);
                continue;
            }
            for (int j = 0; j < n_cols; j++) map[j] = gn_table_col(&t, header[j]);
            n_read++;
            for (int row = 0; row < t.n_rows; row++) {
                const char *id = gn_table_cell(&t, row, cid);
                int i = run_index(ex, id);
                if (i < 0) {
                    (*foreign)++;
                    continue;
                }
                int rank = 1;
                if (gn_run_status_text_finished(gn_table_cell(&t, row, cst))) {
                    char tp[4400];
                    snprintf(tp, sizeof tp, "%s/traces/%s.csv", dirs[d], id);
                    rank = file_exists(tp) ? 2 : 0;
                }
                if (picks[i].cells && rank < picks[i].rank) continue;
                char **c = calloc((size_t)n_cols, sizeof *c);
                if (!c) continue;
                for (int j = 0; j < n_cols; j++)
                    c[j] = dupstr(map[j] >= 0 ? gn_table_cell(&t, row, map[j]) : "");
                free_row(picks[i].cells, n_cols);
                picks[i] = (row_pick){c, rank, d};
            }
            free(map);
            gn_table_free(&t);
        }
        free(tabs);
    }
    return n_read;
}

/* Takes the finished runs (trace present) that any table of the results
 * folder holds: runs.csv and every shard table, so a sweep resumes from
 * shards and a shard from an earlier sweep. mine: runs to take (NULL: all). */
static void load_previous(sweep *sw, const char *mine)
{
    row_pick *p = calloc((size_t)sw->ex->n_runs + 1, sizeof *p);
    if (!p) return;
    const char *dirs[1] = {sw->opt->out_dir};
    int foreign;
    collect_rows(sw->ex, sw->header, sw->n_cols, dirs, 1, p, &foreign);
    for (int i = 0; i < sw->ex->n_runs; i++) {
        if (p[i].cells && p[i].rank == 2 && (!mine || mine[i])) {
            free_cells(sw, i);
            sw->cells[i] = p[i].cells;
            p[i].cells = NULL;
        }
        free_row(p[i].cells, sw->n_cols);
    }
    free(p);
}

static char **make_header(const gn_experiment *ex, int *n_cols)
{
    int n_key = 0, n_result = 0;
    while (gn_runs_key_columns[n_key].name) n_key++;
    while (gn_runs_result_columns[n_result].name) n_result++;
    *n_cols = n_key + ex->n_columns + n_result;
    char **h = calloc((size_t)*n_cols, sizeof *h);
    if (!h) return NULL;
    int k = 0;
    for (int j = 0; j < n_key; j++) h[k++] = (char *)gn_runs_key_columns[j].name;
    for (int j = 0; j < ex->n_columns; j++) h[k++] = ex->columns[j];
    for (int j = 0; j < n_result; j++) h[k++] = (char *)gn_runs_result_columns[j].name;
    return h;
}

/* Copies src to dst through a temporary file and a rename. */
static int copy_file(const char *src, const char *dst, const char *tag)
{
    char tmp[4500];
    snprintf(tmp, sizeof tmp, "%s.tmp.%s.%ld", dst, tag, (long)getpid());
    FILE *in = fopen(src, "rb");
    if (!in) return -1;
    FILE *out = fopen(tmp, "wb");
    if (!out) {
        fclose(in);
        return -1;
    }
    char buf[65536];
    size_t n;
    int bad = 0;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n) bad = 1;
    bad |= ferror(in);
    fclose(in);
    if (fclose(out) != 0 || bad || rename(tmp, dst) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* Writes text to path through a temporary file named after tag. */
static int write_text(const char *path, const char *text, const char *tag)
{
    char tmp[4500];
    snprintf(tmp, sizeof tmp, "%s.tmp.%s.%ld", path, tag, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
        if (f) unlink(tmp);
        return -1;
    }
    return 0;
}

static const char *kv_get(const gn_table *t, const char *key)
{
    for (int r = 0; r < t->n_rows; r++)
        if (strcmp(gn_table_cell(t, r, 0), key) == 0) return gn_table_cell(t, r, 1);
    return "";
}

static void iso_now(char *buf, size_t len);

/* manifest.csv of a merge: the rows of a shard's manifest (or of the
 * folder's manifest.csv when there are no shard manifests) without the
 * per-shard keys, then the merge's own keys and one row per shard. */
static int write_merged_manifest(const gn_merge_options *o, int finished, int present, int n_runs,
                                 const char *tables, const char *tag)
{
    table_ref *man[64];
    int n_man[64];
    int nd = o->n_dirs < 64 ? o->n_dirs : 64;
    gn_table base;
    int have_base = 0;
    char err[256], path[4200], end[32] = "";
    for (int d = 0; d < nd; d++) n_man[d] = list_tables(o->dirs[d], "manifest", &man[d]);
    /* the base: the first shard manifest, else the first manifest.csv */
    for (int pass = 0; pass < 2 && !have_base; pass++)
        for (int d = 0; d < nd && !have_base; d++)
            for (int m = 0; m < n_man[d] && !have_base; m++)
                if ((pass == 0) == (man[d][m].n > 0) &&
                    gn_table_read(man[d][m].path, &base, err, sizeof err) == 0) {
                    if (base.n_cols == 2) have_base = 1;
                    else gn_table_free(&base);
                }

    snprintf(path, sizeof path, "%s/manifest.csv", o->out_dir);
    gn_csv_writer w;
    char inter[4300];
    snprintf(inter, sizeof inter, "%s.%s", path, tag);
    int rc = gn_csvw_open(&w, inter, err, sizeof err);
    if (rc == 0) {
        gn_csvw_str(&w, "key");
        gn_csvw_str(&w, "value");
        gn_csvw_end_row(&w);
        /* the latest end time over the shards */
        for (int d = 0; d < nd; d++)
            for (int m = 0; m < n_man[d]; m++) {
                gn_table t;
                if (man[d][m].n == 0 || gn_table_read(man[d][m].path, &t, err, sizeof err) != 0)
                    continue;
                if (t.n_cols == 2 && strcmp(kv_get(&t, "end_time"), end) > 0)
                    snprintf(end, sizeof end, "%s", kv_get(&t, "end_time"));
                gn_table_free(&t);
            }
        if (have_base) {
            if (!end[0]) snprintf(end, sizeof end, "%s", kv_get(&base, "end_time"));
            for (int r = 0; r < base.n_rows; r++) {
                const char *k = gn_table_cell(&base, r, 0);
                if (strcmp(k, "end_time") == 0) {
                    gn_csvw_str(&w, k);
                    gn_csvw_str(&w, end);
                    gn_csvw_end_row(&w);
                    continue;
                }
                if (strcmp(k, "runs_finished") == 0 || strcmp(k, "shard") == 0 ||
                    strncmp(k, "shard_", 6) == 0 || strncmp(k, "merge_", 6) == 0)
                    continue;
                gn_csvw_str(&w, k);
                gn_csvw_str(&w, gn_table_cell(&base, r, 1));
                gn_csvw_end_row(&w);
            }
        }
        char buf[64], now[32];
        snprintf(buf, sizeof buf, "%d", finished);
        gn_csvw_str(&w, "runs_finished");
        gn_csvw_str(&w, buf);
        gn_csvw_end_row(&w);
        snprintf(buf, sizeof buf, "%d of %d", present, n_runs);
        gn_csvw_str(&w, "merge_runs_present");
        gn_csvw_str(&w, buf);
        gn_csvw_end_row(&w);
        iso_now(now, sizeof now);
        gn_csvw_str(&w, "merge_time");
        gn_csvw_str(&w, now);
        gn_csvw_end_row(&w);
        gn_csvw_str(&w, "merge_command_line");
        gn_csvw_str(&w, o->command_line ? o->command_line : "");
        gn_csvw_end_row(&w);
        gn_csvw_str(&w, "merge_tables");
        gn_csvw_str(&w, tables);
        gn_csvw_end_row(&w);
        /* one row per shard manifest: where and when it ran */
        for (int d = 0; d < nd; d++)
            for (int m = 0; m < n_man[d]; m++) {
                gn_table t;
                if (man[d][m].n == 0 || gn_table_read(man[d][m].path, &t, err, sizeof err) != 0)
                    continue;
                if (t.n_cols == 2) {
                    char key[64], val[1024];
                    snprintf(key, sizeof key, "shard_%d_of_%d", man[d][m].k, man[d][m].n);
                    const char *mr = kv_get(&t, "mpi_ranks");
                    snprintf(val, sizeof val,
                             "dir=%s host=%s start=%s end=%s runs_finished=%s blas_threads=%s%s%s",
                             o->dirs[d], kv_get(&t, "host"), kv_get(&t, "start_time"),
                             kv_get(&t, "end_time"), kv_get(&t, "runs_finished"),
                             kv_get(&t, "blas_threads"), mr[0] ? " mpi_ranks=" : "", mr);
                    gn_csvw_str(&w, key);
                    gn_csvw_str(&w, val);
                    gn_csvw_end_row(&w);
                }
                gn_table_free(&t);
            }
        rc = gn_csvw_commit(&w, err, sizeof err);
        if (rc == 0 && rename(inter, path) != 0) {
            snprintf(err, sizeof err, "%.200s: %s", path, strerror(errno));
            rc = -1;
        }
    }
    if (rc != 0) fprintf(stderr, "gnbench: %s\n", err);
    if (have_base) gn_table_free(&base);
    for (int d = 0; d < nd; d++) free(man[d]);
    return rc;
}

static int same_dir(const char *a, const char *b)
{
    char ra[4096], rb[4096];
    if (!realpath(a, ra) || !realpath(b, rb)) return strcmp(a, b) == 0;
    return strcmp(ra, rb) == 0;
}

/* The merge (see gn_runner_merge). tag names the temporary files, so that
 * writers on different hosts never share one. With require_complete, writes
 * nothing unless every run of the grid has a row (*merged says whether it
 * wrote). */
static int merge_folders(const gn_experiment *ex, const gn_merge_options *o, const char *tag,
                         int require_complete, int *merged)
{
    int n_cols, rc = 0, foreign = 0;
    if (merged) *merged = 0;
    char **header = make_header(ex, &n_cols);
    row_pick *p = calloc((size_t)ex->n_runs + 1, sizeof *p);
    if (!header || !p) {
        free(header);
        free(p);
        return 1;
    }
    int n_tables = collect_rows(ex, header, n_cols, o->dirs, o->n_dirs, p, &foreign);
    int present = 0, finished = 0, errors = 0, no_trace = 0;
    for (int i = 0; i < ex->n_runs; i++) {
        if (!p[i].cells) continue;
        present++;
        if (p[i].rank == 2) finished++;
        else if (p[i].rank == 1) errors++;
        else no_trace++;
    }
    if (require_complete && present < ex->n_runs) goto done;

    char path[4200], err[512];
    snprintf(path, sizeof path, "%s/traces", o->out_dir);
    if (mkdir_p(path) != 0) {
        fprintf(stderr, "gnbench: cannot create %s: %s\n", path, strerror(errno));
        rc = 1;
        goto done;
    }
    /* traces of runs taken from other folders */
    for (int i = 0; i < ex->n_runs; i++) {
        if (!p[i].cells || same_dir(o->dirs[p[i].dir], o->out_dir)) continue;
        char src[4400], dst[4400];
        snprintf(src, sizeof src, "%s/traces/%s.csv", o->dirs[p[i].dir], ex->runs[i].run_id);
        snprintf(dst, sizeof dst, "%s/traces/%s.csv", o->out_dir, ex->runs[i].run_id);
        if (file_exists(src) && copy_file(src, dst, tag) != 0) {
            fprintf(stderr, "gnbench: cannot copy %s to %s: %s\n", src, dst, strerror(errno));
            rc = 1;
        }
    }
    /* experiment.yaml, when the folder does not hold it yet */
    snprintf(path, sizeof path, "%s/experiment.yaml", o->out_dir);
    if (!file_exists(path) && write_text(path, ex->text, tag) != 0) {
        fprintf(stderr, "gnbench: cannot write %s: %s\n", path, strerror(errno));
        rc = 1;
    }
    /* runs.csv, in grid order, through a temporary file of this writer */
    snprintf(path, sizeof path, "%s/runs.csv", o->out_dir);
    char inter[4300];
    snprintf(inter, sizeof inter, "%s.%s", path, tag);
    gn_csv_writer w;
    if (gn_csvw_open(&w, inter, err, sizeof err) != 0) {
        fprintf(stderr, "gnbench: %s\n", err);
        rc = 1;
        goto done;
    }
    for (int j = 0; j < n_cols; j++) gn_csvw_str(&w, header[j]);
    gn_csvw_end_row(&w);
    for (int i = 0; i < ex->n_runs; i++) {
        if (!p[i].cells) continue;
        for (int j = 0; j < n_cols; j++) gn_csvw_str(&w, p[i].cells[j]);
        gn_csvw_end_row(&w);
    }
    if (gn_csvw_commit(&w, err, sizeof err) != 0 || rename(inter, path) != 0) {
        fprintf(stderr, "gnbench: cannot write %s: %s\n", path, err[0] ? err : strerror(errno));
        rc = 1;
        goto done;
    }
    if (merged) *merged = 1;
    {
        /* the tables read, for the manifest */
        size_t len = 1;
        char *tables = NULL;
        for (int d = 0; d < o->n_dirs; d++) {
            table_ref *t;
            int nt = list_tables(o->dirs[d], "runs", &t);
            for (int k = 0; k < nt; k++) {
                if (t[k].n == 0 && same_dir(o->dirs[d], o->out_dir)) continue; /* the output */
                size_t add = strlen(o->dirs[d]) + strlen(t[k].name) + 2;
                char *nt2 = realloc(tables, len + add);
                if (!nt2) break;
                if (!tables) nt2[0] = 0;
                tables = nt2;
                snprintf(tables + len - 1, add + 1, "%s%s/%s", len > 1 ? ";" : "", o->dirs[d],
                         t[k].name);
                len = strlen(tables) + 1;
            }
            free(t);
        }
        if (write_merged_manifest(o, finished, present, ex->n_runs, tables ? tables : "", tag) != 0)
            rc = 1;
        free(tables);
    }
    fprintf(stderr,
            "gnbench: merged %d table(s) from %d folder(s) into %s/runs.csv: %d of %d runs "
            "(%d finished, %d error%s)\n",
            n_tables, o->n_dirs, o->out_dir, present, ex->n_runs, finished, errors,
            no_trace ? ", some finished without their trace" : "");
    if (foreign)
        fprintf(stderr,
                "gnbench: warning: %d row(s) of run ids outside the grid of %s%s were left out\n",
                foreign, ex->path, ex->quick ? " (quick)" : "");
    if (present < ex->n_runs) {
        fprintf(stderr, "gnbench: %d run(s) missing:", ex->n_runs - present);
        int shown = 0;
        for (int i = 0; i < ex->n_runs && shown < 10; i++)
            if (!p[i].cells) fprintf(stderr, " %s", ex->runs[i].run_id), shown++;
        fprintf(stderr, "%s\ngnbench: rerun the shards that hold them (`gnbench run FILE --shard K/N` "
                        "resumes), then merge again\n",
                ex->n_runs - present > shown ? " ..." : "");
    }
    if (present < ex->n_runs || errors || no_trace) rc = rc ? rc : 1;

done:
    for (int i = 0; i < ex->n_runs; i++) free_row(p[i].cells, n_cols);
    free(p);
    free(header);
    return rc;
}

int gn_runner_merge(const gn_experiment *ex, const gn_merge_options *o, int *tables_ready)
{
    return merge_folders(ex, o, "merge", 0, tables_ready);
}

/* ---- the sweep ---- */

static int matches_only(const gn_run_options *o, const gn_run_spec *r)
{
    if (!o->only) return 1;
    return fnmatch(o->only, r->run_id, 0) == 0 || fnmatch(o->only, r->optim->name, 0) == 0;
}

static double physical_mib(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    return pages > 0 && size > 0 ? (double)pages * size / 1048576.0 : 1e9;
}

/* A run in progress: a child process (local), or a worker rank (MPI). */
typedef struct slot {
    pid_t pid; /* local: the child; MPI: 1 while the worker has a run */
    int fd, run;
    double t0;
} slot;

/* What the parent (or a worker rank) learns about a finished run. */
typedef struct run_done {
    run_result res;
    double rss_mib;
} run_done;

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

/* The result of a run process that did not report one: st is its wait
 * status; interrupted_by the stop signal, 0 if none. */
static void run_failed(run_result *res, int st, int interrupted_by)
{
    memset(res, 0, sizeof *res);
    res->status = GN_RUN_ERROR;
    res->final_train = res->final_test = res->best_train = res->step_s_median = NAN;
    res->final_test_acc = NAN;
    res->time_to_target = res->iters_to_target = res->wall_s = NAN;
    res->kernel_lambda_min = res->kernel_cond = NAN;
    if (interrupted_by)
        snprintf(res->message, sizeof res->message, "interrupted (%s); rerun to redo it",
                 strsignal(interrupted_by));
    else if (WIFSIGNALED(st))
        snprintf(res->message, sizeof res->message, "run process killed by signal %d (%s)",
                 WTERMSIG(st), strsignal(WTERMSIG(st)));
    else
        snprintf(res->message, sizeof res->message, "run process exited with status %d",
                 WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* Datasets loaded once per process, and which one each run uses. */
typedef struct prepared {
    ds_entry *cache;
    int n_cache;
    int *ds_of; /* n_runs */
} prepared;

/* In the child: runs run i, sends its result through fd, exits. The child
 * dies with the process that forked it (parent): a run nobody will record is
 * not worth finishing, and a resume must not find it still running. */
static void child_main(const gn_experiment *ex, const prepared *pp, const char *tdir, int threads,
                       int i, int fd, pid_t parent)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
        _exit(3);
    gn_test_hold(ex->runs[i].run_id);
    run_result res;
    memset(&res, 0, sizeof res);
    char tp[4400];
    snprintf(tp, sizeof tp, "%s/%s.csv", tdir, ex->runs[i].run_id);
    run_child(&ex->runs[i], &pp->cache[pp->ds_of[i]].ds, tp, threads, &res);
    ssize_t wr = write(fd, &res, sizeof res);
    _exit(wr == (ssize_t)sizeof res ? 0 : 3);
}

/* Everything that can fail on the input, before anything is written:
 * datasets load, models fit them, memory estimates fit mem_jobs runs at
 * once. Returns 0, or the exit status (2 input error, 1 failure). Messages
 * only when !quiet. */
static int prepare(const gn_experiment *ex, const gn_run_options *o, int mem_jobs, prepared *pp,
                   int quiet)
{
    memset(pp, 0, sizeof *pp);
    pp->ds_of = calloc((size_t)ex->n_runs + 1, sizeof *pp->ds_of);
    if (!pp->ds_of) return 1;
    double mem_limit =
        o->memory_limit_mib > 0 ? o->memory_limit_mib : 0.8 * physical_mib() / mem_jobs;
    for (int i = 0; i < ex->n_runs; i++) {
        const gn_run_spec *r = &ex->runs[i];
        gn_dataset_request req = {ex->base_dir, gn_loss_targets(r->loss)};
        char *key = dataset_key(&r->settings, req.targets);
        int k;
        if (!key) return 1;
        for (k = 0; k < pp->n_cache; k++)
            if (strcmp(pp->cache[k].key, key) == 0) break;
        if (k == pp->n_cache) {
            char err[512];
            ds_entry *nc = realloc(pp->cache, sizeof *pp->cache * (size_t)(pp->n_cache + 1));
            if (!nc) {
                free(key);
                return 1;
            }
            pp->cache = nc;
            memset(&pp->cache[k], 0, sizeof pp->cache[k]);
            gn_dataset_spec spec;
            int rc = gn_dataset_spec_bind(&spec, &r->settings, err, sizeof err);
            if (rc == 0) rc = gn_dataset_load(&spec, &req, &pp->cache[k].ds, err, sizeof err);
            gn_dataset_spec_free(&spec);
            if (rc != 0) {
                if (!quiet) fprintf(stderr, "gnbench: %s: dataset: %s\n", ex->path, err);
                free(key);
                return 2;
            }
            pp->cache[k].key = key;
            pp->n_cache++;
        } else {
            free(key);
        }
        pp->ds_of[i] = k;
        const gn_dataset *ds = &pp->cache[k].ds;
        gn_mlp_config cfg;
        char err[256];
        if (model_config(r, ds, &cfg, err, sizeof err) != 0) {
            if (!quiet) fprintf(stderr, "gnbench: %s: run %s: %s\n", ex->path, r->run_id, err);
            return 2;
        }
        int b = run_batch(r, ds), mb = b > EVAL_CHUNK ? b : EVAL_CHUNK;
        gn_optim_plan plan;
        run_plan(r, &cfg, b, &plan);
        double rows = (double)plan.gram_batch * ds->c;
        double mib =
            (gn_mlp_bytes(&cfg, mb, plan_gram_capacity(&plan)) + plan.workspace_bytes) / 1048576.0;
        if (mib > mem_limit) {
            if (!quiet)
                fprintf(stderr,
                        "gnbench: %s: run %s needs about %.0f MiB (model, Gram matrices of %.0f "
                        "rows), more than the %.0f MiB allowed per job; lower train.batch, "
                        "opt.curvature_batch or model.width, use a matrix-free solver (dgn with "
                        "solver: cg), raise --memory-limit or run fewer --jobs\n",
                        ex->path, r->run_id, mib, rows, mem_limit);
            return 2;
        }
    }
    return 0;
}

static void prepared_free(prepared *pp)
{
    for (int k = 0; k < pp->n_cache; k++) {
        free(pp->cache[k].key);
        gn_dataset_free(&pp->cache[k].ds);
    }
    free(pp->cache);
    free(pp->ds_of);
    memset(pp, 0, sizeof *pp);
}

#ifdef GN_HAVE_MPI
/* A worker rank: takes runs from rank 0, runs each in a child process (so
 * a crash costs that run only, reported as an error row), replies with the
 * result. On SIGINT/SIGTERM it ends its run and waits for rank 0's quit
 * without running anything more: rank 0 records the run as interrupted,
 * and a rank that exited early would make the launcher kill rank 0 before
 * it has written its tables. Returns 0, or 128 + signal when interrupted. */
static int mpi_worker(const gn_experiment *ex, const prepared *pp, const char *tdir, int threads)
{
    struct sigaction old_int, old_term;
    stop_signal = 0;
    install_stop_handlers(&old_int, &old_term);
    int rc = 0, i;
    for (;;) {
        int w = gn_mpi_work_next(&i, NULL);
        if (w == 0 && stop_signal) continue; /* handed out before rank 0 saw the signal */
        if (w != 0) {
            if (w < 0) {
                fprintf(stderr, "gnbench: rank %d: lost contact with rank 0\n", gn_mpi_rank());
                rc = 1;
            }
            break;
        }
        run_done d;
        memset(&d, 0, sizeof d);
        int fd[2], st = 0;
        pid_t pid = -1;
        if (i >= ex->n_runs) {
            run_failed(&d.res, 0, 0);
            snprintf(d.res.message, sizeof d.res.message, "rank %d got unknown run %d",
                     gn_mpi_rank(), i);
        } else if (pipe(fd) != 0) {
            run_failed(&d.res, 0, 0);
            snprintf(d.res.message, sizeof d.res.message, "rank %d: pipe: %s", gn_mpi_rank(),
                     strerror(errno));
        } else {
            fflush(NULL);
            pid_t self = getpid();
            pid = fork();
            if (pid == 0) {
                close(fd[0]);
                child_main(ex, pp, tdir, threads, i, fd[1], self);
            }
            close(fd[1]);
            if (pid < 0) {
                run_failed(&d.res, 0, 0);
                snprintf(d.res.message, sizeof d.res.message, "rank %d: fork: %s", gn_mpi_rank(),
                         strerror(errno));
            } else {
                struct rusage ru;
                memset(&ru, 0, sizeof ru);
                pid_t got;
                int killed = 0;
                while ((got = wait4(pid, &st, 0, &ru)) < 0 && errno == EINTR)
                    if (stop_signal && !killed) kill(pid, SIGTERM), killed = 1;
                ssize_t n = read(fd[0], &d.res, sizeof d.res);
                if (got < 0 || !(WIFEXITED(st) && WEXITSTATUS(st) == 0 && n == (ssize_t)sizeof d.res))
                    run_failed(&d.res, got < 0 ? 0 : st, stop_signal);
                d.rss_mib = ru.ru_maxrss / 1024.0;
            }
            close(fd[0]);
        }
        if (stop_signal) continue; /* rank 0 records the run; wait for its quit */
        if (gn_mpi_work_reply(i, &d, sizeof d) != 0) {
            fprintf(stderr, "gnbench: rank %d: cannot reply to rank 0\n", gn_mpi_rank());
            rc = 1;
            break;
        }
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return stop_signal ? 128 + stop_signal : rc;
}
#endif

int gn_runner_run(const gn_experiment *ex, const gn_run_options *o, int *tables_ready)
{
    if (tables_ready) *tables_ready = 0;
    int rc = 0;
    sweep sw;
    memset(&sw, 0, sizeof sw);
    sw.ex = ex;
    sw.opt = o;
    int jobs = o->jobs > 0 ? o->jobs : 1;
    sw.threads = o->threads > 0 ? o->threads : gn_available_cores();
    snprintf(sw.threads_desc, sizeof sw.threads_desc, "%d", sw.threads);
    int mpi = 0, worker = 0, mem_jobs = jobs, release = 0;
    prepared pp;
    uint64_t *cost = NULL;
    int *shard_of = NULL, *todo = NULL;
    char *mine = NULL;
    char tdir[4200];
    snprintf(tdir, sizeof tdir, "%s/traces", o->out_dir);
#ifdef GN_HAVE_MPI
    if (gn_mpi_active()) {
        mpi = 1;
        worker = gn_mpi_rank() != 0;
        sw.threads = gn_mpi_layout(o->threads, &sw.ranks, &mem_jobs);
        if (!worker) {
            int lo = 0, hi = 0;
            for (int r = 1; r < gn_mpi_size(); r++) {
                int t = sw.ranks[r].threads;
                if (!lo || t < lo) lo = t;
                if (t > hi) hi = t;
            }
            snprintf(sw.threads_desc, sizeof sw.threads_desc, lo == hi ? "%d" : "%d-%d", lo, hi);
        }
    }
#endif

    /* Everything that can fail on the input, before anything is written. */
    rc = prepare(ex, o, mem_jobs, &pp, worker);
#ifdef GN_HAVE_MPI
    if (mpi) rc = gn_mpi_agree(rc);
    if (mpi && worker) {
        if (rc == 0 && !o->dry_run) rc = mpi_worker(ex, &pp, tdir, sw.threads);
        goto out;
    }
    release = mpi && rc == 0 && !o->dry_run;
#endif
    if (rc) goto out;

    /* estimated costs: shard assignment, and under MPI the costliest first */
    cost = calloc((size_t)ex->n_runs + 1, sizeof *cost);
    shard_of = calloc((size_t)ex->n_runs + 1, sizeof *shard_of);
    mine = calloc((size_t)ex->n_runs + 1, 1);
    todo = calloc((size_t)ex->n_runs + 1, sizeof *todo);
    uint64_t *load = calloc((size_t)(o->shard_n > 0 ? o->shard_n : 1), sizeof *load);
    if (!cost || !shard_of || !mine || !todo || !load) {
        free(load);
        rc = 1;
        goto out;
    }
    for (int i = 0; i < ex->n_runs; i++) {
        cost[i] = run_cost(&ex->runs[i], &pp.cache[pp.ds_of[i]].ds);
        sw.total_cost = sat_add(sw.total_cost, cost[i]);
    }
    if (o->shard_n > 0 && shard_assign(cost, ex->n_runs, o->shard_n, shard_of, load) != 0) {
        free(load);
        rc = 1;
        goto out;
    }
    for (int i = 0; i < ex->n_runs; i++) {
        mine[i] = o->shard_n <= 0 || shard_of[i] == o->shard_k - 1;
        if (mine[i] && o->shard_n > 0) {
            sw.shard_runs++;
            sw.shard_cost = sat_add(sw.shard_cost, cost[i]);
        }
    }

    int n_todo = 0;
    sw.cells = calloc((size_t)ex->n_runs + 1, sizeof *sw.cells);
    sw.header = make_header(ex, &sw.n_cols);
    if (!sw.cells || !sw.header) {
        free(load);
        rc = 1;
        goto out;
    }
    if (o->shard_n > 0) {
        snprintf(sw.runs_path, sizeof sw.runs_path, "%s/runs.shard-%d-of-%d.csv", o->out_dir,
                 o->shard_k, o->shard_n);
        snprintf(sw.manifest_path, sizeof sw.manifest_path, "%s/manifest.shard-%d-of-%d.csv",
                 o->out_dir, o->shard_k, o->shard_n);
    } else {
        snprintf(sw.runs_path, sizeof sw.runs_path, "%s/runs.csv", o->out_dir);
        snprintf(sw.manifest_path, sizeof sw.manifest_path, "%s/manifest.csv", o->out_dir);
    }
    if (!o->fresh) load_previous(&sw, mine);
    for (int i = 0; i < ex->n_runs; i++)
        if (mine[i] && !sw.cells[i] && matches_only(o, &ex->runs[i])) todo[n_todo++] = i;
    if (mpi) /* dynamic scheduling: the costliest runs first, the small ones fill the gaps */
        for (int a = 1; a < n_todo; a++)
            for (int b = a; b > 0 && cost[todo[b]] > cost[todo[b - 1]]; b--) {
                int t = todo[b];
                todo[b] = todo[b - 1];
                todo[b - 1] = t;
            }

    if (o->dry_run) {
        int n_mine = o->shard_n > 0 ? sw.shard_runs : ex->n_runs;
        if (o->shard_n > 0) {
            printf("shard %d/%d: %d of %d runs, %.1f%% of the estimated cost; shard loads:",
                   o->shard_k, o->shard_n, sw.shard_runs, ex->n_runs,
                   sw.total_cost ? 100.0 * (double)sw.shard_cost / (double)sw.total_cost : 0.0);
            for (int s = 0; s < o->shard_n; s++)
                printf(" %.1f%%", sw.total_cost ? 100.0 * (double)load[s] / (double)sw.total_cost : 0.0);
            printf("\n");
        }
        printf("%d runs in the %s, %d to run, %d already finished in %s\n", n_mine,
               o->shard_n > 0 ? "shard" : "grid", n_todo, n_mine - n_todo, o->out_dir);
        for (int t = 0; t < n_todo; t++)
            if (o->shard_n > 0)
                printf("would run %s (estimated %.3g flops)\n", ex->runs[todo[t]].run_id,
                       (double)cost[todo[t]]);
            else
                printf("would run %s\n", ex->runs[todo[t]].run_id);
        free(load);
        goto out;
    }
    free(load);

    if (mkdir_p(tdir) != 0) {
        fprintf(stderr, "gnbench: cannot create %s: %s\n", tdir, strerror(errno));
        rc = 1;
        goto out;
    }
    if (o->fresh) {
        /* start over: remove the traces of this grid (of this shard) and the
         * old table; a whole-grid fresh start also drops every shard table */
        for (int i = 0; i < ex->n_runs; i++) {
            if (!mine[i]) continue;
            char tp[4400];
            snprintf(tp, sizeof tp, "%s/%s.csv", tdir, ex->runs[i].run_id);
            unlink(tp);
        }
        unlink(sw.runs_path);
        if (o->shard_n <= 0) {
            const char *prefixes[] = {"runs", "manifest"};
            for (int q = 0; q < 2; q++) {
                table_ref *t;
                int nt = list_tables(o->out_dir, prefixes[q], &t);
                for (int k = 0; k < nt; k++)
                    if (t[k].n > 0) unlink(t[k].path);
                free(t);
            }
        }
    }
    {
        char yp[4200], tag[32];
        snprintf(yp, sizeof yp, "%s/experiment.yaml", o->out_dir);
        snprintf(tag, sizeof tag, "s%d", o->shard_k);
        int werr = o->shard_n > 0 ? write_text(yp, ex->text, tag) : 0;
        if (o->shard_n <= 0) { /* as before: <path>.tmp.<pid> */
            char tmp[4300];
            snprintf(tmp, sizeof tmp, "%s.tmp.%ld", yp, (long)getpid());
            FILE *f = fopen(tmp, "w");
            werr = !f || fputs(ex->text, f) < 0 || fclose(f) != 0 || rename(tmp, yp) != 0;
        }
        if (werr) {
            fprintf(stderr, "gnbench: cannot write %s: %s\n", yp, strerror(errno));
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
    int n_total = o->shard_n > 0 ? sw.shard_runs : ex->n_runs;
    write_manifest(&sw, "", n_total - n_todo, pp.cache, pp.n_cache);
    write_runs(&sw);

    int capacity = jobs;
    int tty = isatty(2);
    char where[96] = "";
    if (o->shard_n > 0) snprintf(where, sizeof where, " shard %d/%d,", o->shard_k, o->shard_n);
#ifdef GN_HAVE_MPI
    if (mpi) {
        capacity = gn_mpi_size() - 1;
        if (jobs > 1)
            fprintf(stderr, "gnbench: note: under MPI each worker rank runs one run at a time; "
                            "--jobs is ignored (start more ranks instead)\n");
        fprintf(stderr,
                "gnbench: %s:%s %d runs, %d to do (%d finished before), MPI: %d worker rank(s), "
                "BLAS threads %s, BLIS %s\n",
                ex->name, where, n_total, n_todo, n_total - n_todo, capacity, sw.threads_desc,
                sw.blis.arch);
    } else
#endif
        fprintf(stderr,
                "gnbench: %s:%s %d runs, %d to do (%d finished before), jobs %d, BLAS threads %d, "
                "BLIS %s\n",
                ex->name, where, n_total, n_todo, n_total - n_todo, jobs, sw.threads,
                sw.blis.arch);

    slot *slots = calloc((size_t)capacity, sizeof *slots);
    if (!slots) {
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
            fprintf(stderr, "%sgnbench: %s: ending %d running run(s)\n", tty ? "\n" : "",
                    strsignal(stop_signal), active);
            for (int s = 0; s < capacity; s++) {
                if (slots[s].pid <= 0) continue;
                if (!mpi) {
                    kill(slots[s].pid, SIGTERM);
                    continue;
                }
                /* the launcher ends the worker ranks: record their runs now */
                run_done d;
                run_failed(&d.res, 0, stop_signal);
                fill_row(&sw, slots[s].run, &d.res, 0, pp.cache[pp.ds_of[slots[s].run]].ds.identity);
                slots[s].pid = 0;
                active--;
                finished++;
                errors++;
            }
            if (mpi) write_runs(&sw);
        }
        while (active < capacity && next < n_todo) {
            int i = todo[next++], s;
            for (s = 0; s < capacity; s++)
                if (slots[s].pid == 0) break;
            if (mpi) {
#ifdef GN_HAVE_MPI
                if (gn_mpi_sched_give(s + 1, i) != 0) {
                    fprintf(stderr, "gnbench: MPI: cannot send a run to rank %d\n", s + 1);
                    rc = 1;
                    next = n_todo;
                    break;
                }
#endif
                slots[s] = (slot){1, -1, i, gn_now()};
                active++;
                continue;
            }
            int fd[2];
            if (pipe(fd) != 0) {
                fprintf(stderr, "gnbench: pipe: %s\n", strerror(errno));
                rc = 1;
                break;
            }
            fflush(NULL);
            pid_t self = getpid();
            pid_t pid = fork();
            if (pid == 0) {
                close(fd[0]);
                child_main(ex, &pp, tdir, sw.threads, i, fd[1], self);
            }
            close(fd[1]);
            if (pid < 0) {
                fprintf(stderr, "gnbench: fork: %s\n", strerror(errno));
                close(fd[0]);
                rc = 1;
                break;
            }
            slots[s] = (slot){pid, fd[0], i, gn_now()};
            active++;
        }
        if (active == 0) break;
        run_done d;
        memset(&d, 0, sizeof d);
        int s;
        if (mpi) {
#ifdef GN_HAVE_MPI
            int w = 0, run = -1;
            int g = gn_mpi_sched_wait(&w, &run, &d, sizeof d, &stop_signal);
            if (g == 1) continue; /* stop signal: handled at the top */
            if (g < 0) {
                fprintf(stderr, "gnbench: MPI: lost contact with the worker ranks\n");
                rc = 1;
                break;
            }
            s = w - 1;
            if (s < 0 || s >= capacity || slots[s].pid == 0 || slots[s].run != run) continue;
#endif
        } else {
            int st;
            struct rusage ru;
            pid_t pid = wait4(-1, &st, 0, &ru);
            if (pid < 0) {
                if (errno == EINTR) continue;
                break;
            }
            for (s = 0; s < capacity; s++)
                if (slots[s].pid == pid) break;
            if (s == capacity) continue;
            ssize_t got = read(slots[s].fd, &d.res, sizeof d.res);
            close(slots[s].fd);
            if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0 && got == (ssize_t)sizeof d.res))
                run_failed(&d.res, st, stopping ? stop_signal : 0);
            d.rss_mib = ru.ru_maxrss / 1024.0;
        }
        int i = slots[s].run;
        double took = gn_now() - slots[s].t0;
        busy += took;
        slots[s].pid = 0;
        active--;
        finished++;
        if (d.res.status == GN_RUN_ERROR) errors++;
        fill_row(&sw, i, &d.res, d.rss_mib, pp.cache[pp.ds_of[i]].ds.identity);
        write_runs(&sw);
        double per = busy / finished, eta = per * (n_todo - finished) / capacity;
        char etab[32], tookb[32];
        fmt_duration(eta, etab, sizeof etab);
        fmt_duration(took, tookb, sizeof tookb);
        fprintf(stderr, "%s[%d/%d] %-40s %-10s loss %-10.3g %s  ETA %s%s", tty ? "\r\033[K" : "gnbench: ",
                finished, n_todo, ex->runs[i].run_id, gn_run_status_name(d.res.status), d.res.final_train, tookb, etab,
                tty && finished < n_todo ? "" : "\n");
        if (d.res.status == GN_RUN_ERROR)
            fprintf(stderr, "%sgnbench: run %s: %s\n", tty ? "\n" : "", ex->runs[i].run_id,
                    d.res.message);
    }
    free(slots);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    char end[32];
    iso_now(end, sizeof end);
    int done = 0;
    for (int i = 0; i < ex->n_runs; i++) done += sw.cells[i] != NULL;
    write_manifest(&sw, end, done, pp.cache, pp.n_cache);
    if (errors) rc = 1;
    if (stop_signal) {
        rc = 128 + stop_signal;
        fprintf(stderr, "gnbench: interrupted; run the same command again to resume\n");
    } else if (o->shard_n > 0) {
        /* the last shard to finish merges the shared folder and draws */
        const char *dirs[1] = {o->out_dir};
        gn_merge_options mo = {dirs, 1, o->out_dir, o->command_line};
        char tag[48];
        snprintf(tag, sizeof tag, "shard-%d-of-%d", o->shard_k, o->shard_n);
        int merged = 0;
        /* its status reflects every shard's runs: this shard's exit status
         * stays its own */
        merge_folders(ex, &mo, tag, 1, &merged);
        if (tables_ready) *tables_ready = merged;
        if (!merged)
            fprintf(stderr,
                    "gnbench: shard %d/%d done; runs.csv and the figures come when every shard has "
                    "finished (the last one merges), or now with: gnbench merge %s\n",
                    o->shard_k, o->shard_n, o->out_dir);
    } else if (tables_ready) {
        *tables_ready = 1;
    }

out:
#ifdef GN_HAVE_MPI
    if (release) gn_mpi_sched_end();
    free(sw.ranks);
#endif
    (void)release;
    if (sw.cells) {
        for (int i = 0; i < ex->n_runs; i++) free_cells(&sw, i);
        free(sw.cells);
    }
    free(sw.header);
    prepared_free(&pp);
    free(cost);
    free(shard_of);
    free(mine);
    free(todo);
    return rc;
}
