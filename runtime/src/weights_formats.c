/*===- weights_formats.c - Reading safetensors, .npz and .npy files -------===*
 *
 * Each reader walks a file that is already mapped into memory and registers
 * every tensor it finds with attnc_weights_add: a name, the dtype as the
 * file spells it, a shape and the bytes, which stay in the mapping. Files
 * come from users, so every offset, length and product is checked before
 * it is used: a truncated or corrupt file is an error naming the file and
 * what is wrong, never a read out of bounds.
 *
 *===----------------------------------------------------------------------===*/

#include "internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* More axes than any tensor in a weights file has. */
#define MAX_RANK 32

static uint64_t read_le(const unsigned char *p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i)
    v = v << 8 | p[i];
  return v;
}

/* The element count of `shape`, or -1 when it overflows. */
static int64_t element_count(const int64_t *shape, int32_t rank) {
  int64_t n = 1;
  for (int32_t a = 0; a < rank; ++a)
    if (shape[a] < 0 || __builtin_mul_overflow(n, shape[a], &n))
      return -1;
  return n;
}

/* Checks that `bytes` are exactly what `shape` of `elem_size`-byte elements
 * needs, then registers the tensor. */
static attnc_status add_checked(attnc_weights *w, const char *path, const char *name,
                                size_t name_len, const char *file_dtype, int elem_size,
                                const int64_t *shape, int32_t rank, const unsigned char *data,
                                uint64_t bytes) {
  int64_t n = element_count(shape, rank), need;
  if (n < 0 || __builtin_mul_overflow(n, (int64_t)elem_size, &need) || (uint64_t)need != bytes)
    return attnc_fail(ATTNC_ERR_INVALID_ARGUMENT,
                      "%s: tensor '%.*s' holds %" PRIu64 " bytes, but its shape and dtype %s "
                      "need %s",
                      path, (int)name_len, name, bytes, file_dtype,
                      n < 0 ? "more than int64 counts" : "a different number");
  return attnc_weights_add(w, name, name_len, file_dtype, rank, shape, data, (size_t)bytes);
}

/*===----------------------------------------------------------------------===*
 * safetensors: an 8-byte header length, a JSON header, the data
 *===----------------------------------------------------------------------===*/

/* A cursor over the JSON header. Only what safetensors writes is needed:
 * objects, arrays, strings, non-negative integers; anything else is
 * skipped by skip_value. */
typedef struct json {
  const char *p, *end;
} json;

static void skip_space(json *j) {
  while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
    ++j->p;
}

static int take(json *j, char c) {
  skip_space(j);
  if (j->p < j->end && *j->p == c) {
    ++j->p;
    return 1;
  }
  return 0;
}

static int hex4(const char *p, unsigned *v) {
  *v = 0;
  for (int i = 0; i < 4; ++i) {
    char c = p[i];
    int d = c >= '0' && c <= '9' ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (d < 0)
      return 0;
    *v = *v << 4 | (unsigned)d;
  }
  return 1;
}

static size_t put_utf8(char *out, unsigned cp) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | cp >> 6);
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | cp >> 12);
    out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | cp >> 18);
  out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
  out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Decodes a string into a new allocation (*out, *len; NUL-terminated; a
 * decoded string is never longer than its escaped form). 0 on bad syntax or
 * no memory (*out NULL then). */
static int parse_string(json *j, char **out, size_t *len) {
  *out = NULL;
  if (!take(j, '"'))
    return 0;
  const char *start = j->p;
  while (j->p < j->end && *j->p != '"')
    j->p += *j->p == '\\' && j->p + 1 < j->end ? 2 : 1;
  if (j->p >= j->end)
    return 0;
  char *s = malloc((size_t)(j->p - start) + 1);
  if (!s)
    return 0;
  size_t n = 0;
  for (const char *q = start; q < j->p; ++q) {
    if (*q != '\\') {
      s[n++] = *q;
      continue;
    }
    char e = *++q;
    const char *simple = strchr("\"\\/bfnrt", e);
    if (e && simple) {
      s[n++] = "\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"];
      continue;
    }
    unsigned cp, low;
    if (e != 'u' || j->p - q < 5 || !hex4(q + 1, &cp))
      goto bad;
    q += 4;
    if (cp >= 0xD800 && cp < 0xDC00) { /* a surrogate pair */
      if (j->p - q < 7 || q[1] != '\\' || q[2] != 'u' || !hex4(q + 3, &low) || low < 0xDC00 ||
          low >= 0xE000)
        goto bad;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
      q += 6;
    } else if (cp >= 0xDC00 && cp < 0xE000) {
      goto bad;
    }
    n += put_utf8(s + n, cp);
  }
  ++j->p; /* the closing quote */
  s[n] = '\0';
  *out = s;
  *len = n;
  return 1;
