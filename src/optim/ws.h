/* ws.h: an optimizer's workspace as one block, laid out by one function.
 *
 * A plugin writes a layout function that asks the workspace for each of its
 * buffers in turn (gn_ws_doubles, gn_ws_ints). Run on a measuring workspace
 * it only adds up the bytes: that is what plan() reports to the memory check.
 * Run again on an allocated workspace of that size it hands out the same
 * buffers from one zero-filled block: that is what create() uses. The
 * estimate and the allocation are the same code, so they cannot drift; a
 * test compares them for every plugin (test_optim.c). */
#ifndef GN_WS_H
#define GN_WS_H

#include <stddef.h>

#define GN_WS_ALIGN 64 /* bytes: every buffer starts on a cache line */

typedef struct gn_ws {
    char *block; /* NULL while measuring */
    size_t used; /* bytes handed out (or counted) so far */
    size_t size; /* of block */
} gn_ws;

/* A workspace that only counts. */
void gn_ws_measure(gn_ws *ws);
/* Allocates a zero-filled block of the size a measuring pass counted and
 * starts handing out from its beginning. 0, or -1 when out of memory. */
int gn_ws_alloc(gn_ws *ws, size_t bytes);
/* n doubles (n ints), aligned; NULL while measuring. Running past the size
 * allocated is a broken layout: GN_ASSERT. */
double *gn_ws_doubles(gn_ws *ws, size_t n);
int *gn_ws_ints(gn_ws *ws, size_t n);
void gn_ws_free(gn_ws *ws);

#endif
