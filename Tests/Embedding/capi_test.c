/* Tests of include/scalpel.h from C: parse, passes, print, compile on both backends, execute
 * against values computed here, introspection, and bad input giving a status and a message.
 * Built and run by scripts/test-embedding (with AddressSanitizer's leak check); prints
 * "N passed, M failed" last and exits non-zero if anything failed. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scalpel.h"

static int passed, failed;

#define CHECK(cond)                                                     \
  do {                                                                  \
    if (cond) {                                                         \
      passed++;                                                         \
    } else {                                                            \
      failed++;                                                         \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                   \
  } while (0)

/* A call that must fail with `status` and a last error containing `needle`. */
#define CHECK_ERROR(call, status, needle)                                            \
  do {                                                                               \
    int rc_ = (call);                                                                \
    const char *message_ = scalpel_last_error();                                    \
    if (rc_ == (status) && strstr(message_, (needle)) != NULL) {                     \
      passed++;                                                                      \
    } else {                                                                         \
      failed++;                                                                      \
      fprintf(stderr, "%s:%d: %s returned %d (expected %d), message: %s (expected '%s')\n", \
              __FILE__, __LINE__, #call, rc_, (int)(status), message_, needle);      \
    }                                                                                \
  } while (0)

static const char *MLP =
    "graph @mlp(%x: f32[4,3], %w: f32[3,2], %y: f32[4,2]) -> (loss: f32[]) {\n"
    "  %h = matmul %x, %w : f32[4,2]\n"
    "  %a = relu %h : f32[4,2]\n"
    "  %d = sub %a, %y : f32[4,2]\n"
    "  %s = mul %d, %d : f32[4,2]\n"
    "  %l = reduce_mean %s {axes = [0, 1]} : f32[]\n"
    "  return %l\n"
    "}\n";

static float X[4][3], W[3][2], Y[4][2];

/* loss = mean((relu(x·w) − y)²) and its gradient with respect to w, in double. */
static void reference(double *loss, double grad_w[3][2]) {
  double h[4][2], d[4][2];
  *loss = 0;
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 2; j++) {
      h[i][j] = 0;
      for (int k = 0; k < 3; k++) h[i][j] += (double)X[i][k] * W[k][j];
      d[i][j] = (h[i][j] > 0 ? h[i][j] : 0) - Y[i][j];
      *loss += d[i][j] * d[i][j] / 8;
    }
  for (int k = 0; k < 3; k++)
    for (int j = 0; j < 2; j++) {
      grad_w[k][j] = 0;
      for (int i = 0; i < 4; i++)
        if (h[i][j] > 0) grad_w[k][j] += X[i][k] * 2 * d[i][j] / 8;
    }
}

/* The output named `name`, or NULL. */
static scalpel_tensor *find(int n, char **names, scalpel_tensor **tensors, const char *name) {
  for (int i = 0; i < n; i++)
    if (strcmp(names[i], name) == 0) return tensors[i];
  return NULL;
}

static void test_parse_print_apply(void) {
  scalpel_graph *g = NULL, *again = NULL, *trained = NULL;
  char *text = NULL, *text2 = NULL, *trained_text = NULL;
  CHECK(scalpel_graph_parse(MLP, &g) == SCALPEL_OK && g != NULL);
  CHECK(scalpel_graph_print(g, &text) == SCALPEL_OK && text != NULL);
  CHECK(text && strstr(text, "graph @mlp(") == text);
  CHECK(scalpel_graph_parse(text, &again) == SCALPEL_OK);
  CHECK(scalpel_graph_print(again, &text2) == SCALPEL_OK && text && text2 && !strcmp(text, text2));
  CHECK(scalpel_graph_apply(g, "grad{of=loss wrt=w},cse,dce", &trained) == SCALPEL_OK);
  CHECK(scalpel_graph_print(trained, &trained_text) == SCALPEL_OK);
  CHECK(trained_text && strstr(trained_text, "grad_w: f32[3,2]") != NULL);
  /* The input graph is unchanged. */
  scalpel_string_free(text2);
  text2 = NULL;
  CHECK(scalpel_graph_print(g, &text2) == SCALPEL_OK && text && text2 && !strcmp(text, text2));
  scalpel_string_free(text);
  scalpel_string_free(text2);
  scalpel_string_free(trained_text);
  scalpel_graph_free(g);
  scalpel_graph_free(again);
  scalpel_graph_free(trained);
}