bad:
  free(s);
  return 0;
}

static int parse_uint(json *j, uint64_t *v) {
  skip_space(j);
  if (j->p >= j->end || *j->p < '0' || *j->p > '9')
    return 0;
  *v = 0;
  while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
    if (*v > (UINT64_MAX - 9) / 10)
      return 0;
    *v = *v * 10 + (uint64_t)(*j->p++ - '0');
  }
  return 1;
}

/* Skips any JSON value; `depth` bounds the nesting a hostile header may use. */
static int skip_value(json *j, int depth) {
  skip_space(j);
  if (j->p >= j->end || depth > 64)
    return 0;
  char c = *j->p;
  if (c == '"') {
    char *s;
    size_t n;
    int ok = parse_string(j, &s, &n);
    free(s);
    return ok;
  }
  if (c == '{' || c == '[') {
    char close = c == '{' ? '}' : ']';
    ++j->p;
    if (take(j, close))
      return 1;
    do {
      if (c == '{' && (!skip_value(j, depth + 1) || !take(j, ':')))
        return 0;
      if (!skip_value(j, depth + 1))
        return 0;
    } while (take(j, ','));
    return take(j, close);
  }
  /* A number or a literal: its characters up to a delimiter. */
  const char *start = j->p;
  while (j->p < j->end && !strchr(",:]} \n\r\t", *j->p))
    ++j->p;
  return j->p > start;
}

/* safetensors' dtype names and element sizes; 0 for an unknown name. */
static int safetensors_elem_size(const char *dtype) {
  static const struct {
    const char *name;
    int size;
  } table[] = {{"F64", 8}, {"F32", 4},  {"F16", 2},     {"BF16", 2},    {"I64", 8},
               {"I32", 4}, {"I16", 2},  {"I8", 1},      {"U64", 8},     {"U32", 4},
               {"U16", 2}, {"U8", 1},   {"BOOL", 1},    {"F8_E4M3", 1}, {"F8_E5M2", 1}};
  for (size_t i = 0; i < sizeof table / sizeof table[0]; ++i)
    if (strcmp(dtype, table[i].name) == 0)
      return table[i].size;
  return 0;
}

/* One header entry: {"dtype": ..., "shape": [...], "data_offsets": [b, e]}. */
static attnc_status read_safetensors_entry(attnc_weights *w, const char *path, json *j,
                                           const char *name, size_t name_len,
                                           const unsigned char *data, uint64_t data_bytes) {
  char dtype[16] = "";
  int64_t shape[MAX_RANK];
  int32_t rank = -1;
  uint64_t begin = 0, end = 0;
  int have_offsets = 0;
  if (!take(j, '{'))
    goto bad;
  do {
    char *key;
    size_t key_len;
    if (!parse_string(j, &key, &key_len) || !take(j, ':')) {
      free(key);
      goto bad;
    }
    int ok = 1;
    if (strcmp(key, "dtype") == 0) {
      char *s;
      size_t n;
      ok = parse_string(j, &s, &n) && n < sizeof dtype;
      if (ok)
        memcpy(dtype, s, n + 1);
      free(s);
    } else if (strcmp(key, "shape") == 0) {
      ok = take(j, '[');
      rank = 0;
      if (ok && !take(j, ']')) {
        do {
          uint64_t v;
          ok = rank < MAX_RANK && parse_uint(j, &v) && v <= INT64_MAX;
          if (ok)
            shape[rank++] = (int64_t)v;
        } while (ok && take(j, ','));
        ok = ok && take(j, ']');
      }
    } else if (strcmp(key, "data_offsets") == 0) {
      ok = take(j, '[') && parse_uint(j, &begin) && take(j, ',') && parse_uint(j, &end) &&
           take(j, ']');
      have_offsets = ok;
    } else {
      ok = skip_value(j, 1);
    }
    free(key);
    if (!ok)
      goto bad;
  } while (take(j, ','));
  if (!take(j, '}') || !dtype[0] || rank < 0 || !have_offsets)
    goto bad;
  if (begin > end || end > data_bytes)
    return attnc_fail(ATTNC_ERR_INVALID_ARGUMENT,
                      "%s: tensor '%.*s' lies at bytes [%" PRIu64 ", %" PRIu64
                      ") of a data section of %" PRIu64 " bytes",
                      path, (int)name_len, name, begin, end, data_bytes);
  int size = safetensors_elem_size(dtype);
  if (!size)
    return attnc_fail(ATTNC_ERR_UNSUPPORTED, "%s: tensor '%.*s' has the unknown dtype '%s'", path,
                      (int)name_len, name, dtype);
  return add_checked(w, path, name, name_len, dtype, size, shape, rank, data + begin,
                     end - begin);
bad:
  return attnc_fail(ATTNC_ERR_INVALID_ARGUMENT,
                    "%s: the safetensors header entry of '%.*s' is malformed (expected "
                    "{\"dtype\": ..., \"shape\": [...], \"data_offsets\": [b, e]})",
                    path, (int)name_len, name);
}

