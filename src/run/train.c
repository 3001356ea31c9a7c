/* train.c: the training loop of one run, in the run's own child process:
 * starts BLIS, builds the model and the optimizer, steps on batches drawn
 * from the seed, evaluates the whole training (and test) set every
 * eval_every steps, stops at the last step, on divergence or at the time
 * limit, and writes the trace. The summary goes into a gn_run_result that
 * the caller sends to the parent. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "la/blas.h"
#include "model/loss.h"
#include "results/stats.h"
#include "run/run_internal.h"

typedef gn_trace_row trace_row;

/* One run in progress: its model, optimizer, buffers and counters. */
typedef struct train {
    const gn_run_spec *r;
    const gn_dataset *ds;
    const char *trace_path;
    gn_mlp net;
    gn_optim *opt;
    gn_rng rng_batch;      /* the batch order (depends only on the seed) */
    int b, full, classify; /* batch; whether it is the whole training set */
    long iters;            /* steps to take */
    trace_row *rows;       /* (iters / eval_every + 3) evaluation rows */
    long n_rows;
    double *Xb, *Yb;    /* (b, d), (b, c): the batch, when not full */
    int *perm, pos;     /* (n_train): the shuffled order batches are drawn in; next in it */
    double *step_times; /* (iters): seconds of each step */
    long it, samples;   /* steps taken, samples seen */
    double wall, loss0, best, max_damping;
    double eval_s;  /* time spent evaluating (excluded from wall) */
    int has_target; /* train.target (or target_loss) is set */
    gn_target_metric target_metric;
    double target;
    int raised_steps;  /* steps on which the optimizer raised its damping */
    gn_step_info info; /* the last step's report */
    char err[256];     /* why the run stopped, when it did not end normally */
} train;

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
    v[GN_TC_TRAIN_LOSS] = eval_set(net, loss, ds->X_train, ds->Y_train, ds->n_train, ds->d, ds->c,
                                   &v[GN_TC_TRAIN_ACC]);
    v[GN_TC_TEST_LOSS] = v[GN_TC_TEST_ACC] = v[GN_TC_VAL_LOSS] = v[GN_TC_VAL_ACC] = NAN;
    if (ds->n_test)
        v[GN_TC_TEST_LOSS] = eval_set(net, loss, ds->X_test, ds->Y_test, ds->n_test, ds->d, ds->c,
                                      &v[GN_TC_TEST_ACC]);
    if (ds->n_val)
        v[GN_TC_VAL_LOSS] =
            eval_set(net, loss, ds->X_val, ds->Y_val, ds->n_val, ds->d, ds->c, &v[GN_TC_VAL_ACC]);
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

static void info_reset(gn_step_info *info)
{
    memset(info, 0, sizeof *info);
    info->batch_loss = info->grad_norm = info->step_norm = info->lr = info->damping = NAN;
    info->gain_ratio = info->t_forward = info->t_curvature = info->t_solve = NAN;
    info->t_backward = NAN;
    info->kernel_lambda_min = info->kernel_cond = NAN;
    for (int j = 0; j < GN_OPTIM_MAX_EXTRA; j++)
        info->extra[j] = NAN;
}

/* Builds the model (parameters from the seed), the optimizer and the
 * buffers. 0, or -1 with t->err. */