static void run_gradient(const char *backend, int threads) {
  scalpel_graph *g = NULL, *trained = NULL;
  scalpel_executable *e = NULL;
  CHECK(scalpel_graph_parse(MLP, &g) == SCALPEL_OK);
  CHECK(scalpel_graph_apply(g, "grad{of=loss wrt=w}", &trained) == SCALPEL_OK);
  CHECK(scalpel_compile(trained, backend, threads, &e) == SCALPEL_OK && e != NULL);
  scalpel_graph_free(g);
  scalpel_graph_free(trained); /* the executable does not depend on the graph */

  int n_in = -1, n_out = -1, rank = -1;
  const char *name = NULL, *dtype = NULL;
  const int64_t *shape = NULL;
  CHECK(scalpel_executable_counts(e, &n_in, &n_out) == SCALPEL_OK && n_in == 3 && n_out == 2);
  CHECK(scalpel_executable_input(e, 1, &name, &dtype, &rank, &shape) == SCALPEL_OK);
  CHECK(name && dtype && shape && !strcmp(name, "w") && !strcmp(dtype, "f32") && rank == 2 &&
        shape[0] == 3 && shape[1] == 2);
  CHECK(scalpel_executable_output(e, 0, &name, NULL, &rank, NULL) == SCALPEL_OK);
  CHECK(name && !strcmp(name, "loss") && rank == 0);
  CHECK_ERROR(scalpel_executable_input(e, 3, &name, NULL, NULL, NULL),
              SCALPEL_ERROR_INVALID_ARGUMENT, "input index 3 is out of range");

  int64_t xs[2] = {4, 3}, ws[2] = {3, 2}, ys[2] = {4, 2};
  scalpel_tensor *in[3] = {NULL, NULL, NULL};
  CHECK(scalpel_tensor_new("f32", 2, xs, X, &in[0]) == SCALPEL_OK);
  CHECK(scalpel_tensor_new("f32", 2, ws, W, &in[1]) == SCALPEL_OK);
  CHECK(scalpel_tensor_new("f32", 2, ys, Y, &in[2]) == SCALPEL_OK);
  const char *names[3] = {"y", "x", "w"}; /* any order */
  scalpel_tensor *ordered[3] = {in[2], in[0], in[1]};
  int n = 0;
  char **out_names = NULL;
  scalpel_tensor **outs = NULL;
  CHECK(scalpel_execute(e, 3, names, ordered, &n, &out_names, &outs) == SCALPEL_OK && n == 2);

  double loss, grad[3][2];
  reference(&loss, grad);
  const void *data = NULL;
  scalpel_tensor *l = find(n, out_names, outs, "loss"), *gw = find(n, out_names, outs, "grad_w");
  CHECK(l && scalpel_tensor_info(l, &dtype, &rank, &shape, &data) == SCALPEL_OK);
  CHECK(l && !strcmp(dtype, "f32") && rank == 0 && fabs(*(const float *)data - loss) < 1e-5);
  CHECK(gw && scalpel_tensor_info(gw, NULL, &rank, &shape, &data) == SCALPEL_OK);
  if (gw && rank == 2 && shape[0] == 3 && shape[1] == 2) {
    const float *values = data;
    for (int i = 0; i < 6; i++) CHECK(fabs(values[i] - grad[i / 2][i % 2]) < 1e-5);
  } else {
    CHECK(!"grad_w has shape [3,2]");
  }
  scalpel_outputs_free(n, out_names, outs);

  /* Inputs that do not match the signature. */
  CHECK_ERROR(scalpel_execute(e, 2, names, ordered, &n, &out_names, &outs),
              SCALPEL_ERROR_EXECUTE, "x");
  CHECK(n == 0 && out_names == NULL && outs == NULL);
  const char *twice[3] = {"x", "x", "y"};
  CHECK_ERROR(scalpel_execute(e, 3, twice, in, &n, &out_names, &outs),
              SCALPEL_ERROR_INVALID_ARGUMENT, "input 'x' is given twice");
  scalpel_tensor *wrong[3] = {in[0], in[0], in[2]};
  const char *plain[3] = {"x", "w", "y"};
  CHECK_ERROR(scalpel_execute(e, 3, plain, wrong, &n, &out_names, &outs), SCALPEL_ERROR_EXECUTE,
              "f32[3,2]");
  CHECK_ERROR(scalpel_execute(e, 3, NULL, in, &n, &out_names, &outs),
              SCALPEL_ERROR_INVALID_ARGUMENT, "names is NULL");
  for (int i = 0; i < 3; i++) scalpel_tensor_free(in[i]);
  scalpel_executable_free(e);
}

