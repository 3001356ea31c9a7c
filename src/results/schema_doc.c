/* schema_doc.c: what every column of runs.csv and of a trace, and every
 * key of manifest.csv, holds, with its unit (schema.h). `gnbench list
 * columns` prints these tables as docs/RESULTS.md; tests/test_schema.c
 * checks that every column of the schema and of every optimizer has an
 * entry here and that every entry names a column. */
#include "results/schema.h"

#include <string.h>

const char gn_schema_wall_doc[] =
    "`wall_s` (in runs.csv and in a trace) is optimizer time: the sum, over the run's steps, "
    "of the time the optimizer's step call took (its forward and backward passes, curvature, "
    "solve and update). It excludes the evaluations of the whole training, validation and "
    "test sets (the trace rows; their time is eval_s), choosing and copying the mini-batches, "
    "loading the dataset, building "
    "the model, writing the trace and starting the run's process. `train.time_limit_s`, "
    "`time_to_target_s` and `step_s_median` are measured on the same clock.";

const char gn_schema_settings_doc[] =
    "Between the key columns and the result columns, runs.csv has one column per setting of "
    "the experiment's grid, named as in the experiment file: `dataset.*`, `model.*`, "
    "`train.*`, `loss` and `opt.*` (an optimizer's hyperparameter; empty for the runs of "
    "optimizers that do not have it). Each holds the value the run used, with its default "
    "filled in; `train.batch` is the batch the run stepped on. `gnbench list` gives the "
    "meaning, default and range of every setting.";

const gn_column_doc gn_runs_docs[] = {
    {"run_id", "",
     "The run's identity: optimizer, seed and a hash of its settings; its trace "
     "is traces/<run_id>.csv."},
    {"status", "",
     "How the run ended: ok, diverged, time_limit or error (an error run is redone "
     "on resume)."},
    {"optimizer", "", "The optimizer's name (`gnbench list optimizers`)."},
    {"label", "",
     "The `label:` of the optimizers: entry that made the run; empty when it has none. "
     "Summaries and protocol selections treat each label (else each optimizer) as one "
     "method, so two entries of one optimizer (ngd with the empirical and with the true "
     "Fisher, say) are tuned and reported apart."},
    {"seed", "",
     "The seed of the initial parameters and of the batch order: runs with the same "
     "seed start from the same parameters and see the same batches."},
    {"phase", "",
     "What the run is for: grid (a point of the experiment's grid), tune (a trial of a tuning "
     "study) or confirm (a study's chosen configuration rerun on a confirmation seed)."},
    {"study", "",
     "The tuning study (from 0) of a tune or confirm run; empty for grid runs. A configuration "
     "two studies both chose is run once, under the first."},
    {"trial", "", "The trial (from 0) within its study, for tune runs; empty otherwise."},
    {"config_id", "",
     "The configuration: the optimizer and the hash of every setting but the seed, so the "
     "seeds of one configuration share it (the digits of run_id)."},
    {"iterations", "steps", "Optimizer steps taken."},
    {"wall_s", "s", "Optimizer time of the whole run (what it includes: see below)."},
    {"step_s_median", "s", "Median time of one optimizer step."},
    {"eval_s", "s",
     "Time spent evaluating the whole training, validation and test sets (the trace rows); "
     "not part of wall_s."},
    {"final_train_loss", "loss",
     "Loss on the whole training set at the last evaluation (`nan` when it was not finite)."},
    {"final_test_loss", "loss",
     "Loss on the test set at the last evaluation; empty without a test set."},
    {"final_test_accuracy", "fraction",
     "Fraction of the test set classified correctly at the last evaluation; empty for "
     "regression losses or without a test set. Softmax cross-entropy (xent): the arg-max "
     "output is the label's class. Sigmoid cross-entropy (bxent): the fraction of outputs "
     "whose sign agrees with the target's side of 0.5, averaged over the samples (for an "
     "autoencoder, pixels reconstructed on the right side of grey). The other accuracy "
     "columns count the same way."},
    {"best_train_loss", "loss", "Lowest training loss over the run's evaluations."},
    {"loss_contraction", "per step",
     "The training loss's contraction per step: exp of the least-squares slope of "
     "log(train_loss) against iteration over the evaluations, up to the first whose loss is "
     "below 1e-20 times the initial one (rounding level); q for a loss falling like q^k, 1 for "
     "a flat one; empty with fewer than two such evaluations."},
    {"final_val_loss", "loss",
     "Loss on the validation set (dataset.validation) at the last evaluation; empty without "
     "one."},
    {"final_val_accuracy", "fraction",
     "Fraction of the validation set classified correctly at the last evaluation; empty for "
     "regression losses or without a validation set."},
    {"best_val_loss", "loss", "Lowest validation loss over the run's evaluations."},
    {"target_metric", "",
     "What the run's target is a value of (train.target_metric: train_loss, val_loss, "
     "val_accuracy, train_accuracy); empty without a target."},
    {"target_value", "", "The target (train.target, or train.target_loss); empty without one."},
    {"reached", "",
     "true when an evaluation reached the target (at most the value for a loss, at least it "
     "for an accuracy), false when none did; empty without a target. A run that reached it "
     "and diverged later still reached it."},
    {"time_to_target_s", "s",
     "Optimizer time (as wall_s) at the first evaluation that reached the target; empty when "
     "not reached or without a target."},
    {"iterations_to_target", "steps",
     "Steps taken at that evaluation; empty when not reached or without a target."},
    {"peak_rss_mib", "MiB", "Peak resident memory of the run's own process (getrusage)."},
    {"kernel_lambda_min_init", "",
     "Smallest eigenvalue of the curvature matrix K (the Gram matrix, or the Woodbury matrix "
     "for sgn and ngd) at the optimizer's first step; empty when the optimizer forms none or "
     "skips the estimate (for a large K)."},
    {"kernel_cond_init", "",
     "Condition number (largest over smallest eigenvalue) of the same matrix; empty likewise."},
    {"rejected_steps", "trial steps",
     "Trial steps rejected over the run (lm with schedule nielsen); 0 for the others."},
    {"damping_raised_steps", "steps",
     "Steps whose Cholesky factorization failed and whose damping was raised until it "
     "succeeded (the trace's damping column has the value used)."},
    {"dataset_identity", "",
     "The dataset's identity: its kind and options, and its source files' checksums or "
     "its generator's version and seed."},
    {"message", "",
     "Why the run stopped, failed or recovered (e.g. the time limit, the "
     "divergence, the signal of a crash); empty when there is nothing to say."},
    {NULL, NULL, NULL},
};

