/* params.c: typed parameter tables (lookup, validation, description) and
 * resolved settings (an ordered key = value list). See params.h. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/params.h"

const gn_param *gn_param_find(const gn_param *table, const char *name)
{
    if (!table || !name) return NULL;
    for (int i = 0; table[i].name; i++)
        if (strcmp(table[i].name, name) == 0) return &table[i];
    return NULL;
}

/* Shortest text that reads back as v, with a compact exponent ("1e6", not
 * "1e+06"). Integers print in full for INT ranges. */
static void fmt_num(double v, int integer, char *buf, size_t len)
{
    if (isinf(v)) {
        snprintf(buf, len, "%sinf", v < 0 ? "-" : "");
        return;
    }
    if (integer && fabs(v) < 1e18) {
        snprintf(buf, len, "%.0f", v);
        return;
    }
    char tmp[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (strtod(tmp, NULL) == v) break;
    }
    /* Compact the exponent: "e+06" -> "e6", "e-07" -> "e-7". */
    char *e = strchr(tmp, 'e');
    if (e) {
        char *s = e + 1, *d = e + 1;
        if (*s == '+')
            s++;
        else if (*s == '-')
            *d++ = *s++;
        while (*s == '0' && s[1])
            s++;
        memmove(d, s, strlen(s) + 1);
    }
    snprintf(buf, len, "%s", tmp);
}

static void fmt_range(const gn_param *p, char *buf, size_t len)
{
    char lo[40], hi[40];
    int integer = p->type == GN_PARAM_INT;
    int open_lo = p->type == GN_PARAM_REAL && p->min == GN_PARAM_POSITIVE;
    fmt_num(open_lo ? 0.0 : p->min, integer, lo, sizeof lo);
    fmt_num(p->max, integer, hi, sizeof hi);
    snprintf(buf, len, "%s%s, %s%s", open_lo || isinf(p->min) ? "(" : "[", lo, hi,
             isinf(p->max) ? ")" : "]");
}

/* "a, b or c" from "a|b|c". */
static void fmt_choices(const char *choices, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    const char *s = choices ? choices : "";
    while (*s && o + 1 < len) {
        const char *bar = strchr(s, '|');
        size_t n = bar ? (size_t)(bar - s) : strlen(s);
        const char *sep = o == 0 ? "" : bar ? ", " : " or ";
        int w = snprintf(buf + o, len - o, "%s%.*s", sep, (int)n, s);
        if (w < 0) break;
        o += (size_t)w;
        if (o >= len) break;
        s = bar ? bar + 1 : s + n;
    }
}

static int choice_index(const char *choices, const char *text)
{
    size_t tl = strlen(text);
    const char *s = choices ? choices : "";
    for (int k = 0;; k++) {
        const char *bar = strchr(s, '|');
        size_t n = bar ? (size_t)(bar - s) : strlen(s);
        if (n == tl && strncmp(s, text, n) == 0) return k;
        if (!bar) return -1;
        s = bar + 1;
    }
}

static int choice_ok(const char *choices, const char *text)
{
    return choice_index(choices, text) >= 0;
}

int gn_param_choice_index(const gn_param *p, const char *text)
{
    return p && text && p->type == GN_PARAM_CHOICE ? choice_index(p->choices, text) : -1;
}

/* Plain decimal integer, optional sign, nothing else. */
static int parse_int(const char *text, long long *out)
{
    const char *s = text;
    if (*s == '+' || *s == '-') s++;
    if (!isdigit((unsigned char)*s)) return -1;
    for (const char *q = s; *q; q++)
        if (!isdigit((unsigned char)*q)) return -1;
    errno = 0;
    long long v = strtoll(text, NULL, 10);
    if (errno == ERANGE) return -1;
    *out = v;
    return 0;
}