static attnc_status read_safetensors(attnc_weights *w, const char *path, const unsigned char *file,
                                     size_t size) {
  uint64_t header_bytes = read_le(file, 8);
  if (header_bytes > size - 8)
    return attnc_fail(ATTNC_ERR_INVALID_ARGUMENT,
                      "%s: the safetensors header claims %" PRIu64
                      " bytes, but the file has %zu after the length",
                      path, header_bytes, size - 8);
  const char *header = (const char *)file + 8;
  json j = {header, header + header_bytes};
  const unsigned char *data = file + 8 + header_bytes;
  uint64_t data_bytes = size - 8 - header_bytes;
  if (!take(&j, '{'))
    goto bad;
  if (take(&j, '}'))
    return ATTNC_OK;
  do {
    char *name;
    size_t name_len;
    if (!parse_string(&j, &name, &name_len) || !take(&j, ':')) {
      free(name);
      goto bad;
    }
    if (strcmp(name, "__metadata__") == 0) {
      free(name);
      if (!skip_value(&j, 1))
        goto bad;
      continue;
    }
    attnc_status s = read_safetensors_entry(w, path, &j, name, name_len, data, data_bytes);
    free(name);
    if (s != ATTNC_OK)
      return s;
  } while (take(&j, ','));
  if (!take(&j, '}'))
    goto bad;
  return ATTNC_OK;
bad:
  return attnc_fail(ATTNC_ERR_INVALID_ARGUMENT,
                    "%s: the safetensors header is not valid JSON near byte %td", path,
                    (ptrdiff_t)(8 + (j.p - header)));
}

/*===----------------------------------------------------------------------===*
 * .npy: a magic string, a Python dict literal, the data
 *===----------------------------------------------------------------------===*/

/* Where the value of `'key':` in the header dict starts (inside the header),
 * or NULL. */
static const char *npy_field(const char *header, size_t len, const char *key) {
  size_t k = strlen(key);
  for (size_t i = 0; i + k + 2 < len; ++i)
    if ((header[i] == '\'' || header[i] == '"') && memcmp(header + i + 1, key, k) == 0 &&
        header[i + 1 + k] == header[i]) {
      const char *p = header + i + k + 2;
      while (p < header + len && (*p == ' ' || *p == ':'))
        ++p;
      return p < header + len ? p : NULL;
    }
  return NULL;
}

/* Maps a NumPy descr ('<f4') to safetensors' dtype name and element size;
 * a little-endian (or byte-sized) number type only. */
static int npy_dtype(const char *descr, size_t n, char *dtype, size_t cap) {
  static const struct {
    const char *code, *name;
    int size;
  } table[] = {{"f8", "F64", 8}, {"f4", "F32", 4}, {"f2", "F16", 2}, {"i8", "I64", 8},
               {"i4", "I32", 4}, {"i2", "I16", 2}, {"i1", "I8", 1},  {"u8", "U64", 8},
               {"u4", "U32", 4}, {"u2", "U16", 2}, {"u1", "U8", 1},  {"b1", "BOOL", 1}};
  if (n != 3 || !strchr("<|=", descr[0]))
    return 0;
  for (size_t i = 0; i < sizeof table / sizeof table[0]; ++i)
    if (memcmp(descr + 1, table[i].code, 2) == 0 && (descr[0] != '|' || table[i].size == 1)) {
      snprintf(dtype, cap, "%s", table[i].name);
      return table[i].size;
    }
  return 0;
}

