/* test_params.c: parameter tables (lookup, validation, description) and
 * resolved settings. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "data/dataset.h"
#include "exp/experiment.h"
#include "model/model_spec.h"
#include "optim/optim.h"
#include "core/params.h"
#include "exp/train.h"

typedef struct bound {
    double lr, epochs;
    long width;
    int bias, act;
    const char *path, *cols;
} bound;

static const gn_param table[] = {
    GN_P_REAL(bound, lr, "0.1", 0, 1e6, "learning rate"),
    GN_P_REAL(bound, epochs, NULL, GN_PARAM_POSITIVE, 1e6, "passes over the data"),
    GN_P_INT(bound, width, "256", 1, 1e6, "units per layer"),
    GN_P_BOOL(bound, bias, "true", "use biases"),
    GN_P_CHOICE(bound, act, "tanh", "relu|tanh|gelu", "activation"),
    GN_P_STRING(bound, path, "a file"),
    GN_P_LIST(bound, cols, "column names"),
    GN_P_END,
};

static const gn_param *P(const char *name)
{
    const gn_param *p = gn_param_find(table, name);
    cr_assert_not_null(p, "%s", name);
    return p;
}

static int ok(const char *name, const char *text)
{
    char why[256];
    return gn_param_check(P(name), text, why, sizeof why) == 0;
}

Test(params, find_returns_entry_or_null)
{
    cr_expect_eq(gn_param_find(table, "width"), &table[2]);
    cr_expect_null(gn_param_find(table, "widht"));
    cr_expect_null(gn_param_find(table, ""));
}

Test(params, real_accepts_values_in_range)
{
    cr_expect(ok("lr", "0"));
    cr_expect(ok("lr", "0.5"));
    cr_expect(ok("lr", "1e6"));
    cr_expect(ok("lr", "1.0e-6"));
    cr_expect(ok("lr", ".25"));
}

Test(params, real_rejects_garbage_and_non_finite)
{
    cr_expect_not(ok("lr", ""));
    cr_expect_not(ok("lr", "fast"));
    cr_expect_not(ok("lr", "0.1x"));
    cr_expect_not(ok("lr", " 0.1"));
    cr_expect_not(ok("lr", "nan"));
    cr_expect_not(ok("lr", "inf"));
    cr_expect_not(ok("lr", "1e999"));
}

Test(params, real_rejects_out_of_range)
{
    cr_expect_not(ok("lr", "-0.1"));
    cr_expect_not(ok("lr", "1000001"));
}

Test(params, positive_min_excludes_zero)
{
    cr_expect_not(ok("epochs", "0"));
    cr_expect_not(ok("epochs", "-1"));
    cr_expect(ok("epochs", "1e-300"));
    cr_expect(ok("epochs", "3"));
}

Test(params, int_accepts_plain_integers)
{
    cr_expect(ok("width", "1"));
    cr_expect(ok("width", "4096"));
    cr_expect(ok("width", "+64"));
    cr_expect(ok("width", "1000000"));
}

Test(params, int_rejects_exponents_fractions_and_overflow)
{
    cr_expect_not(ok("width", "1e3"));
    cr_expect_not(ok("width", "64.0"));
    cr_expect_not(ok("width", "0x40"));
    cr_expect_not(ok("width", ""));
    cr_expect_not(ok("width", "-"));
    cr_expect_not(ok("width", "99999999999999999999999"));
}

Test(params, int_rejects_out_of_range)
{
    cr_expect_not(ok("width", "0"));
    cr_expect_not(ok("width", "1000001"));
    cr_expect_not(ok("width", "-5"));
}

Test(params, bool_accepts_only_true_and_false)
{
    cr_expect(ok("bias", "true"));
    cr_expect(ok("bias", "false"));
    cr_expect_not(ok("bias", "yes"));
    cr_expect_not(ok("bias", "True"));
    cr_expect_not(ok("bias", "1"));
}

Test(params, choice_accepts_only_listed_values)
{
    cr_expect(ok("act", "relu"));
    cr_expect(ok("act", "gelu"));
    cr_expect_not(ok("act", "rel"));
    cr_expect_not(ok("act", "relu|tanh"));
    cr_expect_not(ok("act", ""));
}

Test(params, string_and_list_accept_any_text)
{
    cr_expect(ok("path", "data/train.csv"));
    cr_expect(ok("path", ""));
    cr_expect(ok("cols", "a;b"));
}

Test(params, why_states_the_expected_values)
{
    char why[256];
    cr_assert_neq(gn_param_check(P("width"), "wide", why, sizeof why), 0);
    cr_expect_str_eq(why, "an integer in [1, 1000000]");
    cr_assert_neq(gn_param_check(P("lr"), "-1", why, sizeof why), 0);
    cr_expect_str_eq(why, "a real number in [0, 1e6]");
    cr_assert_neq(gn_param_check(P("epochs"), "0", why, sizeof why), 0);
    cr_expect_str_eq(why, "a real number in (0, 1e6]");
    cr_assert_neq(gn_param_check(P("bias"), "yes", why, sizeof why), 0);
    cr_expect_str_eq(why, "true or false");
    cr_assert_neq(gn_param_check(P("act"), "swish", why, sizeof why), 0);
    cr_expect_str_eq(why, "one of relu, tanh or gelu");
}

Test(params, why_never_overflows_a_small_buffer)
{
    char why[8];
    cr_expect_neq(gn_param_check(P("act"), "swish", why, sizeof why), 0);
    cr_expect_lt(strlen(why), sizeof why);
}

Test(params, describe_is_short_and_typed)
{
    char buf[128];
    gn_param_describe(P("width"), buf, sizeof buf);
    cr_expect_str_eq(buf, "integer in [1, 1000000]");
    gn_param_describe(P("lr"), buf, sizeof buf);
    cr_expect_str_eq(buf, "real in [0, 1e6]");
    gn_param_describe(P("epochs"), buf, sizeof buf);
    cr_expect_str_eq(buf, "real in (0, 1e6]");
    gn_param_describe(P("bias"), buf, sizeof buf);
    cr_expect_str_eq(buf, "true|false");
    gn_param_describe(P("act"), buf, sizeof buf);
    cr_expect_str_eq(buf, "relu|tanh|gelu");
    gn_param_describe(P("path"), buf, sizeof buf);
    cr_expect_str_eq(buf, "text");
}

/* Every registered table: a doc sentence, and a default that passes its own check. */
static void check_table(const char *what, const gn_param *t)
{
    char why[256];
    for (int i = 0; t[i].name; i++) {
        cr_expect(t[i].doc && *t[i].doc, "%s.%s has no doc", what, t[i].name);
        if (t[i].def)
            cr_expect_eq(gn_param_check(&t[i], t[i].def, why, sizeof why), 0,
                         "%s.%s default \"%s\": expected %s", what, t[i].name, t[i].def, why);
        if (t[i].type == GN_PARAM_INT || t[i].type == GN_PARAM_REAL)
            cr_expect_leq(t[i].min, t[i].max, "%s.%s range", what, t[i].name);
        if (t[i].type == GN_PARAM_CHOICE) cr_expect_not_null(t[i].choices);
    }
}