static int train_setup(train *t, run_result *res)
{
    const gn_run_spec *r = t->r;
    const gn_dataset *ds = t->ds;
    gn_mlp_config cfg;
    if (gn_run_model(r, ds, &cfg, t->err, sizeof t->err) != 0) return -1;
    int b = gn_run_batch(r, ds), d = ds->d, c = ds->c, n = ds->n_train;
    res->batch = t->b = b;
    t->iters = gn_run_iterations(r, ds, b);
    int max_batch = b > GN_RUN_EVAL_CHUNK ? b : GN_RUN_EVAL_CHUNK;
    gn_optim_plan plan;
    gn_run_plan(r, &cfg, b, &plan);
    if (gn_mlp_init_ex(&t->net, &cfg, max_batch, gn_run_gram_capacity(&plan), t->err,
                       sizeof t->err) != 0)
        return -1;

    /* Paired runs: parameters and batch order depend only on the seed (and
     * the shapes), never on the optimizer. */
    gn_rng rng_init;
    gn_rng_seed(&rng_init, (uint64_t)r->seed, "init");
    gn_rng_seed(&t->rng_batch, (uint64_t)r->seed, "batches");
    gn_mlp_init_params(&t->net, &rng_init);

    t->opt = r->optim->create(r->hparams, &t->net, b, t->err, sizeof t->err);
    if (!t->opt) return -1;

    long n_rows_max = t->iters / r->train.eval_every + 3;
    t->rows = calloc((size_t)n_rows_max, sizeof *t->rows);
    t->step_times = malloc(sizeof(double) * (size_t)(t->iters > 0 ? t->iters : 1));
    t->full = b == n;
    if (!t->full) {
        t->Xb = malloc(sizeof(double) * (size_t)b * d);
        t->Yb = malloc(sizeof(double) * (size_t)b * c);
        t->perm = malloc(sizeof(int) * (size_t)n);
    }
    if (!t->rows || !t->step_times || (!t->full && (!t->Xb || !t->Yb || !t->perm))) {
        snprintf(t->err, sizeof t->err, "out of memory");
        return -1;
    }
    t->pos = n;
    if (!t->full)
        for (int i = 0; i < n; i++)
            t->perm[i] = i;
    return 0;
}

/* Evaluates at the current step into the next trace row. */
static trace_row *add_row(train *t)
{
    trace_row *row = &t->rows[t->n_rows++];
    double t0 = gn_now();
    eval_row(&t->net, t->r->loss, t->ds, t->it, t->samples, t->wall, &t->info, row);
    t->eval_s += gn_now() - t0;
    /* the previous evaluation's loss: plotting train_loss against it on
     * log axes shows the local order of convergence */
    row->v[GN_TC_PREV_LOSS] = t->n_rows > 1 ? t->rows[t->n_rows - 2].v[GN_TC_TRAIN_LOSS] : NAN;
    return row;
}

/* The trace column a target metric is read from. */
static int target_column(gn_target_metric m)
{
    switch (m) {
    case GN_TARGET_VAL_LOSS:
        return GN_TC_VAL_LOSS;
    case GN_TARGET_VAL_ACCURACY:
        return GN_TC_VAL_ACC;
    case GN_TARGET_TRAIN_ACCURACY:
        return GN_TC_TRAIN_ACC;
    default:
        return GN_TC_TRAIN_LOSS;
    }
}

/* An evaluation row's values into res: the final metrics, the best ones,
 * and the first time the target was reached. */
static void record_row(train *t, const trace_row *row, run_result *res)
{
    double tr = row->v[GN_TC_TRAIN_LOSS], va = row->v[GN_TC_VAL_LOSS];
    res->final_train = tr;
    res->final_test = row->v[GN_TC_TEST_LOSS];
    res->final_test_acc = row->v[GN_TC_TEST_ACC];
    res->final_val = va;
    res->final_val_acc = row->v[GN_TC_VAL_ACC];
    if (tr < t->best) t->best = tr;
    if (va < res->best_val || (isnan(res->best_val) && !isnan(va))) res->best_val = va;
    if (t->has_target && !res->reached &&
        gn_target_reached(t->target_metric, row->v[target_column(t->target_metric)], t->target)) {
        res->reached = 1;
        res->time_to_target = t->wall;
        res->iters_to_target = (double)t->it;
    }
}

/* A scheduled evaluation: records it in res (final losses, best, time to
 * target). Returns 1 when the run diverged (t->err says how), else 0. */
