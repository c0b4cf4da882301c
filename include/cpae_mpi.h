/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/**
 * @file cpae_mpi.h
 * libcpae-mpi: data-parallel training of libcpae models over MPI.
 *
 * A companion library (libcpae-mpi.so.0, pkg-config cpae-mpi); the core
 * library does not depend on MPI. Each process of a communicator holds a
 * share of the training rows; cpae_trainer_fit then runs on every process
 * at once: the same shuffles (same seed), each process's share of every
 * batch, the shares summed with MPI_Allreduce (or, in the reproducible
 * mode, in a fixed tree order), the same update everywhere. The weights stay
 * identical on every process and equal those of a single-process fit up
 * to the summation order (docs/scaling.md states the differences
 * measured). Built by `make mpi` when mpicc is installed.
 *
 * Conventions as in cpae.h: every function returns a cpae_status code and
 * leaves a message for cpae_last_error(); every process of the
 * communicator must make the same calls in the same order (they are
 * collective).
 */
#ifndef CPAE_MPI_H
#define CPAE_MPI_H

#include <mpi.h>
#include <stdint.h>

#include "cpae.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup mpi Data-parallel training over MPI (libcpae-mpi)
 * @{ */

/** How the processes' shares are summed. */
typedef enum cpae_mpi_mode {
    CPAE_MPI_ALLREDUCE = 0,   /**< MPI_Allreduce(MPI_SUM): fastest; the
                                   summation order is MPI's */
    CPAE_MPI_REPRODUCIBLE = 1 /**< a binomial-tree reduce to rank 0 over
                                   point-to-point messages, then
                                   MPI_Bcast: in round s = 0, 1, ... rank
                                   r with r % 2^(s+1) == 0 adds rank
                                   r + 2^s's partial sum to its own (own +
                                   received), and r + 2^s is done. The
                                   order depends only on the number of
                                   processes P: the same bits on every
                                   process and every run with the same P.
                                   Works in chunks of at most 2^20 doubles
                                   (8 MiB): one receive buffer a process.
                                   Costs log2(P) rounds of point-to-point
                                   messages of the whole chunk plus a
                                   broadcast: twice a recursive-doubling
                                   allreduce's latency, and a reduce's
                                   (log2(P) chunks) and a broadcast's
                                   bandwidth; slower than the allreduce
                                   at scale (docs/scaling.md) */
} cpae_mpi_mode;

/** Opaque handle: a communicator (duplicated) and the reduce scratch. */
typedef struct cpae_mpi cpae_mpi;

/** Create a context over `comm` (duplicated with MPI_Comm_dup, so the
 *  library's messages never meet the caller's). Collective.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_INVALID (mode; MPI not
 *          initialised), CPAE_E_NOMEM, CPAE_E_CALLBACK (an MPI call
 *          failed). */
CPAE_API CPAE_NODISCARD int32_t cpae_mpi_create(MPI_Comm comm, int32_t mode, cpae_mpi **out);

/** Free a context (NULL is a no-op); detach it from trainers first.
 *  Collective (MPI_Comm_free). */
CPAE_API void cpae_mpi_destroy(cpae_mpi *ctx);

/** This process's rank and the number of processes. Any output may be
 *  NULL. @return CPAE_OK, CPAE_E_NULL. */
CPAE_API CPAE_NODISCARD int32_t cpae_mpi_rank(const cpae_mpi *ctx, int32_t *rank,
    int32_t *size);

/** The contiguous share of n_global rows that this process takes by
 *  default: *first and *count with the rows split as evenly as possible in
 *  rank order (rank r gets n/P rows, one more for r < n % P).
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_SIZE (n_global < 1). */
CPAE_API CPAE_NODISCARD int32_t cpae_mpi_share(const cpae_mpi *ctx, int64_t n_global,
    int64_t *first, int64_t *count);

/** Make `trainer` one process of a data-parallel fit over ctx's processes
 *  (cpae_trainer_set_parallel with this context's reducer): call after
 *  cpae_trainer_set_data with this process's n_local rows; global_ids[i]
 *  is the global index of row i, owned[i] != 0 when this process evaluates
 *  it (owned NULL: every row; global_ids NULL: the rows follow the lower
 *  ranks' rows, as cpae_mpi_share splits them, or, with owned, the rows
 *  are the whole set in global order). The data sampler and the exact
 *  form need the whole set on every process with owned marking its share
 *  (cpae_trainer_set_parallel). The context must outlive the trainer's
 *  fits. Collective: it checks that every process gave the same n_global
 *  and that the owned rows add up to it; when any process fails, every
 *  process fails (the others with CPAE_E_REMOTE or CPAE_E_MISMATCH) and
 *  none is left attached. Call it on every process even when this
 *  process's setup failed (trainer NULL): the others then return
 *  CPAE_E_REMOTE instead of waiting.
 *  @return CPAE_OK, CPAE_E_NULL, CPAE_E_SIZE, CPAE_E_MISMATCH (the
 *          processes disagree), CPAE_E_REMOTE, CPAE_E_NOMEM,
 *          CPAE_E_CALLBACK (MPI failed). */
CPAE_API CPAE_NODISCARD int32_t cpae_mpi_attach(cpae_mpi *ctx, cpae_trainer *trainer,
    int64_t n_local, int64_t n_global, const int64_t *global_ids, const uint8_t *owned);

/** Save the model (and generators, lie may be NULL) from rank 0,
 *  atomically as cpae_model_save_lie; every process returns rank 0's
 *  status. Collective. @return as cpae_model_save_lie, CPAE_E_CALLBACK. */
CPAE_API CPAE_NODISCARD int32_t cpae_mpi_save_model(cpae_mpi *ctx, const cpae_model *model,
    const cpae_lie *lie, const char *path);

/** Save a trainer checkpoint (cpae_trainer_save_checkpoint: the model,
 *  generators, optimiser and fit position, which are the same on every
 *  process) from rank 0, atomically; every process returns rank 0's
 *  status. Collective; callable from the fit's callbacks (all processes
 *  reach them at the same step). @return as
 *  cpae_trainer_save_checkpoint, CPAE_E_CALLBACK. */
CPAE_API CPAE_NODISCARD int32_t cpae_mpi_save_checkpoint(cpae_mpi *ctx,
    const cpae_trainer *trainer, const char *path);

/** Load a trainer checkpoint on every process: rank 0 reads the file
 *  (the others need no access to it, no shared file system), broadcasts
 *  its bytes, and every process loads them
 *  (cpae_trainer_load_checkpoint_from_buffer, collective on an attached
 *  trainer: each process's rows are checked against the fit's, together,
 *  and all load or none does). Call after cpae_mpi_attach (on a trainer
 *  not attached, each process loads on its own: one may keep the
 *  checkpoint while another refuses it, and every process still returns
 *  an error), on every process, even one without a trainer (NULL: the
 *  others then return CPAE_E_REMOTE); then cpae_trainer_resume on every
 *  process. A
 *  checkpoint saved by P processes resumes on any number of processes:
 *  the shuffles are of global indices and every sample's random draws
 *  follow its global index. Collective. Since 0.8.
 *  @return as cpae_trainer_load_checkpoint, CPAE_E_REMOTE (another
 *          process failed; rank 0 could not read the file),
 *          CPAE_E_CALLBACK (MPI failed). */
CPAE_API CPAE_NODISCARD int32_t cpae_mpi_load_checkpoint(cpae_mpi *ctx,
    cpae_trainer *trainer, const char *path);

/** Sum n doubles in place over ctx's processes in ctx's mode (the reducer
 *  the trainers use; exposed for tests and for reducing one's own
 *  figures). Collective. @return CPAE_OK, CPAE_E_NULL, CPAE_E_SIZE,
 *  CPAE_E_NOMEM, CPAE_E_CALLBACK (MPI failed). */
CPAE_API CPAE_NODISCARD int32_t cpae_mpi_sum(cpae_mpi *ctx, double *values, int64_t n);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* CPAE_MPI_H */
