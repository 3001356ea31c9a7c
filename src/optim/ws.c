/* ws.c: see ws.h. */
#include "optim/ws.h"

#include <stdlib.h>
#include <string.h>

#include "core/gn_assert.h"

void gn_ws_measure(gn_ws *ws)
{
    memset(ws, 0, sizeof *ws);
}

int gn_ws_alloc(gn_ws *ws, size_t bytes)
{
    memset(ws, 0, sizeof *ws);
    size_t size = bytes ? (bytes + GN_WS_ALIGN - 1) / GN_WS_ALIGN * GN_WS_ALIGN : GN_WS_ALIGN;
    ws->block = aligned_alloc(GN_WS_ALIGN, size);
    if (!ws->block) return -1;
    memset(ws->block, 0, size);
    ws->size = size;
    return 0;
}

static void *take(gn_ws *ws, size_t bytes)
{
    size_t start = (ws->used + GN_WS_ALIGN - 1) / GN_WS_ALIGN * GN_WS_ALIGN;
    ws->used = start + bytes;
    if (!ws->block) return NULL;
    GN_ASSERT(ws->used <= ws->size); /* the layout asked for more than it measured */
    return ws->block + start;
}

double *gn_ws_doubles(gn_ws *ws, size_t n)
{
    return take(ws, n * sizeof(double));
}

int *gn_ws_ints(gn_ws *ws, size_t n)
{
    return take(ws, n * sizeof(int));
}

void gn_ws_free(gn_ws *ws)
{
    free(ws->block);
    memset(ws, 0, sizeof *ws);
}