Test(params, every_registered_table_is_documented_with_valid_defaults)
{
    check_table("model", gn_model_params);
    check_table("train", gn_train_params);
    for (int i = 0; gn_dataset_kinds[i].name; i++)
        check_table(gn_dataset_kinds[i].name, gn_dataset_kinds[i].params);
    for (int i = 0; gn_optimizers[i]; i++)
        check_table(gn_optimizers[i]->name, gn_optimizers[i]->params);
}

Test(params, settings_set_adds_keys_in_insertion_order)
{
    gn_settings s;
    gn_settings_init(&s);
    cr_assert_eq(gn_settings_set(&s, "model.width", "64"), 0);
    cr_assert_eq(gn_settings_set(&s, "dataset.name", "teacher"), 0);
    cr_assert_eq(gn_settings_set(&s, "opt.lr", "0.1"), 0);
    cr_assert_eq(s.n, 3);
    cr_expect_str_eq(s.v[0].key, "model.width");
    cr_expect_str_eq(s.v[1].key, "dataset.name");
    cr_expect_str_eq(s.v[2].key, "opt.lr");
    gn_settings_free(&s);
}

Test(params, settings_set_replaces_an_existing_key_in_place)
{
    gn_settings s;
    gn_settings_init(&s);
    gn_settings_set(&s, "a", "1");
    gn_settings_set(&s, "b", "2");
    gn_settings_set(&s, "a", "3");
    cr_assert_eq(s.n, 2);
    cr_expect_str_eq(s.v[0].key, "a");
    cr_expect_str_eq(s.v[0].value, "3");
    gn_settings_free(&s);
}

