/*===- weights.c - Weights files, mapped, and their tensors by name -------===*
 *
 * attnc_weights_open maps a file read-only and lists its tensors (the
 * readers are in weights_formats.c); the tensors' bytes stay in the mapping,
 * so opening a large file costs no copy. Two things do allocate, and belong
 * to the weights until they are closed: a copy of a tensor whose bytes are
 * not aligned to its element size (a .npz entry may start anywhere), and a
 * tensor converted to the dtype a model declares (attnc_weights_convert).
 *
 *===----------------------------------------------------------------------===*/

#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct weight_entry {
  char *name;
  char file_dtype[16]; /* as safetensors spells it: "F32", "BF16", "U8" ... */
  int dtype;           /* the attnc_dtype, or -1 for one attnc does not read */
  int32_t rank;
  int64_t *shape;
  const void *data;
  size_t bytes;
  void *copy; /* owned, when data had to be aligned */
} weight_entry;

typedef struct conversion {
  size_t entry;
  attnc_dtype dtype;
  void *data;
  struct conversion *next;
} conversion;

struct attnc_weights {
  char *path;
  void *map;
  size_t map_bytes;
  weight_entry *entries;
  size_t n, capacity;
  conversion *conversions;
};

static int dtype_of(const char *file_dtype) {
  static const struct {
    const char *name;
    attnc_dtype dtype;
  } table[] = {{"F32", ATTNC_F32}, {"F16", ATTNC_F16}, {"BF16", ATTNC_BF16},
               {"I32", ATTNC_I32}, {"I64", ATTNC_I64}, {"F64", ATTNC_F64}};
  for (size_t i = 0; i < sizeof table / sizeof table[0]; ++i)
    if (strcmp(file_dtype, table[i].name) == 0)
      return (int)table[i].dtype;
  return -1;
}

const char *attnc_weights_path(const attnc_weights *w) { return w->path; }

attnc_status attnc_weights_add(attnc_weights *w, const char *name, size_t name_len,
                               const char *file_dtype, int32_t rank, const int64_t *shape,
                               const void *data, size_t bytes) {
  for (size_t i = 0; i < w->n; ++i)
    if (strlen(w->entries[i].name) == name_len && memcmp(w->entries[i].name, name, name_len) == 0)
      return attnc_fail(ATTNC_ERR_INVALID_ARGUMENT, "%s: tensor '%.*s' appears twice", w->path,
                        (int)name_len, name);
  if (w->n == w->capacity) {
    size_t capacity = w->capacity ? 2 * w->capacity : 64;
    weight_entry *grown = realloc(w->entries, capacity * sizeof *grown);
    if (!grown)
      return attnc_fail(ATTNC_ERR_OUT_OF_MEMORY, "%s: no memory for the tensor list", w->path);
    w->entries = grown;
    w->capacity = capacity;
  }
  weight_entry *e = &w->entries[w->n];
  memset(e, 0, sizeof *e);
  e->name = malloc(name_len + 1);
  e->shape = malloc((size_t)(rank > 0 ? rank : 1) * sizeof *shape);
  if (!e->name || !e->shape) {
    free(e->name);
    free(e->shape);
    return attnc_fail(ATTNC_ERR_OUT_OF_MEMORY, "%s: no memory for the tensor list", w->path);
  }
  memcpy(e->name, name, name_len);
  e->name[name_len] = '\0';
  snprintf(e->file_dtype, sizeof e->file_dtype, "%s", file_dtype);
  e->dtype = dtype_of(file_dtype);
  e->rank = rank;
  memcpy(e->shape, shape, (size_t)rank * sizeof *shape);
  e->data = data;
  e->bytes = bytes;
  ++w->n;
  /* Generated code reads elements at their natural alignment. */
  int64_t elem = e->dtype >= 0 ? attnc_dtype_size(e->dtype) : 1;
  if ((uintptr_t)data % (uintptr_t)elem != 0) {
    e->copy = malloc(bytes);
    if (!e->copy)
      return attnc_fail(ATTNC_ERR_OUT_OF_MEMORY, "%s: no memory to align tensor '%s'", w->path,
                        e->name);
    memcpy(e->copy, data, bytes);
    e->data = e->copy;
  }
  return ATTNC_OK;
}

