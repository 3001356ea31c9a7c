/* testhook.h: a stop point for the end-to-end tests.
 *
 * Tests that interrupt a sweep or kill one of its runs must do so while the
 * run is certainly in progress, whatever the speed of the machine. A run
 * process calls gn_test_hold() before it trains: when the environment sets
 * GNBENCH_TEST_HOLD to a file (typically a FIFO the test reads) and the
 * run id matches the shell pattern GNBENCH_TEST_HOLD_RUNS (default "*"), the
 * process appends the line "<run_id> <pid>\n" to that file and then waits
 * for a signal; it never trains. The test reads the line (an event it
 * controls), then signals the run or the sweep. Without GNBENCH_TEST_HOLD
 * the call does nothing. */
#ifndef GN_TESTHOOK_H
#define GN_TESTHOOK_H

/* Holds the calling run process as described above; returns only when the
 * hook is off or the run id does not match. */
void gn_test_hold(const char *run_id);

#endif