static void test_integers_and_kernel_errors(const char *backend) {
  const char *text =
      "graph @ints(%a: i32[3], %b: i32[3]) -> (q: i32[3], gt: i1[3]) {\n"
      "  %q = div %a, %b : i32[3]\n"
      "  %gt = greater %a, %b : i1[3]\n"
      "  return %q, %gt\n"
      "}\n";
  scalpel_graph *g = NULL;
  scalpel_executable *e = NULL;
  CHECK(scalpel_graph_parse(text, &g) == SCALPEL_OK);
  CHECK(scalpel_compile(g, backend, 1, &e) == SCALPEL_OK);
  int32_t a[3] = {7, -9, 4}, b[3] = {2, 3, 5}, zero[3] = {1, 0, 1};
  int64_t shape[1] = {3};
  scalpel_tensor *in[2] = {NULL, NULL};
  CHECK(scalpel_tensor_new("i32", 1, shape, a, &in[0]) == SCALPEL_OK);
  CHECK(scalpel_tensor_new("i32", 1, shape, b, &in[1]) == SCALPEL_OK);
  const char *names[2] = {"a", "b"};
  int n = 0;
  char **out_names = NULL;
  scalpel_tensor **outs = NULL;
  CHECK(scalpel_execute(e, 2, names, in, &n, &out_names, &outs) == SCALPEL_OK && n == 2);
  const void *data = NULL;
  const char *dtype = NULL;
  if (n == 2) {
    CHECK(!strcmp(out_names[0], "q") && !strcmp(out_names[1], "gt"));
    CHECK(scalpel_tensor_info(outs[0], &dtype, NULL, NULL, &data) == SCALPEL_OK);
    const int32_t *q = data;
    CHECK(!strcmp(dtype, "i32") && q[0] == 7 / 2 && q[1] == -9 / 3 && q[2] == 4 / 5);
    CHECK(scalpel_tensor_info(outs[1], &dtype, NULL, NULL, &data) == SCALPEL_OK);
    const unsigned char *gt = data;
    CHECK(!strcmp(dtype, "i1") && gt[0] == 1 && gt[1] == 0 && gt[2] == 0);
  }
  scalpel_outputs_free(n, out_names, outs);
  scalpel_tensor_free(in[1]);
  CHECK(scalpel_tensor_new("i32", 1, shape, zero, &in[1]) == SCALPEL_OK);
  CHECK_ERROR(scalpel_execute(e, 2, names, in, &n, &out_names, &outs), SCALPEL_ERROR_EXECUTE,
              "integer division by zero");
  scalpel_tensor_free(in[0]);
  scalpel_tensor_free(in[1]);
  scalpel_executable_free(e);
  scalpel_graph_free(g);
}

