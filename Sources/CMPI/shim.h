#pragma once
// Open MPI's C API; the include directory comes from pkg-config `ompi-c`.
#include <mpi.h>
