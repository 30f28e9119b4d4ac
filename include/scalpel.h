/* scalpel.h: the C API of Scalpel (libscalpelc.so), over the graph IR, the passes and the
 * backends (the LLVM JIT and the reference interpreter).
 *
 * Conventions
 * - Handles are opaque. Every object a call returns through an `out` pointer belongs to the
 *   caller, who releases it with the free function named in the call's comment. Free
 *   functions accept NULL and return nothing.
 * - Every fallible call returns an `int`: SCALPEL_OK (0) on success, else one of the
 *   `scalpel_status` codes below. On failure the `out` pointers are set to NULL (counts to 0)
 *   and scalpel_last_error() returns a message saying what was wrong, located at the IR's
 *   `<input>:line:column` where the problem is in IR text.
 * - Bad input (NULL pointers, unknown dtypes, negative or overflowing shapes, text that does
 *   not parse, graphs that do not verify, inputs that do not match a graph) is reported, never
 *   a crash. What cannot be checked is the caller's part: a handle must be one this library
 *   returned and not yet freed, and `data` must hold the bytes its dtype and shape say.
 * - Threads: graphs and tensors are immutable and may be shared between threads. An
 *   executable runs one scalpel_execute at a time (calls on it must not overlap).
 *
 * Dtypes are named as in the IR: "f32", "f64", "i32", "i64", "i1" (one byte per element,
 * 0 or 1). Tensor data is row-major (C order), in the host's byte order.
 */
#ifndef SCALPEL_H
#define SCALPEL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SCALPEL_VERSION_MAJOR 0
#define SCALPEL_VERSION_MINOR 1
#define SCALPEL_VERSION_PATCH 0
/* The version this header describes, "MAJOR.MINOR.PATCH". */
#define SCALPEL_VERSION "0.1.0"

/* The largest rank a tensor may have. */
#define SCALPEL_MAX_RANK 64

/* The most threads scalpel_compile accepts (each count the JIT is given starts a pool of that
 * many threads, kept for the life of the process). */
#define SCALPEL_MAX_THREADS 256

/* Status codes: what kind of error a call met. */
typedef enum scalpel_status {
  SCALPEL_OK = 0,
  /* A NULL pointer, an unknown dtype or backend, a negative count or dimension, a rank above
   * SCALPEL_MAX_RANK, threads above SCALPEL_MAX_THREADS, a size that overflows, text that is
   * not UTF-8, an input named twice. */
  SCALPEL_ERROR_INVALID_ARGUMENT = 1,
  /* IR text that does not parse, or does not hold exactly one graph. */
  SCALPEL_ERROR_PARSE = 2,
  /* A graph that parses but does not verify (the parser itself checks types and names and
   * reports most such problems as SCALPEL_ERROR_PARSE, at their line and column). */
  SCALPEL_ERROR_VERIFY = 3,
  /* A pipeline with bad syntax, an unknown pass or option, or a pass that failed. */
  SCALPEL_ERROR_PASS = 4,
  /* A backend that could not prepare the graph (an op it cannot lower, LLVM failing). */
  SCALPEL_ERROR_COMPILE = 5,
  /* Inputs that do not match the graph's parameters, or a kernel that failed at run time
   * (integer division by zero, an index out of range). */
  SCALPEL_ERROR_EXECUTE = 6,
} scalpel_status;

typedef struct scalpel_graph scalpel_graph;           /* one verified graph */
typedef struct scalpel_executable scalpel_executable; /* a graph prepared by a backend */
typedef struct scalpel_tensor scalpel_tensor;         /* dtype, shape and owned data */

/* The library's version, "MAJOR.MINOR.PATCH" (compare with SCALPEL_VERSION). Static storage:
 * never freed. */
const char *scalpel_version(void);

/* The message of the last call on this thread that failed, or "" if none has. Owned by the
 * library; valid until the next failing call on this thread. */
const char *scalpel_last_error(void);

