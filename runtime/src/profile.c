/*===- profile.c - The clock of kernels compiled for profiling ------------===*
 *
 * `attnc bench --profile` compiles kernels that read this clock after each
 * of their loop nests and add the time to a counter per loop nest.
 *
 *===----------------------------------------------------------------------===*/

#include "attnc/runtime.h"

#include <time.h>

int64_t attnc_profile_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}
