/* model_spec.h: the `model:` section of an experiment, typed.
 *
 * gn_model_params is the section's table (`gnbench list`, validation) and
 * binds into gn_model_hparams; gn_model_config turns the bound settings and
 * the dataset's input and output sizes into the network configuration. The
 * layer list of `hidden` has one grammar, gn_model_hidden_parse, used both
 * to validate the file and to build the network. */
#ifndef GN_MODEL_SPEC_H
#define GN_MODEL_SPEC_H

#include <stddef.h>

#include "model/mlp.h"
#include "core/params.h"

enum { GN_PARAM_NTK, GN_PARAM_STANDARD }; /* the order of "ntk|standard" */

typedef struct gn_model_hparams {
    long depth, width;
    int activation;       /* gn_act: the choices are listed in gn_act order */
    int parameterization; /* GN_PARAM_NTK or GN_PARAM_STANDARD */
    double output_scale;
    int bias;
    const char *hidden; /* "1000-500-250", or NULL: depth layers of width */
    int init;           /* gn_init (the choices in gn_init order); -1 (absent): normal */
} gn_model_hparams;

extern const gn_param gn_model_params[];

/* Widths of `hidden` ("1000-500-250"): digits only, each width within the
 * table's width range, at most the table's maximum depth of layers. Writes
 * them to widths (at most max) and returns their number, or -1. */
int gn_model_hidden_parse(const char *hidden, int *widths, int max);

/* The network for d inputs and c outputs. Returns 0, or -1 with a message. */
int gn_model_config(const gn_model_hparams *hp, int d, int c, gn_mlp_config *cfg, char *err,
                    size_t errlen);

#endif
