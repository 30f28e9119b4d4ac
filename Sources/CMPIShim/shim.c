#include "CMPIShim.h"

#include <limits.h>
#include <mpi.h>
#include <string.h>

int scalpel_mpi_initialize(void) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) return MPI_SUCCESS;
  int provided = 0;
  int code = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
  if (code != MPI_SUCCESS) return code;
  // Errors come back as codes (reported by the caller), not as an abort of the job.
  return MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}

int scalpel_mpi_is_initialized(void) {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  return initialized && !finalized;
}

int scalpel_mpi_finalize(void) {
  if (!scalpel_mpi_is_initialized()) return MPI_SUCCESS;
  return MPI_Finalize();
}

int scalpel_mpi_world_rank(int *rank) { return MPI_Comm_rank(MPI_COMM_WORLD, rank); }

int scalpel_mpi_world_size(int *size) { return MPI_Comm_size(MPI_COMM_WORLD, size); }

int scalpel_mpi_local_size(int *size) {
  MPI_Comm local;
  int code = MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local);
  if (code != MPI_SUCCESS) return code;
  code = MPI_Comm_size(local, size);
  MPI_Comm_free(&local);
  return code;
}

int scalpel_mpi_allreduce_sum(void *buffer, long count, int dtype) {
  MPI_Datatype type = dtype == 0 ? MPI_FLOAT : MPI_DOUBLE;
  size_t size = dtype == 0 ? sizeof(float) : sizeof(double);
  // MPI counts are ints: reduce in chunks of at most INT_MAX elements.
  char *bytes = buffer;
  while (count > 0) {
    int chunk = count > INT_MAX ? INT_MAX : (int)count;
    int code = MPI_Allreduce(MPI_IN_PLACE, bytes, chunk, type, MPI_SUM, MPI_COMM_WORLD);
    if (code != MPI_SUCCESS) return code;
    bytes += (size_t)chunk * size;
    count -= chunk;
  }
  return MPI_SUCCESS;
}

int scalpel_mpi_broadcast_bytes(void *buffer, long count, int root) {
  char *bytes = buffer;
  while (count > 0) {
    int chunk = count > INT_MAX ? INT_MAX : (int)count;
    int code = MPI_Bcast(bytes, chunk, MPI_BYTE, root, MPI_COMM_WORLD);
    if (code != MPI_SUCCESS) return code;
    bytes += chunk;
    count -= chunk;
  }
  return MPI_SUCCESS;
}

int scalpel_mpi_barrier(void) { return MPI_Barrier(MPI_COMM_WORLD); }

void scalpel_mpi_error_string(int code, char *text, int capacity) {
  if (capacity <= 0) return;
  char message[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, message, &length) != MPI_SUCCESS) length = 0;
  message[length < MPI_MAX_ERROR_STRING ? length : MPI_MAX_ERROR_STRING - 1] = 0;
  strncpy(text, message, (size_t)capacity - 1);
  text[capacity - 1] = 0;
}