/* Parses IR text holding exactly one graph and verifies it.
 * `*out` is freed with scalpel_graph_free. */
int scalpel_graph_parse(const char *ir_text, scalpel_graph **out);

/* Runs a pass pipeline (scalpel-opt --passes syntax: "grad{of=loss wrt=w},cse,dce"; "" for
 * none) on a copy of `g`, verifying between passes. `g` is unchanged.
 * `*out` is a new graph, freed with scalpel_graph_free. */
int scalpel_graph_apply(const scalpel_graph *g, const char *pipeline, scalpel_graph **out);

/* The graph in the IR text format (parses back to the same graph).
 * `*out` is freed with scalpel_string_free. */
int scalpel_graph_print(const scalpel_graph *g, char **out);

/* Prepares `g` to run. backend: "jit" (LLVM, compiled here) or "interpreter". threads: the
 * JIT's threads, 0 for all cores, at most SCALPEL_MAX_THREADS (the interpreter, which uses
 * all cores, ignores it; it must still be in that range).
 * The JIT keeps what it compiled in memory for the life of the process (the same graph is
 * compiled once) and uses no disk cache.
 * `*out` does not depend on `g` (free either first); freed with scalpel_executable_free. */
int scalpel_compile(const scalpel_graph *g, const char *backend, int threads,
                    scalpel_executable **out);

/* The number of inputs (the graph's parameters) and outputs (its results). */
int scalpel_executable_counts(const scalpel_executable *e, int *n_inputs, int *n_outputs);

/* Input `index` (0 <= index < n_inputs, in the graph's parameter order): its name, dtype,
 * rank and shape. Each pointer may be NULL if that item is not wanted. The strings and the
 * shape are owned by `e` and valid until it is freed. */
int scalpel_executable_input(const scalpel_executable *e, int index, const char **name,
                             const char **dtype, int *rank, const int64_t **shape);

/* Output `index` (0 <= index < n_outputs, in the graph's result order); as
 * scalpel_executable_input. */
int scalpel_executable_output(const scalpel_executable *e, int index, const char **name,
                              const char **dtype, int *rank, const int64_t **shape);

/* A tensor holding a copy of `data`: product(shape) elements of `dtype` (no bytes are read
 * when that is 0, and `data` may then be NULL). rank 0 is a scalar (`shape` may be NULL).
 * `*out` is freed with scalpel_tensor_free. */
int scalpel_tensor_new(const char *dtype, int rank, const int64_t *shape, const void *data,
                       scalpel_tensor **out);

/* A tensor's dtype, rank, shape and data (row-major). Each pointer may be NULL if that item is
 * not wanted. Everything returned is owned by `t` and valid until it is freed; `*data` is
 * never NULL, even for a tensor with no elements. */
int scalpel_tensor_info(const scalpel_tensor *t, const char **dtype, int *rank,
                        const int64_t **shape, const void **data);

/* Runs `e` on `n_inputs` tensors named by `names` (each input exactly once; every parameter of
 * the graph needs one of its exact dtype and shape). The inputs are only read.
 * On success `*n_outputs` is the number of results, and `*output_names` and `*outputs` are
 * arrays of that length in the graph's result order; all of it is freed with one call to
 * scalpel_outputs_free(*n_outputs, *output_names, *outputs). */
int scalpel_execute(scalpel_executable *e, int n_inputs, const char *const *names,
                    scalpel_tensor *const *inputs, int *n_outputs, char ***output_names,
                    scalpel_tensor ***outputs);

void scalpel_graph_free(scalpel_graph *g);
void scalpel_executable_free(scalpel_executable *e);
void scalpel_tensor_free(scalpel_tensor *t);
/* Frees a string returned by the library (scalpel_graph_print). */
void scalpel_string_free(char *s);
/* Frees what scalpel_execute returned: the `n` names, the `n` tensors and both arrays. */
void scalpel_outputs_free(int n, char **names, scalpel_tensor **tensors);

#ifdef __cplusplus
}
#endif

#endif /* SCALPEL_H */
