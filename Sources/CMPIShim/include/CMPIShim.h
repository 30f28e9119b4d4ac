#pragma once
// Functions for what Open MPI declares as macros (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, ...),
// which Swift cannot import. Every function returns an MPI error code (MPI_SUCCESS = 0).

#include <stddef.h>

/// Initializes MPI once (funneled threads: only the calling thread makes MPI calls).
int scalpel_mpi_initialize(void);
/// Whether MPI_Init has run and MPI_Finalize has not.
int scalpel_mpi_is_initialized(void);
/// Finalizes MPI (a no-op when it is not initialized or already finalized).
int scalpel_mpi_finalize(void);
/// This process's rank in MPI_COMM_WORLD.
int scalpel_mpi_world_rank(int *rank);
/// The number of processes in MPI_COMM_WORLD.
int scalpel_mpi_world_size(int *size);
/// How many ranks of MPI_COMM_WORLD share this rank's host (shared-memory node).
int scalpel_mpi_local_size(int *size);
/// In-place sum over MPI_COMM_WORLD of `count` floats (dtype 0 = f32, 1 = f64).
int scalpel_mpi_allreduce_sum(void *buffer, long count, int dtype);
/// Copies `count` bytes from rank `root` to every rank of MPI_COMM_WORLD.
int scalpel_mpi_broadcast_bytes(void *buffer, long count, int root);
/// Waits until every rank of MPI_COMM_WORLD arrives.
int scalpel_mpi_barrier(void);
/// MPI's text for an error code, into `text` (at most `capacity` bytes, NUL-terminated).
void scalpel_mpi_error_string(int code, char *text, int capacity);