Test(params, settings_get_returns_null_when_absent)
{
    gn_settings s;
    gn_settings_init(&s);
    cr_expect_null(gn_settings_get(&s, "x"));
    gn_settings_set(&s, "x", "y");
    cr_expect_str_eq(gn_settings_get(&s, "x"), "y");
    cr_expect_null(gn_settings_get(&s, "x.y"));
    gn_settings_free(&s);
}

Test(params, settings_copy_is_deep)
{
    gn_settings a, b;
    gn_settings_init(&a);
    gn_settings_set(&a, "k", "v");
    cr_assert_eq(gn_settings_copy(&b, &a), 0);
    gn_settings_set(&a, "k", "changed");
    cr_expect_str_eq(gn_settings_get(&b, "k"), "v");
    gn_settings_free(&a);
    cr_expect_str_eq(gn_settings_get(&b, "k"), "v");
    gn_settings_free(&b);
}

Test(params, settings_unset_removes_and_keeps_order)
{
    gn_settings s;
    gn_settings_init(&s);
    gn_settings_set(&s, "a", "1");
    gn_settings_set(&s, "b", "2");
    gn_settings_set(&s, "c", "3");
    gn_settings_unset(&s, "b");
    gn_settings_unset(&s, "absent");
    cr_assert_eq(s.n, 2);
    cr_expect_str_eq(s.v[0].key, "a");
    cr_expect_str_eq(s.v[1].key, "c");
    gn_settings_free(&s);
}

Test(params, settings_free_leaves_an_empty_reusable_list)
{
    gn_settings s;
    gn_settings_init(&s);
    for (int i = 0; i < 100; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        gn_settings_set(&s, k, "v");
    }
    gn_settings_free(&s);
    cr_expect_eq(s.n, 0);
    cr_expect_null(s.v);
    gn_settings_set(&s, "again", "1");
    cr_expect_eq(s.n, 1);
    gn_settings_free(&s);
    gn_settings_free(&s);
}

/* ---- binding into typed structs ---- */

Test(params, bind_fills_every_field_from_text_or_the_table_default)
{
    gn_settings s;
    gn_settings_init(&s);
    gn_settings_set(&s, "x.lr", "0.25");
    gn_settings_set(&s, "x.act", "gelu");
    gn_settings_set(&s, "x.cols", "a;b");
    gn_settings_set(&s, "y.width", "7"); /* another prefix: not ours */
    bound b;
    memset(&b, 0x55, sizeof b);
    char err[256] = "";
    cr_assert_eq(gn_params_bind(table, &s, "x.", &b, err, sizeof err), 0, "%s", err);
    cr_expect_eq(b.lr, 0.25);
    cr_expect(isnan(b.epochs), "a REAL without default binds NaN");
    cr_expect_eq(b.width, 256);
    cr_expect_eq(b.bias, 1);
    cr_expect_eq(b.act, 2, "choice index of gelu in relu|tanh|gelu");
    cr_expect_null(b.path);
    cr_expect_str_eq(b.cols, "a;b");
    gn_settings_free(&s);
}

