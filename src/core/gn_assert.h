/* gn_assert.h: contract checks that stay on in every build.
 *
 * GN_ASSERT(cond) checks an invariant of library code (a buffer capacity, a
 * shape a caller promised). Unlike assert() it is not compiled out under
 * NDEBUG, the default release build: a broken contract prints file, line,
 * function and the condition to stderr and aborts. Runs execute in their own
 * process, so an abort ends that run only, recorded as an `error` row with
 * its signal. Not for checking input: input errors are returned. */
#ifndef GN_ASSERT_H
#define GN_ASSERT_H

/* Prints the failed check and aborts; called through GN_ASSERT. */
_Noreturn void gn_assert_fail(const char *cond, const char *file, int line, const char *func);

#define GN_ASSERT(cond) ((cond) ? (void)0 : gn_assert_fail(#cond, __FILE__, __LINE__, __func__))

#endif
