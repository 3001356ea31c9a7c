/* gn_assert.c: see gn_assert.h. */
#include "core/gn_assert.h"

#include <stdio.h>
#include <stdlib.h>

void gn_assert_fail(const char *cond, const char *file, int line, const char *func)
{
    fprintf(stderr, "gnbench: %s:%d: %s: contract violated: %s\n", file, line, func, cond);
    fflush(stderr);
    abort();
}