attnc_status attnc_weights_open(const char *path, attnc_weights **out) {
  attnc_clear_error();
  if (!out || !path)
    return attnc_fail(ATTNC_ERR_NULL_POINTER, "attnc_weights_open: %s is NULL",
                      path ? "out" : "path");
  *out = NULL;
  attnc_weights *w = calloc(1, sizeof *w);
  if (!w || !(w->path = malloc(strlen(path) + 1))) {
    free(w);
    return attnc_fail(ATTNC_ERR_OUT_OF_MEMORY, "%s: no memory to open it", path);
  }
  strcpy(w->path, path);
  int fd = open(path, O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    int err = fd < 0 ? errno : 0;
    if (fd >= 0)
      close(fd);
    attnc_weights_close(w);
    return attnc_fail(ATTNC_ERR_INVALID_ARGUMENT, "%s: %s", path,
                      err ? strerror(err) : "not a regular file");
  }
  w->map_bytes = (size_t)st.st_size;
  if (w->map_bytes > 0) {
    w->map = mmap(NULL, w->map_bytes, PROT_READ, MAP_PRIVATE, fd, 0);
    if (w->map == MAP_FAILED) {
      int err = errno;
      w->map = NULL;
      close(fd);
      attnc_weights_close(w);
      return attnc_fail(ATTNC_ERR_OUT_OF_MEMORY, "%s: cannot map it: %s", path, strerror(err));
    }
  }
  close(fd);
  attnc_status s = attnc_weights_read_formats(w, path, w->map, w->map_bytes);
  if (s != ATTNC_OK) {
    attnc_weights_close(w);
    return s;
  }
  *out = w;
  return ATTNC_OK;
}

void attnc_weights_close(attnc_weights *w) {
  if (!w)
    return;
  for (size_t i = 0; i < w->n; ++i) {
    free(w->entries[i].name);
    free(w->entries[i].shape);
    free(w->entries[i].copy);
  }
  free(w->entries);
  for (conversion *c = w->conversions, *next; c; c = next) {
    next = c->next;
    free(c->data);
    free(c);
  }
  if (w->map)
    munmap(w->map, w->map_bytes);
  free(w->path);
  free(w);
}

size_t attnc_weights_count(const attnc_weights *w) { return w ? w->n : 0; }

/* Fills the caller's view of entry i; a dtype attnc does not read is an
 * error that still names the tensor. */
static attnc_status view(const attnc_weights *w, size_t i, const char **name, attnc_tensor *out) {
  const weight_entry *e = &w->entries[i];
  if (name)
    *name = e->name;
  if (out) {
    out->data = (void *)e->data;
    out->dtype = e->dtype >= 0 ? (attnc_dtype)e->dtype : ATTNC_F32;
    out->rank = e->rank;
    out->shape = e->shape;
    out->strides = NULL;
  }
  if (e->dtype < 0)
    return attnc_fail(ATTNC_ERR_UNSUPPORTED, "%s: tensor '%s' is %s, a dtype attnc does not read",
                      w->path, e->name, e->file_dtype);
  return ATTNC_OK;
}

attnc_status attnc_weights_at(const attnc_weights *w, size_t index, const char **name,
                              attnc_tensor *out) {
  attnc_clear_error();
  if (!w)
    return attnc_fail(ATTNC_ERR_NULL_POINTER, "attnc_weights_at: weights is NULL");
  if (index >= w->n)
    return attnc_fail(ATTNC_ERR_INVALID_ARGUMENT, "%s: index %zu, but it holds %zu tensors",
                      w->path, index, w->n);
  return view(w, index, name, out);
}

