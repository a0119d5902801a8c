/* minilm_main.c: sentence embeddings with all-MiniLM-L6-v2 compiled by attnc.
 *
 *   minilm_main MODEL_DIR [--sentences FILE] [--check-tokens FILE] [--check GOLDENS.npy]
 *
 * MODEL_DIR holds the model's vocab.txt and model.safetensors (install.sh
 * installs them). Tokenizes the sentences (FILE, one per line, or a few
 * built in) with WordPiece, loads the params from the safetensors through
 * the runtime, runs the model, and prints each embedding's first values and
 * the cosine similarities. --check-tokens compares the token ids with a file
 * of them (one sentence per line); --check compares the embeddings with a
 * [sentences, 384] f32 .npy file and fails beyond 1e-4.
 */
#include "minilm.h"
#include "wordpiece.h"

#include "../example_util.h"

enum { kMaxSentences = 64, kMaxTokens = 256, kE = 384 };

static const char *kBuiltIn[] = {"A man is eating food.", "A man is eating a piece of bread.",
                                 "The girl is carrying a baby.", "A man is riding a horse."};

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot open %s\n", path);
    exit(1);
  }
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *text = malloc((size_t)size + 1);
  if (!text || fread(text, 1, (size_t)size, f) != (size_t)size) {
    fprintf(stderr, "cannot read %s\n", path);
    exit(1);
  }
  fclose(f);
  text[size] = '\0';
  return text;
}

/* Splits text into its non-empty lines, in place. */
static size_t split_lines(char *text, const char **lines, size_t max) {
  size_t n = 0;
  for (char *line = strtok(text, "\n"); line && n < max; line = strtok(NULL, "\n"))
    if (line[strspn(line, " \r\t")] != '\0')
      lines[n++] = line;
  return n;
}

/* A [rows, cols] little-endian f32 .npy written by numpy.save. */
static float *read_npy_f32(const char *path, size_t rows, size_t cols) {
  char *text = read_file(path);
  char shape[64];
  snprintf(shape, sizeof shape, "(%zu, %zu)", rows, cols);
  /* The header (a dict in text) starts after magic, version and length. */
  if (memcmp(text, "\x93NUMPY", 6) != 0 || !strstr(text + 10, "'<f4'") ||
      !strstr(text + 10, shape)) {
    fprintf(stderr, "%s is not a %s f32 .npy file\n", path, shape);
    exit(1);
  }
  size_t header = 10 + (size_t)(unsigned char)text[8] + 256 * (size_t)(unsigned char)text[9];
  float *values = malloc(rows * cols * sizeof *values);
  memcpy(values, text + header, rows * cols * sizeof *values);
  free(text);
  return values;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s MODEL_DIR [--sentences FILE] [--check-tokens FILE] "
                    "[--check GOLDENS.npy]\n", argv[0]);
    return 2;
  }
  const char *dir = argv[1], *sentences_path = NULL, *tokens_path = NULL, *goldens = NULL;
  for (int a = 2; a + 1 < argc; a += 2) {
    if (strcmp(argv[a], "--sentences") == 0)
      sentences_path = argv[a + 1];
    else if (strcmp(argv[a], "--check-tokens") == 0)
      tokens_path = argv[a + 1];
    else if (strcmp(argv[a], "--check") == 0)
      goldens = argv[a + 1];
    else {
      fprintf(stderr, "unknown option %s\n", argv[a]);
      return 2;
    }
  }

  const char *sentences[kMaxSentences];
  size_t B = sizeof kBuiltIn / sizeof *kBuiltIn;
  memcpy(sentences, kBuiltIn, sizeof kBuiltIn);
  if (sentences_path)
    B = split_lines(read_file(sentences_path), sentences, kMaxSentences);

  /* Tokens, padded with [PAD] (id 0) to the longest sentence. */
  char path[4096];
  snprintf(path, sizeof path, "%s/vocab.txt", dir);
  wp_vocab *vocab = wp_load(path);
  if (!vocab)
    return 1;
  static int64_t tokens[kMaxSentences][kMaxTokens];
  size_t lengths[kMaxSentences], S = 0;
  for (size_t b = 0; b < B; ++b) {
    lengths[b] = wp_encode(vocab, sentences[b], tokens[b], kMaxTokens);
    S = lengths[b] > S ? lengths[b] : S;
  }
  int64_t *ids = calloc(B * S, sizeof *ids), *mask = calloc(B * S, sizeof *mask);
  for (size_t b = 0; b < B; ++b)
    for (size_t s = 0; s < lengths[b]; ++s) {
      ids[b * S + s] = tokens[b][s];
      mask[b * S + s] = 1;
    }

  int failed = 0;
  if (tokens_path) {
    const char *lines[kMaxSentences];
    size_t n = split_lines(read_file(tokens_path), lines, kMaxSentences);
    for (size_t b = 0; b < B; ++b) {
      char ours[kMaxTokens * 8] = "";
      for (size_t s = 0; s < lengths[b]; ++s)
        snprintf(ours + strlen(ours), sizeof ours - strlen(ours), "%s%" PRId64, s ? " " : "",
                 tokens[b][s]);
      if (b >= n || strcmp(ours, lines[b]) != 0) {
        fprintf(stderr, "sentence %zu: tokens %s, expected %s\n", b, ours,
                b < n ? lines[b] : "(none)");
        failed = 1;
      }
    }
    printf("tokens: %s\n", failed ? "differ" : "as expected");
  }

  /* Params from the safetensors, each by its name. */
  snprintf(path, sizeof path, "%s/model.safetensors", dir);
  attnc_weights *weights;
  check(attnc_weights_open(path, &weights), "attnc_weights_open");
  minilm_dims dims = {(int64_t)B, (int64_t)S};
  minilm_params params;
  check(minilm_load_params(weights, &dims, &params), "minilm_load_params");

  float *embedding = calloc(B * kE, sizeof *embedding);
  minilm_inputs in = {ids, mask};
  minilm_outputs out = {embedding};
  check(minilm_run(&dims, &in, &params, &out, NULL), "minilm_run");

  for (size_t b = 0; b < B; ++b)
    printf("%zu: [%+.4f %+.4f %+.4f %+.4f ...] %s\n", b, embedding[b * kE],
           embedding[b * kE + 1], embedding[b * kE + 2], embedding[b * kE + 3], sentences[b]);
  printf("cosine similarities:\n");
  for (size_t i = 0; i < B; ++i) {
    for (size_t j = 0; j < B; ++j) {
      double dot = 0; /* embeddings have unit length */
      for (size_t e = 0; e < kE; ++e)
        dot += (double)embedding[i * kE + e] * embedding[j * kE + e];
      printf(" %6.3f", dot);
    }
    printf("\n");
  }

  if (goldens) {
    float *expected = read_npy_f32(goldens, B, kE);
    double worst = 0;
    for (size_t i = 0; i < B * kE; ++i)
      worst = fmax(worst, fabs((double)embedding[i] - expected[i]));
    printf("max abs error against %s: %.3g (tolerance 1e-4)\n", goldens, worst);
    failed |= !(worst <= 1e-4);
    free(expected);
  }
  attnc_weights_close(weights);
  wp_free(vocab);
  free(ids);
  free(mask);
  free(embedding);
  return failed;
}
