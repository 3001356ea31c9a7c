/* data_check.c: gn_experiment_check_data, what only the data can tell
 * about a grid (experiment.h): each distinct dataset is loaded once, and
 * its errors, like a train.batch larger than its training set, are
 * reported with the line and key of the setting that led to them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exp/experiment.h"

/* "FILE:LINE: KEY: " for setting key of run r; a key left at its default
 * points at dataset.name's line (else the dataset: key's). */
static void where(const gn_experiment *ex, const gn_run_spec *r, const char *key, char *buf,
                  size_t len)
{
    const gn_key_line *k = gn_experiment_key_line(ex, r, key);
    if (k) {
        snprintf(buf, len, "%s:%d: %s: ", ex->path, k->line, k->path);
        return;
    }
    k = gn_experiment_key_line(ex, r, "dataset.name");
    snprintf(buf, len, "%s:%d: %s: ", ex->path, k ? k->line : ex->dataset_line, key);
}

/* The message of a failed load of run r's dataset: the setting it is
 * about, then the loader's message without the key it already names. */
static void dataset_error(const gn_experiment *ex, const gn_run_spec *r, const char *msg, char *err,
                          size_t errlen)
{
    char key[96], head[512], tail[120];
    snprintf(key, sizeof key, "dataset.%s", gn_dataset_error_key(&r->dataset, &r->request, msg));
    where(ex, r, key, head, sizeof head);
    size_t nk = strlen(key);
    if (strncmp(msg, key, nk) == 0 && msg[nk] == ':' && msg[nk + 1] == ' ')
        msg += nk + 2;
    else if (strncmp(msg, key, nk) == 0 && strncmp(msg + nk, " = ", 3) == 0)
        msg += nk + 3;
    snprintf(tail, sizeof tail, " (%s)", key);
    size_t nm = strlen(msg), nt = strlen(tail);
    int cut = nm > nt && strcmp(msg + nm - nt, tail) == 0 ? (int)(nm - nt) : (int)nm;
    snprintf(err, errlen, "%s%.*s", head, cut, msg);
}

/* The runs of the dataset ds (key dkey) ask for no more than it holds. */
static int check_runs(const gn_experiment *ex, const char *dkey, const gn_dataset *ds, char *err,
                      size_t errlen)
{
    for (int i = 0; i < ex->n_runs; i++) {
        const gn_run_spec *r = &ex->runs[i];
        if (strcmp(r->dataset_key, dkey) != 0) continue;
        if (r->optim->full_batch || r->train.batch <= ds->n_train) continue;
        char head[512];
        where(ex, r, "train.batch", head, sizeof head);
        snprintf(err, errlen,
                 "%s%ld is larger than the training set of dataset %s (%d samples); give at most "
                 "%d, or leave batch out to use the whole set",
                 head, r->train.batch, r->dataset.name, ds->n_train, ds->n_train);
        return -1;
    }
    return 0;
}

int gn_experiment_check_dataset(const gn_experiment *ex, const gn_run_spec *r, const gn_dataset *ds,
                                const char *load_msg, char *err, size_t errlen)
{
    if (!ds) {
        dataset_error(ex, r, load_msg ? load_msg : "", err, errlen);
        return -1;
    }
    return check_runs(ex, r->dataset_key, ds, err, errlen);
}

int gn_experiment_check_data(const gn_experiment *ex, char *err, size_t errlen)
{
    const char **seen = calloc((size_t)ex->n_runs + 1, sizeof *seen);
    int n_seen = 0, rc = 0;
    if (!seen) {
        snprintf(err, errlen, "%s: out of memory", ex->path);
        return -1;
    }
    for (int i = 0; i < ex->n_runs && rc == 0; i++) {
        const gn_run_spec *r = &ex->runs[i];
        int k = 0;
        while (k < n_seen && strcmp(seen[k], r->dataset_key) != 0)
            k++;
        if (k < n_seen) continue;
        seen[n_seen++] = r->dataset_key;
        gn_dataset ds;
        char msg[1024];
        if (gn_dataset_load(&r->dataset, &r->request, &ds, msg, sizeof msg) != 0) {
            rc = gn_experiment_check_dataset(ex, r, NULL, msg, err, errlen);
            break;
        }
        rc = gn_experiment_check_dataset(ex, r, &ds, NULL, err, errlen);
        gn_dataset_free(&ds);
    }
    free(seen);
    return rc;
}
