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
                "nonlinearity applied after every hidden layer"),
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
    cfg->init = hp->init == GN_INIT_UNIFORM ? GN_INIT_UNIFORM : GN_INIT_NORMAL;
    cfg->ntk = hp->parameterization == GN_PARAM_NTK;
    cfg->bias = hp->bias;
    cfg->output_scale = hp->output_scale;
    return 0;
}
