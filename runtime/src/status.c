/*===- status.c - Status strings and the thread-local detail message ------===*/

#include "internal.h"

#include <stdarg.h>
#include <stdio.h>

/* The runtime's only static storage: one message per thread, so concurrent
 * runs on different threads never see each other's errors. */
static _Thread_local char last_error[1024];

const char *attnc_status_string(attnc_status s) {
  switch (s) {
  case ATTNC_OK:
    return "ok";
  case ATTNC_ERR_INVALID_ARGUMENT:
    return "invalid argument";
  case ATTNC_ERR_NULL_POINTER:
    return "null pointer";
  case ATTNC_ERR_SHAPE_MISMATCH:
    return "shape mismatch";
  case ATTNC_ERR_DTYPE_MISMATCH:
    return "dtype mismatch";
  case ATTNC_ERR_OUT_OF_MEMORY:
    return "out of memory";
  case ATTNC_ERR_DEVICE:
    return "device error";
  case ATTNC_ERR_UNSUPPORTED:
    return "unsupported";
  case ATTNC_ERR_INTERNAL:
    return "internal error";
  }
  return "unknown status";
}

const char *attnc_last_error(void) { return last_error; }

void attnc_clear_error(void) { last_error[0] = '\0'; }

attnc_status attnc_fail(attnc_status status, const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  /* A message longer than the buffer is truncated, which vsnprintf does. */
  vsnprintf(last_error, sizeof last_error, fmt, args);
  va_end(args);
  return status;
}