/* Whether `file_name` with every '.' replaced by '_' is `param`. */
static int matches_underscored(const char *file_name, const char *param) {
  for (; *file_name && *param; ++file_name, ++param)
    if (*file_name == '.' ? *param != '_' : *file_name != *param)
      return 0;
  return !*file_name && !*param;
}

attnc_status attnc_weights_index_for(const attnc_weights *w, const char *param, size_t *index) {
  for (size_t i = 0; i < w->n; ++i)
    if (strcmp(w->entries[i].name, param) == 0) {
      *index = i;
      return ATTNC_OK;
    }
  size_t found = w->n;
  for (size_t i = 0; i < w->n; ++i) {
    if (!matches_underscored(w->entries[i].name, param))
      continue;
    if (found < w->n)
      return attnc_fail(ATTNC_ERR_INVALID_ARGUMENT,
                        "%s: both '%s' and '%s' could be '%s'; rename the tensors or give the "
                        "param one of the names exactly",
                        w->path, w->entries[found].name, w->entries[i].name, param);
    found = i;
  }
  if (found == w->n)
    return attnc_fail(ATTNC_ERR_INVALID_ARGUMENT,
                      "%s: no tensor named '%s' (nor one whose name reads so with '.' for '_')",
                      w->path, param);
  *index = found;
  return ATTNC_OK;
}

attnc_status attnc_weights_lookup(const attnc_weights *w, const char *param, const char **name,
                                  attnc_tensor *out) {
  attnc_clear_error();
  if (!w || !param)
    return attnc_fail(ATTNC_ERR_NULL_POINTER, "attnc_weights_lookup: %s is NULL",
                      w ? "param" : "weights");
  size_t i;
  attnc_status s = attnc_weights_index_for(w, param, &i);
  return s != ATTNC_OK ? s : view(w, i, name, out);
}

/*===----------------------------------------------------------------------===*
 * Conversions between storage types
 *===----------------------------------------------------------------------===*/

static float bits_to_f32(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}

static uint32_t f32_to_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}

static float f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = h >> 10 & 0x1F, mant = h & 0x3FF;
  if (exp == 0x1F)
    return bits_to_f32(sign | 0x7F800000 | mant << 13);
  if (exp == 0) /* zero or subnormal: mant * 2^-24 */
    return (sign ? -1.0f : 1.0f) * (float)mant * 5.9604644775390625e-8f;
  return bits_to_f32(sign | (exp + 112) << 23 | mant << 13);
}

/* Rounds to nearest, ties to even. */
static uint16_t f32_to_f16(float f) {
  uint32_t u = f32_to_bits(f), sign = u >> 16 & 0x8000, abs = u & 0x7FFFFFFF;
  if (abs > 0x7F800000)
    return (uint16_t)(sign | 0x7E00); /* NaN */
  if (abs >= 0x477FF000)             /* rounds beyond 65504 */
    return (uint16_t)(sign | 0x7C00);
  if (abs < 0x38800000) { /* a subnormal half (or zero): round abs * 2^24 */
    float scaled = bits_to_f32(abs) * 16777216.0f;
    uint32_t m = (uint32_t)scaled;
    float rest = scaled - (float)m;
    if (rest > 0.5f || (rest == 0.5f && (m & 1)))
      ++m;
    return (uint16_t)(sign | m);
  }
  uint32_t mant = abs + 0xFFF + (abs >> 13 & 1) - 0x38000000; /* rebias 127 -> 15 */
  return (uint16_t)(sign | mant >> 13);
}

static float bf16_to_f32(uint16_t h) { return bits_to_f32((uint32_t)h << 16); }

static uint16_t f32_to_bf16(float f) {
  uint32_t u = f32_to_bits(f);
  if ((u & 0x7FFFFFFF) > 0x7F800000)
    return (uint16_t)(u >> 16 | 0x40); /* NaN stays NaN */
  return (uint16_t)((u + 0x7FFF + (u >> 16 & 1)) >> 16);
}

