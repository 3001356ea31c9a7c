/* mpi_sched.c: the MPI transport of a sweep (see mpi_sched.h). Messages:
 * rank 0 -> worker, tag TAG_RUN: one int, the run index (-1 = quit);
 * worker -> rank 0, tag TAG_RESULT: an int run index followed by the
 * result bytes. */
#define _GNU_SOURCE
#include <mpi.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "run/mpi_sched.h"

enum { TAG_RUN = 11, TAG_RESULT = 12 };

static int started, world_rank, world_size = 1;
static char library[MPI_MAX_LIBRARY_VERSION_STRING];

int gn_mpi_init(int *argc, char ***argv, char *err, size_t errlen)
{
    if (MPI_Init(argc, argv) != MPI_SUCCESS) {
        snprintf(err, errlen, "MPI_Init failed");
        return -1;
    }
    started = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world_size);
    /* errors come back as codes, so a rank can report what went wrong */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    return 0;
}

void gn_mpi_finalize(int clean)
{
    if (started && clean) MPI_Finalize();
    started = 0;
}

int gn_mpi_active(void)
{
    return started && world_size > 1;
}

int gn_mpi_rank(void)
{
    return world_rank;
}

int gn_mpi_size(void)
{
    return world_size;
}

int gn_mpi_agree(int rc)
{
    int all = rc;
    if (started) MPI_Allreduce(&rc, &all, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return all;
}

const char *gn_mpi_library(void)
{
    int len = 0;
    MPI_Get_library_version(library, &len);
    library[strcspn(library, ",\n")] = 0; /* "Open MPI v4.1.4, package: ..." */
    return library;
}

int gn_mpi_layout(int threads_opt, gn_mpi_rank_info **all, int *local_size)
{
    gn_mpi_rank_info me;
    memset(&me, 0, sizeof me);
    gethostname(me.host, sizeof me.host - 1);
    me.rank = world_rank;

    MPI_Comm node;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, world_rank, MPI_INFO_NULL, &node);
    MPI_Comm_rank(node, &me.local_rank);
    MPI_Comm_size(node, &me.local_size);

    /* Ranks bound to disjoint cores keep their own cores; ranks sharing
     * cores (unbound, or bound to a socket) split them. */
    cpu_set_t mine;
    CPU_ZERO(&mine);
    if (sched_getaffinity(0, sizeof mine, &mine) != 0 || CPU_COUNT(&mine) == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        for (long c = 0; c < n && c < CPU_SETSIZE; c++)
            CPU_SET(c, &mine);
    }
    me.cores = CPU_COUNT(&mine);
    cpu_set_t *sets = malloc(sizeof *sets * (size_t)me.local_size);
    int sharing = me.local_size;
    if (sets && MPI_Allgather(&mine, (int)sizeof mine, MPI_BYTE, sets, (int)sizeof mine, MPI_BYTE,
                              node) == MPI_SUCCESS) {
        sharing = 0;
        for (int r = 0; r < me.local_size; r++) {
            cpu_set_t both;
            CPU_AND(&both, &mine, &sets[r]);
            sharing += CPU_COUNT(&both) > 0;
        }
    }
    free(sets);
    MPI_Comm_free(&node);
    if (sharing < 1) sharing = 1;
    me.threads = threads_opt > 0 ? threads_opt : me.cores / sharing;
    if (me.threads < 1) me.threads = 1;

    gn_mpi_rank_info *buf = NULL;
    if (world_rank == 0) buf = calloc((size_t)world_size, sizeof *buf);
    MPI_Gather(&me, (int)sizeof me, MPI_BYTE, buf, (int)sizeof me, MPI_BYTE, 0, MPI_COMM_WORLD);
    if (local_size) *local_size = me.local_size;
    if (all)
        *all = buf;
    else
        free(buf);
    return me.threads;
}

/* Sleeps a little longer each time nothing arrived, up to 5 ms. */
static void idle_wait(long *ns)
{
    struct timespec ts = {0, *ns};
    nanosleep(&ts, NULL);
    if (*ns < 5000000) *ns *= 2;
}

int gn_mpi_sched_give(int worker, int run)
{
    return MPI_Send(&run, 1, MPI_INT, worker, TAG_RUN, MPI_COMM_WORLD) == MPI_SUCCESS ? 0 : -1;
}

int gn_mpi_sched_wait(int *worker, int *run, void *result, size_t len, volatile sig_atomic_t *stop)
{
    long ns = 100000;
    for (;;) {
        if (stop && *stop) return 1;
        int flag = 0;
        MPI_Status st;
        if (MPI_Iprobe(MPI_ANY_SOURCE, TAG_RESULT, MPI_COMM_WORLD, &flag, &st) != MPI_SUCCESS)
            return -1;
        if (!flag) {
            idle_wait(&ns);
            continue;
        }
        int count = 0;
        MPI_Get_count(&st, MPI_BYTE, &count);
        char *msg = malloc((size_t)count + 1);
        if (!msg) return -1;
        if (MPI_Recv(msg, count, MPI_BYTE, st.MPI_SOURCE, TAG_RESULT, MPI_COMM_WORLD,
                     MPI_STATUS_IGNORE) != MPI_SUCCESS ||
            (size_t)count != sizeof(int) + len) {
            free(msg);
            return -1;
        }
        *worker = st.MPI_SOURCE;
        memcpy(run, msg, sizeof(int));
        memcpy(result, msg + sizeof(int), len);
        free(msg);
        return 0;
    }
}

void gn_mpi_sched_end(void)
{
    int quit = -1;
    for (int w = 1; w < world_size; w++)
        MPI_Send(&quit, 1, MPI_INT, w, TAG_RUN, MPI_COMM_WORLD);
}

int gn_mpi_work_next(int *run, volatile sig_atomic_t *stop)
{
    long ns = 100000;
    for (;;) {
        if (stop && *stop) return 1;
        int flag = 0;
        if (MPI_Iprobe(0, TAG_RUN, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE) != MPI_SUCCESS)
            return -1;
        if (!flag) {
            idle_wait(&ns);
            continue;
        }
        if (MPI_Recv(run, 1, MPI_INT, 0, TAG_RUN, MPI_COMM_WORLD, MPI_STATUS_IGNORE) != MPI_SUCCESS)
            return -1;
        return *run < 0 ? 1 : 0;
    }
}

int gn_mpi_work_reply(int run, const void *result, size_t len)
{
    char *msg = malloc(sizeof(int) + len);
    if (!msg) return -1;
    memcpy(msg, &run, sizeof(int));
    memcpy(msg + sizeof(int), result, len);
    int rc = MPI_Send(msg, (int)(sizeof(int) + len), MPI_BYTE, 0, TAG_RESULT, MPI_COMM_WORLD);
    free(msg);
    return rc == MPI_SUCCESS ? 0 : -1;
}
