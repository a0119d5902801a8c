/* wordpiece.c: see wordpiece.h. */
#include "wordpiece.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct wp_vocab {
  char *text;      /* the file, pieces NUL-terminated in place */
  char **pieces;   /* by id */
  size_t n;
  int64_t *slots;  /* open addressing: ids, -1 empty */
  size_t n_slots;
  int64_t unk;
};

static uint64_t hash(const char *s, size_t len) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (size_t i = 0; i < len; ++i)
    h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
  return h;
}

int64_t wp_id(const wp_vocab *v, const char *piece, size_t len) {
  for (size_t i = hash(piece, len) & (v->n_slots - 1);; i = (i + 1) & (v->n_slots - 1)) {
    int64_t id = v->slots[i];
    if (id < 0)
      return -1;
    if (strlen(v->pieces[id]) == len && memcmp(v->pieces[id], piece, len) == 0)
      return id;
  }
}

wp_vocab *wp_load(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot open %s\n", path);
    return NULL;
  }
  wp_vocab *v = calloc(1, sizeof *v);
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  v->text = malloc((size_t)size + 1);
  if (!v->text || fread(v->text, 1, (size_t)size, f) != (size_t)size) {
    fprintf(stderr, "cannot read %s\n", path);
    fclose(f);
    wp_free(v);
    return NULL;
  }
  fclose(f);
  v->text[size] = '\0';
  for (long i = 0; i < size; ++i)
    v->n += v->text[i] == '\n';
  v->pieces = malloc((v->n + 1) * sizeof *v->pieces);
  v->n = 0;
  for (char *line = v->text; *line;) {
    char *end = strchr(line, '\n');
    if (end)
      *end = '\0';
    size_t len = strlen(line);
    if (len && line[len - 1] == '\r')
      line[len - 1] = '\0';
    v->pieces[v->n++] = line;
    if (!end)
      break;
    line = end + 1;
  }
  for (v->n_slots = 1; v->n_slots < 2 * v->n; v->n_slots *= 2) {
  }
  v->slots = malloc(v->n_slots * sizeof *v->slots);
  memset(v->slots, 0xff, v->n_slots * sizeof *v->slots);
  for (size_t id = 0; id < v->n; ++id) {
    size_t len = strlen(v->pieces[id]);
    size_t i = hash(v->pieces[id], len) & (v->n_slots - 1);
    while (v->slots[i] >= 0)
      i = (i + 1) & (v->n_slots - 1);
    v->slots[i] = (int64_t)id;
  }
  v->unk = wp_id(v, "[UNK]", 5);
  if (v->unk < 0 || wp_id(v, "[CLS]", 5) < 0 || wp_id(v, "[SEP]", 5) < 0) {
    fprintf(stderr, "%s lacks [UNK], [CLS] or [SEP]\n", path);
    wp_free(v);
    return NULL;
  }
  return v;
}

void wp_free(wp_vocab *v) {
  if (!v)
    return;
  free(v->text);
  free(v->pieces);
  free(v->slots);
  free(v);
}

/* Decodes one UTF-8 character at s (an invalid byte reads as U+FFFD). */
static uint32_t next_char(const unsigned char **s) {
  const unsigned char *p = *s;
  uint32_t c = p[0];
  int extra = c < 0x80 ? 0 : c >> 5 == 6 ? 1 : c >> 4 == 14 ? 2 : c >> 3 == 30 ? 3 : -1;
  if (extra < 0) {
    *s = p + 1;
    return 0xFFFD;
  }
  c &= extra == 0 ? 0x7F : 0x3F >> extra;
  for (int i = 1; i <= extra; ++i) {
    if ((p[i] & 0xC0) != 0x80) {
      *s = p + i;
      return 0xFFFD;
    }
    c = c << 6 | (p[i] & 0x3F);
  }
  *s = p + 1 + extra;
  return c;
}