static void test_tensors(void) {
  scalpel_tensor *t = (scalpel_tensor *)&passed; /* must be reset to NULL on failure */
  int64_t shape[2] = {2, 3}, negative[2] = {2, -1}, huge[2] = {1LL << 40, 1LL << 40},
          big[2] = {1LL << 31, 1LL << 31};
  double values[6] = {1, 2, 3, 4, 5, 6};
  CHECK_ERROR(scalpel_tensor_new("f16", 2, shape, values, &t), SCALPEL_ERROR_INVALID_ARGUMENT,
              "unknown dtype 'f16'");
  CHECK(t == NULL);
  CHECK_ERROR(scalpel_tensor_new("f64", 2, negative, values, &t), SCALPEL_ERROR_INVALID_ARGUMENT,
              "shape[1] is -1");
  CHECK_ERROR(scalpel_tensor_new("f64", 2, huge, values, &t), SCALPEL_ERROR_INVALID_ARGUMENT,
              "more elements than fit");
  CHECK_ERROR(scalpel_tensor_new("f64", 2, big, values, &t), SCALPEL_ERROR_INVALID_ARGUMENT,
              "more bytes than fit");
  CHECK_ERROR(scalpel_tensor_new("f64", 65, shape, values, &t), SCALPEL_ERROR_INVALID_ARGUMENT,
              "rank is 65");
  CHECK_ERROR(scalpel_tensor_new("f64", -1, shape, values, &t), SCALPEL_ERROR_INVALID_ARGUMENT,
              "rank is -1");
  CHECK_ERROR(scalpel_tensor_new("f64", 2, NULL, values, &t), SCALPEL_ERROR_INVALID_ARGUMENT,
              "shape (rank 2) is NULL");
  CHECK_ERROR(scalpel_tensor_new("f64", 2, shape, NULL, &t), SCALPEL_ERROR_INVALID_ARGUMENT,
              "data (f64[2,3] has 6 elements) is NULL");
  CHECK_ERROR(scalpel_tensor_new(NULL, 2, shape, values, &t), SCALPEL_ERROR_INVALID_ARGUMENT,
              "dtype is NULL");
  CHECK_ERROR(scalpel_tensor_new("f64", 2, shape, values, NULL), SCALPEL_ERROR_INVALID_ARGUMENT,
              "out is NULL");
  CHECK_ERROR(scalpel_tensor_info(NULL, NULL, NULL, NULL, NULL), SCALPEL_ERROR_INVALID_ARGUMENT,
              "t is NULL");

  /* A copy is taken: changing the caller's buffer afterwards changes nothing. */
  CHECK(scalpel_tensor_new("f64", 2, shape, values, &t) == SCALPEL_OK);
  values[0] = 100;
  const char *dtype = NULL;
  int rank = -1;
  const int64_t *got = NULL;
  const void *data = NULL;
  CHECK(scalpel_tensor_info(t, &dtype, &rank, &got, &data) == SCALPEL_OK);
  CHECK(!strcmp(dtype, "f64") && rank == 2 && got[0] == 2 && got[1] == 3);
  CHECK(((const double *)data)[0] == 1 && ((const double *)data)[5] == 6);
  scalpel_tensor_free(t);

  /* Scalars and empty tensors need no shape or data. */
  CHECK(scalpel_tensor_new("i64", 0, NULL, &huge[0], &t) == SCALPEL_OK);
  CHECK(scalpel_tensor_info(t, NULL, &rank, NULL, &data) == SCALPEL_OK && rank == 0 &&
        *(const int64_t *)data == (1LL << 40));
  scalpel_tensor_free(t);
  int64_t empty[2] = {0, 5};
  CHECK(scalpel_tensor_new("i1", 2, empty, NULL, &t) == SCALPEL_OK);
  CHECK(scalpel_tensor_info(t, NULL, NULL, NULL, &data) == SCALPEL_OK && data != NULL);
  scalpel_tensor_free(t);
}