const gn_column_doc gn_trace_docs[] = {
    {"iteration", "steps", "Optimizer steps taken before this evaluation (0: the initial point)."},
    {"epoch", "passes",
     "Passes over the training set so far, a real number (samples / n_train: "
     "0.5 is half an epoch)."},
    {"samples", "samples", "Training samples the steps have used so far (steps times the batch)."},
    {"wall_s", "s", "Optimizer time so far (the same clock as runs.csv's wall_s)."},
    {"train_loss", "loss",
     "Loss on the whole training set at this point (`nan` when it is not finite)."},
    {"test_loss", "loss", "Loss on the test set at this point; empty without a test set."},
    {"train_accuracy", "fraction",
     "Fraction of the training set classified correctly (classification losses only)."},
    {"test_accuracy", "fraction",
     "Fraction of the test set classified correctly (classification losses only; empty "
     "without a test set)."},
    {"val_loss", "loss",
     "Loss on the validation set at this point (runs with dataset.validation only)."},
    {"val_accuracy", "fraction",
     "Fraction of the validation set classified correctly (classification losses with "
     "dataset.validation only)."},
    {"batch_loss", "loss", "Loss on the last step's mini-batch, before that step."},
    {"grad_norm", "", "Euclidean norm of the gradient on the last step's batch."},
    {"step_norm", "", "Euclidean norm of the last step's parameter update."},
    {"lr", "", "Step size of the last step (the optimizer's lr times train.lr_schedule's factor)."},
    {"damping", "",
     "Damping of the last step's curvature solve (after any raise); empty for "
     "first-order optimizers."},
    {"gain_ratio", "",
     "Actual over predicted decrease of the loss in the last step (lm, sgn, "
     "ngd); empty for the others."},
    {"t_forward", "s", "Time of the last step's forward pass."},
    {"t_curvature", "s", "Time of the last step's curvature (Gram or Woodbury matrix)."},
    {"t_solve", "s", "Time of the last step's linear solve."},
    {"t_backward", "s", "Time of the last step's backward pass and update."},
    {"prev_train_loss", "loss",
     "train_loss of the previous evaluation (empty on the first row): the x axis of a "
     "local-order figure."},
    {"dual_objective", "", "Objective of the inner dual problem at its solution."},
    {"dual_gap", "", "Duality gap of the inner solve."},
    {"inner_iters", "iterations", "Iterations of the inner solver in the last step."},
    {"rejected", "trial steps", "Trial steps rejected within the last step."},
    {NULL, NULL, NULL},
};