static int evaluate(train *t, run_result *res)
{
    const gn_train_cfg *tc = &t->r->train;
    trace_row *row = add_row(t);
    double tr = row->v[GN_TC_TRAIN_LOSS];
    if (t->it == 0) t->loss0 = tr;
    record_row(t, row, res);
    if (!isfinite(tr) || (t->it > 0 && tr > tc->diverge_factor * t->loss0 && tr > 1e-300)) {
        snprintf(t->err, sizeof t->err, "training loss %.3g at iteration %ld (initial %.3g)",
                 isnan(tr) ? NAN : tr, t->it, t->loss0);
        return 1;
    }
    return 0;
}

/* The time limit passed: records where the run stopped (an evaluation of
 * its own unless one was just made). */
static void stop_at_time_limit(train *t, run_result *res)
{
    snprintf(t->err, sizeof t->err, "stopped after %.1f s at iteration %ld", t->wall, t->it);
    if (t->it % t->r->train.eval_every != 0) /* record the point where it stopped */
        record_row(t, add_row(t), res);
}

/* The next mini-batch into Xb, Yb: samples in the shuffled order,
 * reshuffled after each pass. */
static void next_batch(train *t)
{
    const gn_dataset *ds = t->ds;
    int d = ds->d, c = ds->c, n = ds->n_train;
    for (int i = 0; i < t->b; i++) {
        if (t->pos >= n) {
            gn_rng_shuffle(&t->rng_batch, t->perm, n);
            t->pos = 0;
        }
        int k = t->perm[t->pos++];
        memcpy(t->Xb + (size_t)i * d, ds->X_train + (size_t)k * d, sizeof(double) * d);
        memcpy(t->Yb + (size_t)i * c, ds->Y_train + (size_t)k * c, sizeof(double) * c);
    }
}

/* One optimizer step, timed, with its report counted into res. 0, or -1
 * when the step failed (t->err says why). */
static int train_step(train *t, run_result *res)
{
    const double *X = t->ds->X_train, *Y = t->ds->Y_train;
    if (!t->full) {
        next_batch(t);
        X = t->Xb;
        Y = t->Yb;
    }
    gn_step_ctx ctx = {.model = &t->net,
                       .loss = t->r->loss,
                       .X = X,
                       .Y = Y,
                       .b = t->b,
                       .c = t->ds->c,
                       .iteration = t->it,
                       .lr_scale = gn_train_lr_factor(&t->r->train, t->it, t->iters)};
    gn_step_info *info = &t->info;
    info_reset(info);
    double t0 = gn_now();
    int rc = t->r->optim->step(t->opt, &ctx, info);
    double dt = gn_now() - t0;
    t->wall += dt;
    t->step_times[t->it] = dt;
    t->it++;
    t->samples += t->b;
    res->rejected += info->rejected;
    if (isnan(res->kernel_cond) && !isnan(info->kernel_cond)) {
        res->kernel_cond = info->kernel_cond;
        res->kernel_lambda_min = info->kernel_lambda_min;
    }
    if (info->damping_raises) {
        t->raised_steps++;
        if (info->damping > t->max_damping) t->max_damping = info->damping;
    }
    if (rc != 0) {
        snprintf(t->err, sizeof t->err, "step %ld: %s", t->it,
                 info->note[0] ? info->note : "failed");
        res->iterations = t->it;
        return -1;
    }
    return 0;
}

/* Steps until the last step, divergence or the time limit. Returns the
 * run's status, or -1 when a step failed. */
static int train_loop(train *t, run_result *res)
{
    for (;;) {
        int last = t->it >= t->iters;
        if (t->it % t->r->train.eval_every == 0 || last)
            if (evaluate(t, res) != 0) return GN_RUN_DIVERGED;
        if (last) return GN_RUN_OK;
        if (t->wall > t->r->train.time_limit_s) {
            stop_at_time_limit(t, res);
            return GN_RUN_TIME_LIMIT;
        }
        if (train_step(t, res) != 0) return -1;
    }
}

