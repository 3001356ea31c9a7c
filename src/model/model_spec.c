/* model_spec.c: see model_spec.h. */
#include "model/model_spec.h"

#include <stdio.h>
#include <string.h>

#define DEPTH_MAX 30
#define WIDTH_MAX 1e6

const gn_param gn_model_params[] = {
    GN_P_INT(gn_model_hparams, depth, "1", 0, DEPTH_MAX,
             "number of hidden layers (0 = a linear model)"),
    GN_P_INT(gn_model_hparams, width, "256", 1, WIDTH_MAX, "units in each hidden layer"),
    GN_P_CHOICE(gn_model_hparams, activation, "tanh", "relu|tanh|sigmoid|softplus|gelu|identity",
                "nonlinearity applied after every hidden layer (unless activations is given)"),
    GN_P_CHOICE(gn_model_hparams, parameterization, "ntk", "ntk|standard",
                "ntk: weights scaled by 1/sqrt(fan-in) in the forward pass (drawn with unit "
                "variance by init normal); standard: unscaled (variance 1/fan-in by init normal)"),
    GN_P_REAL(gn_model_hparams, output_scale, "1", 1e-12, 1e12,
              "factor multiplying the network output"),
    GN_P_BOOL(gn_model_hparams, bias, "true", "give every layer a bias vector"),
    GN_P_STRING(gn_model_hparams, hidden,
                "hidden layer widths joined by '-', e.g. 1000-500-250; replaces depth and width"),
    GN_P_CHOICE(
        gn_model_hparams, init, NULL, "normal|uniform",
        "initial parameters: normal (absent): ntk W ~ N(0, 1), standard W ~ N(0, 1/fan-in), "
        "biases 0; uniform (PyTorch's nn.Linear): standard W ~ U(+-1/sqrt(fan-in)), ntk "
        "W ~ U(+-1) (the same initial network), biases U(+-1/sqrt(fan-in))"),
    GN_P_STRING(gn_model_hparams, activations,
                "one activation per hidden layer joined by '-', e.g. "
                "sigmoid-sigmoid-identity-sigmoid-sigmoid for a linear code layer; replaces "
                "activation"),
    GN_P_END,
};

_Static_assert(DEPTH_MAX + 1 <= GN_MAX_LAYERS, "the deepest model must fit GN_MAX_LAYERS");

int gn_model_hidden_parse(const char *s, int *widths, int max)
{
    int layers = 0;
    if (!s) return -1;
    for (;;) {
        if (*s < '0' || *s > '9') return -1;
        double w = 0;
        while (*s >= '0' && *s <= '9' && w <= WIDTH_MAX)
            w = 10 * w + (*s++ - '0');
        if (w < 1 || w > WIDTH_MAX || layers >= DEPTH_MAX || layers >= max) return -1;
        widths[layers++] = (int)w;
        if (*s == '\0') return layers;
        if (*s++ != '-') return -1;
    }
}

int gn_model_acts_parse(const char *s, gn_act *acts, int max, char *why, size_t whylen)
{
    char name[32];
    int n = 0;
    if (!why) why = name, whylen = 0;
    for (;;) {
        size_t len = strcspn(s, "-");
        if (n >= max) {
            snprintf(why, whylen, "more than %d activations", max);
            return -1;
        }
        snprintf(name, sizeof name, "%.*s", (int)len, s);
        if (len >= sizeof name || gn_act_parse(name, &acts[n]) != 0) {
            snprintf(why, whylen,
                     "unknown activation \"%.*s\"; expected names from %s joined by '-'", (int)len,
                     s, gn_param_find(gn_model_params, "activation")->choices);
            return -1;
        }
        n++;
        if (s[len] == '\0') return n;
        s += len + 1;
    }
}

int gn_model_hidden_count(const gn_model_hparams *hp)
{
    int widths[GN_MAX_LAYERS];
    if (hp->hidden && *hp->hidden) return gn_model_hidden_parse(hp->hidden, widths, GN_MAX_LAYERS);
    return hp->depth >= 0 && hp->depth <= DEPTH_MAX ? (int)hp->depth : -1;
}

int gn_model_check(const gn_model_hparams *hp, char *err, size_t errlen)
{
    gn_act acts[GN_MAX_LAYERS];
    if (!hp->activations) return 0;
    int n = gn_model_acts_parse(hp->activations, acts, GN_MAX_LAYERS, err, errlen);
    if (n < 0) return -1;
    int hidden = gn_model_hidden_count(hp);
    if (hidden >= 0 && n != hidden) {
        snprintf(err, errlen,
                 "gives %d activation%s for %d hidden layer%s; give one per hidden layer", n,
                 n == 1 ? "" : "s", hidden, hidden == 1 ? "" : "s");
        return -1;
    }
    return 0;
}

int gn_model_config(const gn_model_hparams *hp, int d, int c, gn_mlp_config *cfg, char *err,
                    size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    int widths[GN_MAX_LAYERS], n_hidden;
    if (hp->hidden && *hp->hidden) {
        n_hidden = gn_model_hidden_parse(hp->hidden, widths, GN_MAX_LAYERS - 1);
        if (n_hidden < 0) {
            snprintf(err, errlen, "model.hidden: bad layer list \"%s\"", hp->hidden);
            return -1;
        }
    } else {
        if (hp->depth < 0 || hp->depth > DEPTH_MAX || hp->width < 1 || hp->width > WIDTH_MAX) {
            snprintf(err, errlen, "model: depth %ld or width %ld out of range", hp->depth,
                     hp->width);
            return -1;
        }
        n_hidden = (int)hp->depth;
        for (int l = 0; l < n_hidden; l++)
            widths[l] = (int)hp->width;
    }
    cfg->sizes[0] = d;
    for (int l = 0; l < n_hidden; l++)
        cfg->sizes[l + 1] = widths[l];
    cfg->sizes[n_hidden + 1] = c;
    cfg->n_layers = n_hidden + 1;
    if (hp->activation < 0 || hp->activation >= GN_ACT_COUNT) {
        snprintf(err, errlen, "model.activation: no such activation (%d)", hp->activation);
        return -1;
    }
    cfg->act = (gn_act)hp->activation;
    if (hp->activations) {
        char why[160];
        int n = gn_model_acts_parse(hp->activations, cfg->acts + 1, GN_MAX_LAYERS, why, sizeof why);
        if (n < 0 || n != n_hidden) {
            snprintf(err, errlen, "model.activations: %s",
                     n < 0 ? why : "needs one activation per hidden layer");
            return -1;
        }
        cfg->layer_acts = 1;
    }
    cfg->init = hp->init == GN_INIT_UNIFORM ? GN_INIT_UNIFORM : GN_INIT_NORMAL;
    cfg->ntk = hp->parameterization == GN_PARAM_NTK;
    cfg->bias = hp->bias;
    cfg->output_scale = hp->output_scale;
    return 0;
}