const gn_column_doc gn_manifest_docs[] = {
    {"gnbench_version", "", "Version of the gnbench program."},
    {"git_revision", "", "Git revision it was built from."},
    {"command_line", "", "The command line of the sweep."},
    {"experiment", "", "The experiment's name."},
    {"experiment_file", "", "The experiment file as given."},
    {"quick", "", "true when the sweep ran with --quick."},
    {"start_time", "", "When the sweep started (ISO 8601, UTC)."},
    {"end_time", "", "When it ended."},
    {"host", "", "Host name of the machine."},
    {"cpu_model", "", "CPU model (/proc/cpuinfo)."},
    {"cores", "cores", "Cores this process could run on."},
    {"blis_version", "", "BLIS library version."},
    {"blis_arch", "", "BLIS kernel architecture in use."},
    {"blis_arch_source", "",
     "How it was chosen: env BLIS_ARCH_TYPE=..., cpu-flags (by gnbench) or blis-default."},
    {"blis_arch_for_cpu_flags", "", "The architecture the CPU's flags call for."},
    {"vector_math", "", "libmvec variant the activations use (GNBENCH_VMATH chooses another)."},
    {"blas_threads", "threads", "BLAS threads per run (a range under MPI)."},
    {"jobs", "runs", "Runs at a time (--jobs)."},
    {"oversubscribed", "",
     "true when jobs times BLAS threads exceeds the cores: step times are then not trustworthy."},
    {"shard", "", "K/N: the shard of the grid this folder's run computed (--shard)."},
    {"shard_runs", "runs", "Runs in that shard."},
    {"shard_cost_share", "fraction", "That shard's share of the grid's estimated cost."},
    {"mpi_library", "", "MPI library version (MPI runs)."},
    {"mpi_ranks", "ranks", "MPI ranks."},
    {"mpi_scheduler", "", "How the ranks share the runs."},
    {"mpi_node_N", "", "Node N: its host, ranks, cores per rank and BLAS threads."},
    {"mpi_nodes", "nodes", "Nodes the ranks ran on."},
    {"compiler", "", "Compiler gnbench was built with."},
    {"cflags", "", "Its flags and build type."},
    {"protocol_select", "",
     "Protocol experiments: how a study's best trial is chosen (time_to_target, "
     "final_val_loss or best_val_loss; docs/SUMMARY.md)."},
    {"protocol_trials", "trials", "The default trials per study of every optimizer entry."},
    {"protocol_studies", "studies", "Independent tuning studies per optimizer entry."},
    {"protocol_confirm_seeds", "seeds", "Seeds each study's chosen configuration is rerun on."},
    {"protocol_seed", "", "Seed of the quasi-random trial sampler."},
    {"protocol_baselines", "", "The optimizers speed-ups are measured against."},
    {"target_metric", "", "The metric of the experiment's target (train.target_metric)."},
    {"target_value", "", "The target's value."},
    {"target_source", "",
     "given: the target was written in the experiment file; auto: the tuned baselines set it "
     "(protocol.target: auto; empty target_value until their confirmation runs are done)."},
    {"trials_NAME", "trials",
     "The trials per study of the optimizers: entry named NAME (its label, else its "
     "optimizer): a grid's size, the entry's own trials: (said so) or protocol.trials."},
    {"runs_total", "runs",
     "Runs in the grid (with a protocol: the trials and the confirmation "
     "runs known so far)."},
    {"runs_finished", "runs", "Runs finished (ok, diverged or time_limit)."},
    {"dataset_identity", "", "The dataset's identity (as in runs.csv)."},
    {"dataset_identity_N", "", "Dataset N's identity, when the grid has several."},
    {"merge_runs_present", "runs", "merge: runs with a row, of the runs of the grid."},
    {"merge_time", "", "merge: when the tables were merged."},
    {"merge_command_line", "", "merge: its command line."},
    {"merge_tables", "", "merge: the tables merged."},
    {"shard_K_of_N", "", "merge: where and when shard K of N ran."},
    {NULL, NULL, NULL},
};

const gn_column_doc *gn_schema_doc(const gn_column_doc *docs, const char *name)
{
    for (; docs->name; docs++)
        if (strcmp(docs->name, name) == 0) return docs;
    return NULL;
}
