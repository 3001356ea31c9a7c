/* harness.h: the fuzz entry points, shared by the libFuzzer targets
 * (fuzz/fuzz_target.c) and the regression test (tests/test_fuzz_regress.c).
 *
 * Each function feeds one input to a parser or loader the way gnbench does
 * and returns 0 when the input was accepted, or -1 with a message in err
 * when it was refused. Inputs that loaders read from files are written to
 * a private folder (under /dev/shm when it exists) that is removed at exit.
 * A violated contract (a refusal without a message, a dataset with no rows
 * or a non-finite value) calls abort(), so libFuzzer reports it as a crash. */
#ifndef GN_FUZZ_HARNESS_H
#define GN_FUZZ_HARNESS_H

#include <stddef.h>
#include <stdint.h>

/* Input layout of the dataset targets: byte 0 holds option bits (see
 * harness.c), the rest is file content; where a loader takes two files the
 * content is split at the first form feed ('\f'). */
typedef int (*gn_fuzz_fn)(const uint8_t *data, size_t size, char *err, size_t errlen);

typedef struct gn_fuzz_target {
    const char *name; /* also the folder of its corpus: fuzz/corpus/<name>/ */
    gn_fuzz_fn fn;
} gn_fuzz_target;

/* experiment: the YAML text of an experiment file (gn_experiment_load_text). */
int gn_fuzz_experiment(const uint8_t *data, size_t size, char *err, size_t errlen);
/* csv_table: a CSV file (gn_table_read). */
int gn_fuzz_csv_table(const uint8_t *data, size_t size, char *err, size_t errlen);
/* csv_dataset: options, train CSV [\f test CSV] (dataset csv). */
int gn_fuzz_csv_dataset(const uint8_t *data, size_t size, char *err, size_t errlen);
/* idx: options, 2 bytes little-endian label-file length, the label file,
 * the image file (dataset fashion-mnist; raw or gzip'd IDX). */
int gn_fuzz_idx(const uint8_t *data, size_t size, char *err, size_t errlen);
/* fann: options, .train file [\f .test file] (dataset fann:<set>). */
int gn_fuzz_fann(const uint8_t *data, size_t size, char *err, size_t errlen);
/* sklearn: options, data file [\f target file] (datasets digits, diabetes). */
int gn_fuzz_sklearn(const uint8_t *data, size_t size, char *err, size_t errlen);

/* Every target, ending with {NULL, NULL}. */
extern const gn_fuzz_target gn_fuzz_targets[];

#endif
