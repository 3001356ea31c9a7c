/* mpi_sched.h: hands the runs of a sweep to MPI ranks.
 *
 * Under `mpirun -n N gnbench run FILE`, rank 0 schedules and writes the
 * results; ranks 1..N-1 are workers. The protocol is request/reply: rank 0
 * gives an idle worker a run index; the worker executes it (in a child
 * process, as the local runner does) and replies with the result, which is
 * also its request for the next run; rank 0 answers with the next index or
 * with "quit" when nothing is left. Results travel as opaque bytes: this
 * module knows nothing about runs.
 *
 * Compiled only when Meson finds MPI (GN_HAVE_MPI); the only module that
 * includes <mpi.h>. Waiting is done by polling with short sleeps, so an idle
 * rank does not spin a core that a working rank's BLAS threads need. */
#ifndef GN_MPI_SCHED_H
#define GN_MPI_SCHED_H

#include <signal.h>
#include <stddef.h>

/* Where a rank runs and how many BLAS threads it gives each run. */
typedef struct gn_mpi_rank_info {
    char host[64];
    int rank, local_rank, local_size; /* local: ranks on the same node */
    int cores;                        /* cores this rank may run on (its affinity) */
    int threads;                      /* BLAS threads per run on this rank */
} gn_mpi_rank_info;

/* Starts MPI (MPI_Init). Returns 0, or -1 with a message in err. */
int gn_mpi_init(int *argc, char ***argv, char *err, size_t errlen);
/* Ends MPI: MPI_Finalize when clean != 0; otherwise leaves the launcher to
 * tear the job down (after an interruption ranks may be blocked). */
void gn_mpi_finalize(int clean);
/* 1 when MPI was started and there is more than one rank. */
int gn_mpi_active(void);
int gn_mpi_rank(void);
int gn_mpi_size(void);
/* Collective: the largest rc over all ranks (so every rank stops when one
 * rank's inputs failed, e.g. a data file missing on one node). */
int gn_mpi_agree(int rc);
/* Library version string, e.g. "Open MPI v4.1.4". */
const char *gn_mpi_library(void);

/* Collective: decides this rank's BLAS threads per run (threads_opt > 0:
 * that; otherwise the cores of its affinity shared among the ranks of its
 * node whose affinity overlaps it, at least 1) and gathers every rank's
 * info on rank 0 (*all: gn_mpi_size() entries, malloc'd; NULL on other
 * ranks), and *local_size to the ranks on this node. Returns this rank's
 * threads. */
int gn_mpi_layout(int threads_opt, gn_mpi_rank_info **all, int *local_size);

/* Rank 0. Gives `run` to worker rank `worker` (1..size-1). 0 = sent. */
int gn_mpi_sched_give(int worker, int run);
/* Rank 0. Waits for a worker's reply: 0 with *worker, *run and the result
 * bytes (exactly len) filled; 1 as soon as *stop becomes nonzero; -1 on an
 * MPI error or a reply of the wrong size. */
int gn_mpi_sched_wait(int *worker, int *run, void *result, size_t len, volatile sig_atomic_t *stop);
/* Rank 0. Tells every worker to quit. */
void gn_mpi_sched_end(void);

/* Worker. Waits for the next run: 0 with *run set; 1 on quit or when *stop
 * becomes nonzero; -1 on an MPI error. */
int gn_mpi_work_next(int *run, volatile sig_atomic_t *stop);
/* Worker. Sends a run's result (the reply). 0 = sent. */
int gn_mpi_work_reply(int run, const void *result, size_t len);

#endif