static void test_errors(void) {
  scalpel_graph *g = NULL, *out = NULL;
  scalpel_executable *e = NULL;
  char *text = NULL;
  CHECK_ERROR(scalpel_graph_parse("graph @g(%x: f32[2]) -> (y: f32[2]) {\n  %y = frobnicate %x",
                                  &g),
              SCALPEL_ERROR_PARSE, "<input>:2:");
  CHECK(g == NULL);
  CHECK_ERROR(scalpel_graph_parse("", &g), SCALPEL_ERROR_PARSE, "<input>:1:1:");
  CHECK_ERROR(scalpel_graph_parse("graph @a() -> () {\n  return\n}\n"
                                  "graph @b() -> () {\n  return\n}\n",
                                  &g),
              SCALPEL_ERROR_PARSE, "exactly one graph, found 2");
  CHECK_ERROR(scalpel_graph_parse("graph @g(%x: f32[2]) -> (y: f32[2], y: f32[2]) {\n"
                                  "  return %x, %x\n}\n",
                                  &g),
              SCALPEL_ERROR_PARSE, "<input>:1:37: error: result 'y' is named twice");
  CHECK_ERROR(scalpel_graph_parse("graph @g() -> () {\n  return\n}\n\xff", &g),
              SCALPEL_ERROR_INVALID_ARGUMENT, "not valid UTF-8");
  CHECK_ERROR(scalpel_graph_parse(NULL, &g), SCALPEL_ERROR_INVALID_ARGUMENT, "ir_text is NULL");
  CHECK_ERROR(scalpel_graph_print(NULL, &text), SCALPEL_ERROR_INVALID_ARGUMENT, "g is NULL");

  CHECK(scalpel_graph_parse(MLP, &g) == SCALPEL_OK);
  CHECK_ERROR(scalpel_graph_apply(g, "cse,frobnicate", &out), SCALPEL_ERROR_PASS,
              "unknown pass 'frobnicate'");
  CHECK_ERROR(scalpel_graph_apply(g, "grad{of=nothing wrt=w}", &out), SCALPEL_ERROR_PASS,
              "nothing");
  CHECK_ERROR(scalpel_graph_apply(g, "grad{of=loss", &out), SCALPEL_ERROR_PASS, "grad");
  CHECK(out == NULL);
  CHECK(scalpel_graph_apply(g, "", &out) == SCALPEL_OK);
  scalpel_graph_free(out);
  CHECK_ERROR(scalpel_compile(g, "gpu", 0, &e), SCALPEL_ERROR_INVALID_ARGUMENT,
              "unknown backend 'gpu'");
  CHECK_ERROR(scalpel_compile(g, "jit", -2, &e), SCALPEL_ERROR_INVALID_ARGUMENT, "threads is -2");
  CHECK_ERROR(scalpel_compile(g, "interpreter", SCALPEL_MAX_THREADS + 1, &e),
              SCALPEL_ERROR_INVALID_ARGUMENT, "threads is 257; expected 0 (all cores) to 256");
  CHECK(e == NULL);
  scalpel_graph_free(g);
  /* Free functions accept NULL. */
  scalpel_graph_free(NULL);
  scalpel_executable_free(NULL);
  scalpel_tensor_free(NULL);
  scalpel_string_free(NULL);
  scalpel_outputs_free(0, NULL, NULL);
}

/* The last error is per thread: a new thread has none, and its failures stay its own. */
static void *other_thread(void *unused) {
  (void)unused;
  int fresh = scalpel_last_error()[0] == '\0';
  scalpel_graph *g = NULL;
  int failed_here = scalpel_graph_parse(NULL, &g) == SCALPEL_ERROR_INVALID_ARGUMENT;
  return (void *)(long)(fresh && failed_here);
}

static void test_thread_local_error(void) {
  scalpel_graph *g = NULL;
  CHECK(scalpel_graph_parse("graph", &g) == SCALPEL_ERROR_PARSE);
  char before[512];
  snprintf(before, sizeof before, "%s", scalpel_last_error());
  pthread_t thread;
  void *ok = NULL;
  CHECK(pthread_create(&thread, NULL, other_thread, NULL) == 0);
  CHECK(pthread_join(thread, &ok) == 0 && ok == (void *)1L);
  CHECK(!strcmp(before, scalpel_last_error()));
}

int main(void) {
  for (int i = 0; i < 4; i++)
    for (int k = 0; k < 3; k++) X[i][k] = (float)((i * 3 + k) % 5) * 0.5f - 1.0f;
  for (int k = 0; k < 3; k++)
    for (int j = 0; j < 2; j++) W[k][j] = (float)((k + 2 * j) % 4) * 0.25f - 0.3f;
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 2; j++) Y[i][j] = (float)(i - j) * 0.2f;

  CHECK(!strcmp(scalpel_version(), SCALPEL_VERSION));
  test_parse_print_apply();
  run_gradient("interpreter", 0);
  run_gradient("jit", 0);
  run_gradient("jit", 1);
  test_integers_and_kernel_errors("interpreter");
  test_integers_and_kernel_errors("jit");
  test_tensors();
  test_errors();
  test_thread_local_error();
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
