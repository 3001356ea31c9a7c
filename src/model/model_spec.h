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
    const char *hidden;      /* "1000-500-250", or NULL: depth layers of width */
    int init;                /* gn_init (the choices in gn_init order); -1 (absent): normal */
    const char *activations; /* "sigmoid-identity", one per hidden layer, or NULL */
} gn_model_hparams;

extern const gn_param gn_model_params[];

/* Widths of `hidden` ("1000-500-250"): digits only, each width within the
 * table's width range, at most the table's maximum depth of layers. Writes
 * them to widths (at most max) and returns their number, or -1. */
int gn_model_hidden_parse(const char *hidden, int *widths, int max);

/* Activations of `activations` ("sigmoid-identity-sigmoid"): names of
 * gn_act_names joined by '-', at most max of them. Writes them to acts and
 * returns their number; or -1 with what was wrong in why (may be NULL). */
int gn_model_acts_parse(const char *activations, gn_act *acts, int max, char *why, size_t whylen);

/* The number of hidden layers of the bound settings (hidden, else depth),
 * or -1 when they are out of range. */
int gn_model_hidden_count(const gn_model_hparams *hp);

/* The checks that need more than one setting: activations must name one
 * activation per hidden layer. Returns 0, or -1 with a message (without the
 * key) in err. */
int gn_model_check(const gn_model_hparams *hp, char *err, size_t errlen);

/* The network for d inputs and c outputs. Returns 0, or -1 with a message. */
int gn_model_config(const gn_model_hparams *hp, int d, int c, gn_mlp_config *cfg, char *err,
                    size_t errlen);

#endif