Test(params, bind_refuses_a_value_its_table_refuses_and_names_the_key)
{
    gn_settings s;
    gn_settings_init(&s);
    gn_settings_set(&s, "opt.width", "0");
    bound b;
    char err[256] = "";
    cr_assert_eq(gn_params_bind(table, &s, "opt.", &b, err, sizeof err), -1);
    cr_expect(strstr(err, "opt.width") && strstr(err, "\"0\""), "%s", err);
    gn_settings_free(&s);
}

/* Every bound table: each entry has its own field, inside the struct. A
 * table entry added without a field of its own (or two entries on one
 * field) fails here; a misspelt field does not compile (GN_P_*). */
static void check_layout(const char *what, const gn_param *t, size_t size)
{
    for (int i = 0; t && t[i].name; i++) {
        size_t w = t[i].type == GN_PARAM_REAL  ? sizeof(double)
                   : t[i].type == GN_PARAM_INT ? sizeof(long)
                   : t[i].type == GN_PARAM_BOOL || t[i].type == GN_PARAM_CHOICE
                       ? sizeof(int)
                       : sizeof(const char *);
        cr_expect_leq(t[i].offset + w, size, "%s.%s lies outside its struct", what, t[i].name);
        for (int j = 0; j < i; j++)
            cr_expect_neq(t[i].offset, t[j].offset, "%s.%s and %s.%s bind one field", what,
                          t[i].name, what, t[j].name);
    }
}

Test(params, every_bound_table_gives_each_entry_its_own_field)
{
    check_layout("model", gn_model_params, sizeof(gn_model_hparams));
    check_layout("train", gn_train_params, sizeof(gn_train_cfg));
    for (int i = 0; gn_optimizers[i]; i++) {
        const gn_optim_ops *o = gn_optimizers[i];
        cr_expect_gt(o->hparams_size, 0, "%s", o->name);
        check_layout(o->name, o->params, o->hparams_size);
    }
}

Test(params, every_optimizer_binds_its_table_defaults)
{
    char err[256];
    for (int i = 0; gn_optimizers[i]; i++) {
        void *hp = gn_optim_bind(gn_optimizers[i], NULL, err, sizeof err);
        cr_expect_not_null(hp, "%s: %s", gn_optimizers[i]->name, err);
        free(hp);
    }
    gn_model_hparams m;
    cr_expect_eq(gn_params_bind(gn_model_params, NULL, "model.", &m, err, sizeof err), 0);
    cr_expect_eq(m.depth, 1);
    cr_expect_eq(m.width, 256);
    cr_expect_eq(m.activation, GN_ACT_TANH);
    cr_expect_eq(m.parameterization, GN_PARAM_NTK);
    gn_train_cfg t;
    cr_expect_eq(gn_params_bind(gn_train_params, NULL, "train.", &t, err, sizeof err), 0);
    cr_expect_eq(t.iterations, 100);
    cr_expect_eq(t.batch, 0, "absent batch: the whole training set");
    cr_expect(isnan(t.epochs) && isnan(t.target_loss));
}

/* The activation choice binds to gn_act: the table lists the names in enum
 * order. */
Test(params, model_activation_choices_follow_the_gn_act_order)
{
    const gn_param *p = gn_param_find(gn_model_params, "activation");
    for (int k = 0; k < GN_ACT_COUNT; k++)
        cr_expect_eq(gn_param_choice_index(p, gn_act_names[k]), k, "%s", gn_act_names[k]);
}

Test(params, hidden_layer_lists_have_one_grammar)
{
    int w[40];
    cr_expect_eq(gn_model_hidden_parse("1000-500-250", w, 40), 3);
    cr_expect_eq(w[0], 1000);
    cr_expect_eq(w[2], 250);
    const char *bad[] = {"", "-5", "5-", "5--6", "+5", " 5", "5 ", "0", "1000001", "5-x", NULL};
    for (int i = 0; bad[i]; i++)
        cr_expect_eq(gn_model_hidden_parse(bad[i], w, 40), -1, "\"%s\"", bad[i]);
    char many[200] = "1";
    for (int i = 1; i < 31; i++)
        strcat(many, "-1");
    cr_expect_eq(gn_model_hidden_parse(many, w, 40), -1, "31 layers is one more than depth allows");
}