/* Reads one .npy image (a whole file, or one entry of an .npz) as `name`. */
static attnc_status read_npy(attnc_weights *w, const char *path, const char *name,
                             size_t name_len, const unsigned char *file, uint64_t size) {
  int major = size >= 8 ? file[6] : 0;
  int len_bytes = major == 1 ? 2 : 4;
  uint64_t header_len = size >= 12 ? read_le(file + 8, len_bytes) : 0;
  uint64_t data_at = 8 + (uint64_t)len_bytes + header_len;
  if (size < 12 || memcmp(file, "\x93NUMPY", 6) != 0 || major < 1 || major > 3 || data_at > size)
    return attnc_fail(ATTNC_ERR_INVALID_ARGUMENT, "%s: '%.*s' is not a valid .npy image", path,
                      (int)name_len, name);
  const char *h = (const char *)file + 8 + len_bytes;
  size_t hl = (size_t)header_len;
  const char *descr = npy_field(h, hl, "descr"), *order = npy_field(h, hl, "fortran_order"),
             *shape_text = npy_field(h, hl, "shape");
  char dtype[16];
  int size_of = 0;
  if (descr && (*descr == '\'' || *descr == '"')) {
    const char *close = memchr(descr + 1, *descr, (size_t)(h + hl - descr - 1));
    if (close)
      size_of = npy_dtype(descr + 1, (size_t)(close - descr - 1), dtype, sizeof dtype);
  }
  if (!size_of)
    return attnc_fail(ATTNC_ERR_UNSUPPORTED,
                      "%s: '%.*s' has a dtype attnc does not read (a little-endian number "
                      "type is needed)",
                      path, (int)name_len, name);
  if (!order || h + hl - order < 5 || memcmp(order, "False", 5) != 0)
    return attnc_fail(ATTNC_ERR_UNSUPPORTED,
                      "%s: '%.*s' is stored in Fortran order; save it C-contiguous "
                      "(numpy.ascontiguousarray)",
                      path, (int)name_len, name);
  int64_t shape[MAX_RANK];
  int32_t rank = 0;
  const char *p = shape_text, *end = h + hl;
  if (!p || *p++ != '(')
    goto bad_shape;
  for (;;) {
    while (p < end && (*p == ' ' || *p == ','))
      ++p;
    if (p < end && *p == ')')
      break;
    if (p >= end || *p < '0' || *p > '9' || rank == MAX_RANK)
      goto bad_shape;
    int64_t v = 0;
    while (p < end && *p >= '0' && *p <= '9') {
      if (v > (INT64_MAX - 9) / 10)
        goto bad_shape;
      v = v * 10 + (*p++ - '0');
    }
    if (p < end && *p == 'L') /* Python 2's long suffix */
      ++p;
    shape[rank++] = v;
  }
  return add_checked(w, path, name, name_len, dtype, size_of, shape, rank, file + data_at,
                     size - data_at);
bad_shape:
  return attnc_fail(ATTNC_ERR_INVALID_ARGUMENT, "%s: '%.*s' has a malformed .npy shape", path,
                    (int)name_len, name);
}

/*===----------------------------------------------------------------------===*
 * .npz: a zip archive of .npy images, as numpy.savez writes it
 *===----------------------------------------------------------------------===*/

/* Widens a central-directory field that reads 0xFFFFFFFF from the entry's
 * zip64 extra field, whose values come in a fixed order. */
static int zip64_field(const unsigned char *extra, size_t extra_len, int which,
                       const int *present, uint64_t *value) {
  for (size_t at = 0; at + 4 <= extra_len;) {
    unsigned id = (unsigned)read_le(extra + at, 2), len = (unsigned)read_le(extra + at + 2, 2);
    if (at + 4 + len > extra_len)
      return 0;
    if (id == 1) {
      size_t pos = 0;
      for (int f = 0; f < which; ++f)
        pos += present[f] ? 8 : 0;
      if (pos + 8 > len)
        return 0;
      *value = read_le(extra + at + 4 + pos, 8);
      return 1;
    }
    at += 4 + len;
  }
  return 0;
}