/* The contraction of the training loss over the trace rows (results/stats.h). */
static double loss_contraction(const train *t)
{
    double *x = malloc(sizeof(double) * (size_t)(t->n_rows + 1));
    double *y = malloc(sizeof(double) * (size_t)(t->n_rows + 1));
    double q = NAN;
    if (x && y) {
        for (long i = 0; i < t->n_rows; i++) {
            x[i] = t->rows[i].v[GN_TC_ITERATION];
            y[i] = t->rows[i].v[GN_TC_TRAIN_LOSS];
        }
        q = gn_stats_contraction(x, y, (int)t->n_rows, 1e-20 * t->loss0);
    }
    free(x);
    free(y);
    return q;
}

/* The summary of a run that ended with status, and its trace. */
static void train_finish(train *t, gn_run_status status, run_result *res)
{
    long it = t->it;
    res->iterations = it;
    res->wall_s = t->wall;
    res->eval_s = t->eval_s;
    res->best_train = t->best;
    res->loss_contraction = loss_contraction(t);
    if (it > 0) {
        qsort(t->step_times, (size_t)it, sizeof(double), cmp_double);
        res->step_s_median = it % 2 ? t->step_times[it / 2]
                                    : 0.5 * (t->step_times[it / 2 - 1] + t->step_times[it / 2]);
    }
    res->status = status;
    res->damping_raised_steps = t->raised_steps;
    if (t->raised_steps)
        snprintf(res->message, sizeof res->message,
                 "%.160s%sCholesky failed on %d steps; damping raised up to %.3g", t->err,
                 t->err[0] ? "; " : "", t->raised_steps, t->max_damping);
    else
        snprintf(res->message, sizeof res->message, "%s", t->err);
    if (gn_trace_write(t->trace_path, t->rows, t->n_rows, t->ds->n_test > 0, t->ds->n_val > 0,
                       t->classify, t->r->optim->trace_columns, t->err, sizeof t->err) != 0) {
        res->status = GN_RUN_ERROR;
        snprintf(res->message, sizeof res->message, "%s", t->err);
    }
}

/* The summary of a run whose step failed; its trace up to the failure is
 * kept for diagnosis (the run is retried on resume: its status is error). */
static void train_failed_step(train *t, run_result *res)
{
    res->wall_s = t->wall;
    res->eval_s = t->eval_s;
    res->best_train = t->best;
    res->damping_raised_steps = t->raised_steps;
    char werr[128];
    gn_trace_write(t->trace_path, t->rows, t->n_rows, t->ds->n_test > 0, t->ds->n_val > 0,
                   t->classify, t->r->optim->trace_columns, werr, sizeof werr);
}

void gn_run_train(const gn_run_spec *r, const gn_dataset *ds, const char *trace_path, int threads,
                  run_result *res)
{
    train t;
    memset(&t, 0, sizeof t);
    t.r = r;
    t.ds = ds;
    t.trace_path = trace_path;
    t.loss0 = NAN;
    t.best = INFINITY;
    info_reset(&t.info);

    gn_run_result_init(res);
    gn_blas_init(threads);
    snprintf(res->arch, sizeof res->arch, "%s", gn_blas_arch());
    t.has_target = gn_train_target(&r->train, &t.target_metric, &t.target);
    res->reached = t.has_target ? 0 : -1;
    snprintf(res->target_metric, sizeof res->target_metric, "%s",
             t.has_target ? gn_target_metric_names[t.target_metric] : "");
    res->target_value = t.has_target ? t.target : NAN;
    t.classify = gn_loss_is_classification(r->loss);

    int status = train_setup(&t, res) == 0 ? train_loop(&t, res) : -2;
    if (status >= 0) {
        train_finish(&t, (gn_run_status)status, res);
    } else {
        if (status == -1) train_failed_step(&t, res);
        res->status = GN_RUN_ERROR;
        snprintf(res->message, sizeof res->message, "%s", t.err);
    }
    if (t.opt) r->optim->destroy(t.opt);
    gn_mlp_free(&t.net);
    free(t.rows), free(t.Xb), free(t.Yb), free(t.perm), free(t.step_times);
}
