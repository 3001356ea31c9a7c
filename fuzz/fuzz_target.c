/* fuzz_target.c: a libFuzzer target for one harness entry point, chosen at
 * build time with -DGN_FUZZ_FN=gn_fuzz_<target> (fuzz/meson.build). */
#include <stddef.h>
#include <stdint.h>

#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[4096];
    GN_FUZZ_FN(data, size, err, sizeof err);
    return 0;
}