static attnc_status read_npz(attnc_weights *w, const char *path, const unsigned char *file,
                             size_t size) {
  /* The end-of-central-directory record, after at most a 64 KiB comment. */
  const unsigned char *eocd = NULL;
  for (size_t back = 22; back <= size && back <= 22 + 65535 && !eocd; ++back)
    if (read_le(file + size - back, 4) == 0x06054b50)
      eocd = file + size - back;
  if (!eocd)
    return attnc_fail(ATTNC_ERR_INVALID_ARGUMENT,
                      "%s: not a valid .npz (its zip directory is missing)", path);
  uint64_t count = read_le(eocd + 10, 2), dir_at = read_le(eocd + 16, 4);
  if ((count == 0xFFFF || dir_at == 0xFFFFFFFF) && eocd - file >= 20 &&
      read_le(eocd - 20, 4) == 0x07064b50) { /* zip64 */
    uint64_t rec = read_le(eocd - 20 + 8, 8);
    if (rec > size || size - rec < 56 || read_le(file + rec, 4) != 0x06064b50)
      return attnc_fail(ATTNC_ERR_INVALID_ARGUMENT, "%s: its zip64 directory is corrupt", path);
    count = read_le(file + rec + 32, 8);
    dir_at = read_le(file + rec + 48, 8);
  }
  const unsigned char *p = file + (dir_at < size ? dir_at : size);
  for (uint64_t i = 0; i < count; ++i) {
    if ((size_t)(file + size - p) < 46 || read_le(p, 4) != 0x02014b50)
      return attnc_fail(ATTNC_ERR_INVALID_ARGUMENT,
                        "%s: its zip directory is corrupt at entry %" PRIu64, path, i);
    unsigned flags = (unsigned)read_le(p + 8, 2), method = (unsigned)read_le(p + 10, 2);
    uint64_t stored = read_le(p + 20, 4), local = read_le(p + 42, 4);
    size_t name_len = (size_t)read_le(p + 28, 2), extra_len = (size_t)read_le(p + 30, 2),
           comment_len = (size_t)read_le(p + 32, 2);
    const char *name = (const char *)p + 46;
    const unsigned char *extra = p + 46 + name_len, *next = extra + extra_len + comment_len;
    if (next > file + size)
      return attnc_fail(ATTNC_ERR_INVALID_ARGUMENT,
                        "%s: its zip directory is corrupt at entry %" PRIu64, path, i);
    int present[3] = {read_le(p + 24, 4) == 0xFFFFFFFF, stored == 0xFFFFFFFF,
                      local == 0xFFFFFFFF};
    if ((present[1] && !zip64_field(extra, extra_len, 1, present, &stored)) ||
        (present[2] && !zip64_field(extra, extra_len, 2, present, &local)))
      return attnc_fail(ATTNC_ERR_INVALID_ARGUMENT,
                        "%s: entry '%.*s' lacks its zip64 sizes", path, (int)name_len, name);
    p = next;
    if (name_len < 4 || memcmp(name + name_len - 4, ".npy", 4) != 0)
      continue; /* not an array */
    name_len -= 4;
    if (method != 0 || (flags & 1))
      return attnc_fail(ATTNC_ERR_UNSUPPORTED,
                        "%s: entry '%.*s' is %s; attnc reads weights in place, so save "
                        "them with numpy.savez, not numpy.savez_compressed",
                        path, (int)name_len, name, flags & 1 ? "encrypted" : "compressed");
    if (local > size || size - local < 30 || read_le(file + local, 4) != 0x04034b50)
      return attnc_fail(ATTNC_ERR_INVALID_ARGUMENT,
                        "%s: entry '%.*s' points outside the file", path, (int)name_len, name);
    uint64_t data_at =
        local + 30 + read_le(file + local + 26, 2) + read_le(file + local + 28, 2);
    if (data_at > size || size - data_at < stored)
      return attnc_fail(ATTNC_ERR_INVALID_ARGUMENT,
                        "%s: entry '%.*s' runs past the end of the file", path, (int)name_len,
                        name);
    attnc_status s = read_npy(w, path, name, name_len, file + data_at, stored);
    if (s != ATTNC_OK)
      return s;
  }
  return ATTNC_OK;
}

/*===----------------------------------------------------------------------===*
 * Dispatch by content
 *===----------------------------------------------------------------------===*/

attnc_status attnc_weights_read_formats(attnc_weights *w, const char *path,
                                        const unsigned char *file, size_t size) {
  if (size >= 6 && memcmp(file, "\x93NUMPY", 6) == 0) {
    /* One array: named after the file, without directories or ".npy". */
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    size_t n = strlen(base);
    if (n > 4 && strcmp(base + n - 4, ".npy") == 0)
      n -= 4;
    return read_npy(w, path, base, n, file, size);
  }
  if (size >= 4 && (memcmp(file, "PK\x03\x04", 4) == 0 || memcmp(file, "PK\x05\x06", 4) == 0))
    return read_npz(w, path, file, size);
  if (size >= 9 && file[8] == '{')
    return read_safetensors(w, path, file, size);
  return attnc_fail(ATTNC_ERR_INVALID_ARGUMENT,
                    "%s: not a weights file (expected safetensors, .npz or .npy)", path);
}