static int parse_real(const char *text, double *out)
{
    if (!*text || isspace((unsigned char)*text)) return -1;
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (*end != '\0' || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

int gn_param_check(const gn_param *p, const char *text, char *why, size_t whylen)
{
    char range[96], list[512];
    if (!text) text = "";
    switch (p->type) {
    case GN_PARAM_REAL: {
        double v;
        if (parse_real(text, &v) == 0 && (v >= p->min || (p->min == GN_PARAM_POSITIVE && v > 0)) &&
            v <= p->max)
            return 0;
        fmt_range(p, range, sizeof range);
        snprintf(why, whylen, "a real number in %s", range);
        return -1;
    }
    case GN_PARAM_INT: {
        long long v;
        if (parse_int(text, &v) == 0 && (double)v >= p->min && (double)v <= p->max) return 0;
        fmt_range(p, range, sizeof range);
        snprintf(why, whylen, "an integer in %s", range);
        return -1;
    }
    case GN_PARAM_BOOL:
        if (strcmp(text, "true") == 0 || strcmp(text, "false") == 0) return 0;
        snprintf(why, whylen, "true or false");
        return -1;
    case GN_PARAM_CHOICE:
        if (choice_ok(p->choices, text)) return 0;
        fmt_choices(p->choices, list, sizeof list);
        snprintf(why, whylen, "one of %s", list);
        return -1;
    case GN_PARAM_STRING:
    case GN_PARAM_LIST:
        return 0;
    }
    snprintf(why, whylen, "a value of a known type");
    return -1;
}

void gn_param_describe(const gn_param *p, char *buf, size_t len)
{
    char range[96];
    switch (p->type) {
    case GN_PARAM_REAL:
        fmt_range(p, range, sizeof range);
        snprintf(buf, len, "real in %s", range);
        return;
    case GN_PARAM_INT:
        fmt_range(p, range, sizeof range);
        snprintf(buf, len, "integer in %s", range);
        return;
    case GN_PARAM_BOOL:
        snprintf(buf, len, "true|false");
        return;
    case GN_PARAM_CHOICE:
        snprintf(buf, len, "%s", p->choices ? p->choices : "");
        return;
    case GN_PARAM_STRING:
        snprintf(buf, len, "text");
        return;
    case GN_PARAM_LIST:
        snprintf(buf, len, "list of text");
        return;
    }
    snprintf(buf, len, "?");
}

/* ---- resolved settings ---- */

void gn_settings_init(gn_settings *s)
{
    s->v = NULL;
    s->n = s->cap = 0;
}

void gn_settings_free(gn_settings *s)
{
    if (!s) return;
    for (int i = 0; i < s->n; i++) {
        free(s->v[i].key);
        free(s->v[i].value);
    }
    free(s->v);
    gn_settings_init(s);
}

static int find_index(const gn_settings *s, const char *key)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->v[i].key, key) == 0) return i;
    return -1;
}

int gn_settings_set(gn_settings *s, const char *key, const char *value)
{
    char *v = strdup(value ? value : "");
    if (!v) return -1;
    int i = find_index(s, key);
    if (i >= 0) {
        free(s->v[i].value);
        s->v[i].value = v;
        return 0;
    }
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 16;
        gn_setting *nv = realloc(s->v, (size_t)cap * sizeof *nv);
        if (!nv) {
            free(v);
            return -1;
        }
        s->v = nv;
        s->cap = cap;
    }
    char *k = strdup(key);
    if (!k) {
        free(v);
        return -1;
    }
    s->v[s->n].key = k;
    s->v[s->n].value = v;
    s->n++;
    return 0;
}

int gn_settings_copy(gn_settings *dst, const gn_settings *src)
{
    gn_settings_init(dst);
    for (int i = 0; i < src->n; i++) {
        if (gn_settings_set(dst, src->v[i].key, src->v[i].value) != 0) {
            gn_settings_free(dst);
            return -1;
        }
    }
    return 0;
}

void gn_settings_unset(gn_settings *s, const char *key)
{
    int i = find_index(s, key);
    if (i < 0) return;
    free(s->v[i].key);
    free(s->v[i].value);
    memmove(&s->v[i], &s->v[i + 1], (size_t)(s->n - i - 1) * sizeof *s->v);
    s->n--;
}

const char *gn_settings_get(const gn_settings *s, const char *key)
{
    int i = find_index(s, key);
    return i >= 0 ? s->v[i].value : NULL;
}

/* ---- binding ---- */

/* Stores the value of entry p, from text (NULL: absent), into out. */
static void bind_one(const gn_param *p, const char *text, void *out)
{
    char *field = (char *)out + p->offset;
    switch (p->type) {
    case GN_PARAM_REAL: {
        double v = NAN;
        if (text) parse_real(text, &v);
        memcpy(field, &v, sizeof v);
        return;
    }
    case GN_PARAM_INT: {
        long long ll = 0;
        if (text) parse_int(text, &ll);
        long v = (long)ll;
        memcpy(field, &v, sizeof v);
        return;
    }
    case GN_PARAM_BOOL: {
        int v = text && strcmp(text, "true") == 0;
        memcpy(field, &v, sizeof v);
        return;
    }
    case GN_PARAM_CHOICE: {
        int v = text ? choice_index(p->choices, text) : -1;
        memcpy(field, &v, sizeof v);
        return;
    }
    case GN_PARAM_STRING:
    case GN_PARAM_LIST:
        memcpy(field, &text, sizeof text);
        return;
    }
}

int gn_params_bind(const gn_param *table, const gn_settings *s, const char *prefix, void *out,
                   char *err, size_t errlen)
{
    char key[160], why[256];
    for (const gn_param *p = table; p && p->name; p++) {
        snprintf(key, sizeof key, "%s%s", prefix ? prefix : "", p->name);
        const char *text = s ? gn_settings_get(s, key) : NULL;
        if (!text) text = p->def;
        if (text && gn_param_check(p, text, why, sizeof why) != 0) {
            snprintf(err, errlen, "%s: expected %s, got \"%s\"", key, why, text);
            return -1;
        }
        bind_one(p, text, out);
    }
    return 0;
}
