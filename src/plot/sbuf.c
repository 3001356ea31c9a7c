/* sbuf.c: the growable text buffer the scripts and data files are built in,
 * and the one quoting every string of a gnuplot script goes through
 * (sb_gpstring, public as gn_plot_quote), with the escaping for enhanced
 * text mode that decides what a label shows. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot.h"
#include "plot/plot_internal.h"

/* Appends the formatted text, doubling the buffer until it fits. */
static void sb_vprintf(sbuf *b, const char *fmt, va_list ap)
{
    if (b->oom) return;
    for (;;) {
        va_list aq;
        va_copy(aq, ap);
        size_t room = b->cap - b->n;
        int k = vsnprintf(b->s ? b->s + b->n : NULL, room, fmt, aq);
        va_end(aq);
        if (k < 0) {
            b->oom = 1;
            return;
        }
        if ((size_t)k < room) {
            b->n += (size_t)k;
            return;
        }
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->n <= (size_t)k)
            cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->oom = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
}

void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(b, fmt, ap);
    va_end(ap);
}

void sb_putc(sbuf *b, char c)
{
    sb_printf(b, "%c", c);
}

void sb_free(sbuf *b)
{
    free(b->s);
    b->s = NULL;
    b->n = b->cap = 0;
    b->oom = 0;
}

const char *sb_str(const sbuf *b)
{
    return b->s ? b->s : "";
}

/* The one way a string enters a gnuplot script: appends a gnuplot string
 * expression whose value is exactly `s`, byte for byte. Runs of bytes are
 * single-quoted: there gnuplot substitutes no backquotes and no @ macros and
 * reads a backslash as itself. A quote and each control byte (a newline
 * would end the command) are written as a double-quoted octal escape joined
 * with '.': it's<newline> becomes 'it'."\047".'s'."\012". Not '' for a
 * quote: gnuplot 5.4 misreads it at the start of a string or twice in a row,
 * and a quote inside double quotes ("'") makes its macro expansion lose
 * track of which text is quoted. Used for labels, titles and file names
 * alike; what a label shows is settled before (sb_enhanced). */
void sb_gpstring(sbuf *b, const char *s)
{
    int open = 0, parts = 0;
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p < 0x20 || *p == 0x7f || *p == '\'') {
            if (open) sb_putc(b, '\'');
            sb_printf(b, "%s\"\\%03o\"", parts++ ? "." : "", *p);
            open = 0;
            continue;
        }
        if (!open) sb_printf(b, "%s'", parts++ ? "." : "");
        open = 1;
        sb_putc(b, (char)*p);
    }
    if (open)
        sb_putc(b, '\'');
    else if (!parts)
        sb_printf(b, "''");
}

char *gn_plot_quote(const char *s)
{
    sbuf b = {0};
    sb_gpstring(&b, s);
    if (b.oom) {
        sb_free(&b);
        return NULL;
    }
    return b.s;
}

/* Appends text as enhanced-text markup that prints it literally: the
 * enhanced-mode specials and the backslash get a backslash, control
 * characters become spaces. Not quoted: markup may be put around it before
 * the whole goes to sb_gpmarkup. */
void sb_enhanced(sbuf *b, const char *text)
{
    for (const char *p = text ? text : ""; *p; p++) {
        if (strchr("^_@&~{}\\", *p))
            sb_printf(b, "\\%c", *p);
        else
            sb_putc(b, (unsigned char)*p < 0x20 || *p == 0x7f ? ' ' : *p);
    }
}

/* Enhanced-text markup as a gnuplot string. Terminals skip the markup step
 * for text without any of {}^_@&~ (cairo does, svg does not), which would
 * show an escaped backslash doubled: such text that holds a backslash starts
 * with an empty group {} so that every terminal reads the escapes. */
void sb_gpmarkup(sbuf *b, const char *markup)
{
    sbuf t = {0};
    if (strchr(markup, '\\') && !strpbrk(markup, "{}^_@&~")) sb_printf(&t, "{}");
    sb_printf(&t, "%s", markup);
    b->oom |= t.oom;
    sb_gpstring(b, sb_str(&t));
    sb_free(&t);
}

/* A label that prints text literally. */
void sb_gplabel(sbuf *b, const char *text)
{
    sbuf t = {0};
    sb_enhanced(&t, text);
    b->oom |= t.oom;
    sb_gpmarkup(b, sb_str(&t));
    sb_free(&t);
}

/* Text for a comment line of the .dat/.gp files: control characters become
 * spaces so a value can never end the comment. */
void sb_comment_text(sbuf *b, const char *text)
{
    for (const char *p = text ? text : ""; *p; p++)
        sb_putc(b, (unsigned char)*p < 0x20 ? ' ' : *p);
}