static size_t put_char(uint32_t c, char *out) {
  if (c < 0x80) {
    out[0] = (char)c;
    return 1;
  }
  if (c < 0x800) {
    out[0] = (char)(0xC0 | c >> 6);
    out[1] = (char)(0x80 | (c & 0x3F));
    return 2;
  }
  if (c < 0x10000) {
    out[0] = (char)(0xE0 | c >> 12);
    out[1] = (char)(0x80 | (c >> 6 & 0x3F));
    out[2] = (char)(0x80 | (c & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | c >> 18);
  out[1] = (char)(0x80 | (c >> 12 & 0x3F));
  out[2] = (char)(0x80 | (c >> 6 & 0x3F));
  out[3] = (char)(0x80 | (c & 0x3F));
  return 4;
}

/* Lower case without accents: what NFD, dropping the combining marks and
 * lower-casing give (as BERT's tokenizer does) for ASCII, Latin-1 and Latin
 * Extended-A; a character that folds to several keeps itself (as U+0130). */
static uint32_t fold(uint32_t c) {
  static const uint16_t latin[0x180 - 0xC0] = { /* U+00C0 .. U+017F */
      0x061, 0x061, 0x061, 0x061, 0x061, 0x061, 0x0E6, 0x063, 0x065, 0x065, 0x065, 0x065,
      0x069, 0x069, 0x069, 0x069, 0x0F0, 0x06E, 0x06F, 0x06F, 0x06F, 0x06F, 0x06F, 0x0D7,
      0x0F8, 0x075, 0x075, 0x075, 0x075, 0x079, 0x0FE, 0x0DF, 0x061, 0x061, 0x061, 0x061,
      0x061, 0x061, 0x0E6, 0x063, 0x065, 0x065, 0x065, 0x065, 0x069, 0x069, 0x069, 0x069,
      0x0F0, 0x06E, 0x06F, 0x06F, 0x06F, 0x06F, 0x06F, 0x0F7, 0x0F8, 0x075, 0x075, 0x075,
      0x075, 0x079, 0x0FE, 0x079, 0x061, 0x061, 0x061, 0x061, 0x061, 0x061, 0x063, 0x063,
      0x063, 0x063, 0x063, 0x063, 0x063, 0x063, 0x064, 0x064, 0x111, 0x111, 0x065, 0x065,
      0x065, 0x065, 0x065, 0x065, 0x065, 0x065, 0x065, 0x065, 0x067, 0x067, 0x067, 0x067,
      0x067, 0x067, 0x067, 0x067, 0x068, 0x068, 0x127, 0x127, 0x069, 0x069, 0x069, 0x069,
      0x069, 0x069, 0x069, 0x069, 0x069, 0x131, 0x133, 0x133, 0x06A, 0x06A, 0x06B, 0x06B,
      0x138, 0x06C, 0x06C, 0x06C, 0x06C, 0x06C, 0x06C, 0x140, 0x140, 0x142, 0x142, 0x06E,
      0x06E, 0x06E, 0x06E, 0x06E, 0x06E, 0x149, 0x14B, 0x14B, 0x06F, 0x06F, 0x06F, 0x06F,
      0x06F, 0x06F, 0x153, 0x153, 0x072, 0x072, 0x072, 0x072, 0x072, 0x072, 0x073, 0x073,
      0x073, 0x073, 0x073, 0x073, 0x073, 0x073, 0x074, 0x074, 0x074, 0x074, 0x167, 0x167,
      0x075, 0x075, 0x075, 0x075, 0x075, 0x075, 0x075, 0x075, 0x075, 0x075, 0x075, 0x075,
      0x077, 0x077, 0x079, 0x079, 0x079, 0x07A, 0x07A, 0x07A, 0x07A, 0x07A, 0x07A, 0x17F,
  };
  if (c >= 'A' && c <= 'Z')
    return c + 32;
  if (c >= 0xC0 && c < 0x180)
    return latin[c - 0xC0];
  return c;
}

static int is_space(uint32_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0xA0 || c == 0x3000 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x202F || c == 0x205F;
}

static int is_control(uint32_t c) {
  return c == 0 || c == 0xFFFD || (c < 0x20 && !is_space(c)) || (c >= 0x7F && c < 0xA0);
}

static int is_punctuation(uint32_t c) {
  if (c < 0x80)
    return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
           (c >= 123 && c <= 126);
  return c == 0xA1 || c == 0xA7 || c == 0xAB || c == 0xB6 || c == 0xB7 || c == 0xBB ||
         c == 0xBF || (c >= 0x2010 && c <= 0x2027) || (c >= 0x2030 && c <= 0x205E) ||
         (c >= 0x3001 && c <= 0x3003) || (c >= 0x3008 && c <= 0x3011) ||
         (c >= 0xFF01 && c <= 0xFF0F);
}

static int is_cjk(uint32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0xF900 && c <= 0xFAFF) ||
         (c >= 0x2F800 && c <= 0x2FA1F);
}

typedef struct sink {
  int64_t *ids;
  size_t n, max;
} sink;

static void emit(sink *s, int64_t id) {
  if (s->n < s->max)
    s->ids[s->n++] = id;
}

/* Greedy longest-match-first pieces of one word (folded UTF-8). */
static void wordpiece(const wp_vocab *v, const char *word, size_t len, sink *out) {
  enum { kMaxWordBytes = 400 }; /* BERT's 100 characters, up to 4 bytes each */
  if (len > kMaxWordBytes) {
    emit(out, v->unk);
    return;
  }
  int64_t pieces[kMaxWordBytes];
  size_t n = 0;
  char buf[kMaxWordBytes + 3] = "##";
  for (size_t start = 0; start < len;) {
    int64_t found = -1;
    size_t end = len;
    for (; end > start; --end) {
      if (end < len && ((unsigned char)word[end] & 0xC0) == 0x80)
        continue; /* never inside a character */
      const char *piece = word + start;
      size_t plen = end - start;
      if (start > 0) {
        memcpy(buf + 2, piece, plen);
        piece = buf;
        plen += 2;
      }
      if ((found = wp_id(v, piece, plen)) >= 0)
        break;
    }
    if (found < 0) {
      emit(out, v->unk);
      return;
    }
    pieces[n++] = found;
    start = end;
  }
  for (size_t i = 0; i < n; ++i)
    emit(out, pieces[i]);
}

size_t wp_encode(const wp_vocab *v, const char *text, int64_t *ids, size_t max_ids) {
  if (max_ids < 2)
    return 0;
  sink out = {ids, 0, max_ids - 1}; /* room for [SEP] */
  emit(&out, wp_id(v, "[CLS]", 5));
  size_t cap = strlen(text) * 2 + 8;
  char *word = malloc(cap); /* folded characters never need more bytes */
  size_t len = 0;
  for (const unsigned char *p = (const unsigned char *)text; *p;) {
    uint32_t c = next_char(&p);
    if (is_control(c))
      continue;
    int alone = is_punctuation(c) || is_cjk(c);
    if (is_space(c) || alone) {
      wordpiece(v, word, len, &out);
      len = 0;
      if (alone) {
        char one[4];
        size_t n = put_char(fold(c), one);
        wordpiece(v, one, n, &out);
      }
      continue;
    }
    len += put_char(fold(c), word + len);
  }
  wordpiece(v, word, len, &out);
  free(word);
  out.max = max_ids;
  emit(&out, wp_id(v, "[SEP]", 5));
  return out.n;
}
