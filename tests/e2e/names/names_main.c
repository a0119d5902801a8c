/* names_main.c: calls every model of names.attn through the generated header,
 * whose models, dims and tensors are named what C, C++ and their preprocessors
 * read as something else. Built as C11 and as C++17 (link_example.sh); each
 * struct member is set by the spelling docs/usage.md promises, so a header
 * that spells one otherwise does not compile.
 */

/* Whatever a program may have defined before it includes a model's header:
 * the C library's macros (iso646.h makes `and`, `not` ... macros in C), and
 * those that GNU modes predefine, defined here for the strict modes too. */
#include <assert.h>
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <iso646.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifndef __cplusplus
#include <complex.h>
#include <stdalign.h>
#include <stdnoreturn.h>
#endif
#ifndef linux
#define linux 1
#endif
#ifndef unix
#define unix 1
#endif
#ifndef i386
#define i386 1
#endif
#ifndef WIN32
#define WIN32 1
#endif

#include "names.h"

static int failures = 0;

static void expect(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "wrong: %s\n", what);
    ++failures;
  }
}

static void check(attnc_status status, const char *what) {
  if (status != ATTNC_OK) {
    fprintf(stderr, "%s failed: %s: %s\n", what, attnc_status_string(status),
            attnc_last_error());
    exit(1);
  }
}

static uint16_t to_bf16(float f) {
  uint32_t bits;
  memcpy(&bits, &f, sizeof bits);
  return (uint16_t)(bits >> 16);
}

static float from_bf16(uint16_t h) {
  uint32_t bits = (uint32_t)h << 16;
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

/* Runs MODEL, whose input x and output y have COUNT elements. */
#define RUN_X_TO_Y(MODEL, X, Y, COUNT)                                                      \
  do {                                                                                      \
    MODEL##_dims dims;                                                                      \
    MODEL##_inputs in;                                                                      \
    MODEL##_outputs out;                                                                    \
    dims.N = (COUNT);                                                                       \
    in.x = (X);                                                                             \
    out.y = (Y);                                                                            \
    check(MODEL##_run(&dims, &in, NULL, &out, NULL), #MODEL "_run");                        \
  } while (0)

/* The models named after C library functions compute exp(x) + tanh(x). */
#define CHECK_LIBRARY_NAMED(MODEL)                                                          \
  do {                                                                                      \
    float x[5] = {-2.0f, -0.5f, 0.0f, 0.25f, 1.5f}, y[5] = {0};                            \
    RUN_X_TO_Y(MODEL, x, y, 5);                                                             \
    for (int i = 0; i < 5; ++i)                                                             \
      expect(fabsf(y[i] - (expf(x[i]) + tanhf(x[i]))) <= 1e-5f * (1.0f + fabsf(y[i])),     \
             #MODEL);                                                                       \
  } while (0)

/* m computes x + 1, m_run x + 2. */
static void check_m_and_m_run(void) {
  float x[3] = {1.0f, 2.0f, 3.0f}, y[3] = {0}, z[3] = {0};
  RUN_X_TO_Y(m, x, y, 3);
  RUN_X_TO_Y(m_run, x, z, 3);
  for (int i = 0; i < 3; ++i) {
    expect(y[i] == x[i] + 1.0f, "m");
    expect(z[i] == x[i] + 2.0f, "m_run");
  }
}

/* Every dim is 1 but `float` (2) and `float_` (3): `and` has 6 elements, the
 * 1-D tensors 2. */
static void check_names(void) {
  names_dims d;
  d.float_2 = 2;
  d.float_ = 3;
  d.Bool_2 = d.Bool_ = d.int64_t_ = d.size_t_ = d.x86_64_ = d.a_b_ = d._2d_ = 1;
  d.linux_ = d.unix_ = d.i386_ = d.WIN32_ = d.INT64_MAX_ = d.SIZE_MAX_ = d.EOF_ = 1;
  d.errno_ = d.NULL_ = d.assert_ = d.offsetof_ = d.ATTNC_GENERATED_malloc_H_ = 1;
  d.ATTNC_RUNTIME_H_ = d.PRId64_ = d.FLT_MAX_ = d.stdin_ = d.names_dims = 1;

  float a[6] = {1, 2, 3, 4, 5, 6};
  float v[8][2] = {{1, 2}, {3, 4}, {5, 6}, {7, 8}, {9, 10}, {11, 12}, {13, 14}, {15, 16}};
  int32_t i1[2] = {7, -3}, i2[2] = {5, 100};
  uint16_t b1[2] = {to_bf16(1.5f), to_bf16(-2.0f)}, b2[2] = {to_bf16(4.0f), to_bf16(0.5f)};
  names_inputs in;
  in.and_ = a;
  in.not_ = v[0];
  in.class_ = v[1];
  in.new_ = v[2];
  in.this_ = v[3];
  in.co_await_ = v[4];
  in.char8_t_ = v[5];
  in.requires_ = v[6];
  in.nullptr_ = v[7];
  in.int32_t_2 = i1;
  in.int32_t_ = i2;
  in.uint16_t_ = b1;
  in.bfloat16 = b2;
  float reg = 3.0f, automatic = -2.0f;
  names_params p;
  p.register_ = &reg;
  p.auto_ = &automatic;
  float exported[6] = {0}, deleted[2] = {0};
  int32_t aligned[2] = {0};
  uint16_t templated[2] = {0};
  names_outputs out;
  out.export_ = exported;
  out.delete_ = deleted;
  out.Alignas_ = aligned;
  out.template_ = templated;
  check(names_run(&d, &in, &p, &out, NULL), "names_run");

  for (int i = 0; i < 6; ++i)
    expect(exported[i] == a[i] * automatic, "export");
  for (int i = 0; i < 2; ++i) {
    float want = v[0][i] * reg + v[1][i] - v[2][i] + v[3][i] * v[4][i] - v[5][i] +
                 v[6][i] * v[7][i];
    expect(deleted[i] == want, "delete");
    expect(aligned[i] == i1[i] + i2[i], "_Alignas");
    expect(from_bf16(templated[i]) == from_bf16(b1[i]) * from_bf16(b2[i]), "template");
  }
  expect(names_output_elements(&d, 0) == 6, "names_output_elements");
  /* The manifest keeps the names as the model spells them. */
  const char *manifest = names_manifest_json();
  expect(strstr(manifest, "{\"name\": \"_Bool\", \"value\": \"symbolic\"}") != NULL,
         "manifest dim _Bool");
  expect(strstr(manifest, "{\"name\": \"and\", \"dtype\": \"f32\"") != NULL,
         "manifest input and");
}

int main(void) {
  CHECK_LIBRARY_NAMED(malloc);
  CHECK_LIBRARY_NAMED(free);
  CHECK_LIBRARY_NAMED(main);
  CHECK_LIBRARY_NAMED(memcpy);
  CHECK_LIBRARY_NAMED(expf);
  CHECK_LIBRARY_NAMED(tanhf);
  check_m_and_m_run();
  check_names();
  if (failures)
    return 1;
  printf("names: every model ran as expected\n");
  return 0;
}