/* Element i of a float entry as f32 (f64 is rounded once, to f32). */
static float float_at(const weight_entry *e, size_t i) {
  const unsigned char *p = e->data;
  uint16_t h;
  switch (e->dtype) {
  case ATTNC_F32: {
    float f;
    memcpy(&f, p + 4 * i, 4);
    return f;
  }
  case ATTNC_F64: {
    double d;
    memcpy(&d, p + 8 * i, 8);
    return (float)d;
  }
  case ATTNC_F16:
    memcpy(&h, p + 2 * i, 2);
    return f16_to_f32(h);
  default:
    memcpy(&h, p + 2 * i, 2);
    return bf16_to_f32(h);
  }
}

static int is_float(int dtype) {
  return dtype == ATTNC_F32 || dtype == ATTNC_F16 || dtype == ATTNC_BF16 || dtype == ATTNC_F64;
}

attnc_status attnc_weights_convert(attnc_weights *w, size_t index, attnc_dtype want,
                                   const char *subject, const void **data) {
  const weight_entry *e = &w->entries[index];
  if (e->dtype == (int)want) {
    *data = e->data;
    return ATTNC_OK;
  }
  int floats = is_float(e->dtype) && want != ATTNC_I32 && want != ATTNC_I64 && want != ATTNC_F64;
  int ints = (e->dtype == ATTNC_I64 && want == ATTNC_I32) ||
             (e->dtype == ATTNC_I32 && want == ATTNC_I64);
  if (!floats && !ints)
    return attnc_fail(ATTNC_ERR_DTYPE_MISMATCH, "%s is %s, but '%s' in %s is %s", subject,
                      attnc_dtype_name(want), e->name, w->path, e->file_dtype);
  for (conversion *c = w->conversions; c; c = c->next)
    if (c->entry == index && c->dtype == want) {
      *data = c->data;
      return ATTNC_OK;
    }
  size_t n = e->bytes / (size_t)attnc_dtype_size(e->dtype);
  conversion *c = calloc(1, sizeof *c);
  void *out = malloc(n ? n * (size_t)attnc_dtype_size(want) : 1);
  if (!c || !out) {
    free(c);
    free(out);
    return attnc_fail(ATTNC_ERR_OUT_OF_MEMORY, "%s: no memory to convert '%s' to %s", w->path,
                      e->name, attnc_dtype_name(want));
  }
  for (size_t i = 0; i < n; ++i) {
    if (ints && want == ATTNC_I64) {
      int32_t v;
      memcpy(&v, (const unsigned char *)e->data + 4 * i, 4);
      ((int64_t *)out)[i] = v;
    } else if (ints) {
      int64_t v;
      memcpy(&v, (const unsigned char *)e->data + 8 * i, 8);
      if (v < INT32_MIN || v > INT32_MAX) {
        free(c);
        free(out);
        return attnc_fail(ATTNC_ERR_DTYPE_MISMATCH,
                          "%s is i32, but '%s' in %s holds %" PRId64
                          " at element %zu, beyond i32's range",
                          subject, e->name, w->path, v, i);
      }
      ((int32_t *)out)[i] = (int32_t)v;
    } else if (want == ATTNC_F32) {
      ((float *)out)[i] = float_at(e, i);
    } else {
      float f = float_at(e, i);
      ((uint16_t *)out)[i] = want == ATTNC_F16 ? f32_to_f16(f) : f32_to_bf16(f);
    }
  }
  c->entry = index;
  c->dtype = want;
  c->data = out;
  c->next = w->conversions;
  w->conversions = c;
  *data = out;
  return ATTNC_OK;
}

const char *attnc_weights_entry_name(const attnc_weights *w, size_t index) {
  return w->entries[index].name;
}

void attnc_weights_entry_shape(const attnc_weights *w, size_t index, int32_t *rank,
                               const int64_t **shape) {
  *rank = w->entries[index].rank;
  *shape = w->entries[index].shape;
}
