/* attnc_bench - how fast is what attnc generates, and how much memory does it use.
 *
 * One run prints (docs/performance.md explains every column):
 *  1. scaled dot-product attention at the shapes of shared/design/ANCHORS.md:
 *     GFLOP/s of attnc -O2 (the fused kernel), attnc -O0, an unfused OpenBLAS
 *     attention and one OpenBLAS SGEMM of the same FLOP count, and their ratios;
 *  2. additive (Bahdanau) attention: attnc -O2 against attnc -O0;
 *  3. the peak resident memory of one attnc -O2 call at S = T = 16384.
 *
 * Every peer runs in this process with the same thread count. The models are
 * in bench/models/ and were compiled at build time with the attnc of this
 * tree, once with -O2 and once with -O0, so the benchmark always measures what
 * attnc produces today. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* wait4, sched_getaffinity, strdup */
#endif
#include <cblas.h>
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "peers.h"

#include "additive_o0.h"
#include "additive_o2.h"
#include "sdpa_causal_d128_o0.h"
#include "sdpa_causal_d128_o2.h"
#include "sdpa_causal_d64_o0.h"
#include "sdpa_causal_d64_o2.h"
#include "cbam_o0.h"
#include "cbam_o2.h"
#include "decode_step_o0.h"
#include "decode_step_o2.h"
#include "encoder_layer_o0.h"
#include "encoder_layer_o2.h"
#include "gemm_o2.h"
#include "mha_causal_o0.h"
#include "mha_causal_o2.h"
#include "sdpa_d128_o0.h"
#include "sdpa_d128_o2.h"
#include "sdpa_d64_o0.h"
#include "sdpa_d64_o2.h"
#include "senet_o0.h"
#include "senet_o2.h"

/*===- Options -------------------------------------------------------------===*/

typedef struct options {
  int threads;             /* every peer's thread count */
  const char *shapes;      /* comma list of fnmatch patterns over case names; NULL = all */
  const char *models;      /* the same over the whole models' names */
  bool run_sdpa, run_additive, run_memory, run_gemm, run_models;
  double min_time;         /* timed repetitions of a peer last at least this long ... */
  double o2_budget;        /* ... and at most this long for attnc -O2 (seconds per case) */
  double o0_budget;        /* ... and for attnc -O0 */
  unsigned memory_limit;   /* seconds the memory case's child may run */
} options;

static void usage(FILE *to) {
  fprintf(to,
          "usage: attnc_bench [options]\n"
          "  --threads N        threads for every peer (default: all cores)\n"
          "  --quick            two attention shapes (d64_s1024_*), the additive case, the encoder\n"
          "                     of the whole models, no memory case\n"
          "  --shapes LIST      attention cases to run, comma-separated patterns over the case\n"
          "                     names dD_sS_MASK, e.g. 'd64_*', 'd128_s2048_causal,*_s256_*'\n"
          "  --models LIST      whole models to run, patterns over encoder, mha_causal,\n"
          "                     decode_step, senet, cbam\n"
          "  --sections LIST    any of sdpa,additive,memory,gemm,models (default: all five)\n"
          "  --min-time SEC     time each peer for at least SEC seconds per case (default 0.5)\n"
          "  --o2-budget SEC    most seconds attnc -O2 may take per case (default 25)\n"
          "  --o0-budget SEC    most seconds attnc -O0 may take per case (default 10)\n"
          "  --memory-limit SEC most seconds the memory case's child may run (default 240)\n"
          "A peer whose single call is predicted to exceed its budget is reported as\n"
          "\"skipped (budget)\".\n");
}

static bool parse_double(const char *s, double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || *end || !(v > 0)) return false;
  *out = v;
  return true;
}

static bool parse_sections(const char *list, options *o) {
  o->run_sdpa = o->run_additive = o->run_memory = o->run_gemm = o->run_models = false;
  char *copy = strdup(list), *save = NULL;
  bool ok = copy != NULL;
  for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
    if (!strcmp(t, "sdpa")) o->run_sdpa = true;
    else if (!strcmp(t, "additive")) o->run_additive = true;
    else if (!strcmp(t, "memory")) o->run_memory = true;
    else if (!strcmp(t, "gemm")) o->run_gemm = true;
    else if (!strcmp(t, "models")) o->run_models = true;
    else ok = false;
  }
  free(copy);
  return ok;
}

static int all_cores(void) {
  /* The affinity mask, not the machine's core count: a container or taskset
   * may give this process fewer cores. */
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)n : 1;
}

/* Exits with status 2 on a bad command line. */
static options parse_options(int argc, char **argv) {
  options o = {.threads = 0,
               .run_sdpa = true,
               .run_additive = true,
               .run_memory = true,
               .run_gemm = true,
               .run_models = true,
               .min_time = 0.5,
               .o2_budget = 25.0,
               .o0_budget = 10.0,
               .memory_limit = 240};
  bool quick = false, sections_given = false;
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    const char *value = i + 1 < argc ? argv[i + 1] : NULL;
    bool ok = true;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      exit(0);
    } else if (!strcmp(a, "--quick")) {
      quick = true;
    } else if (!strcmp(a, "--threads") && value) {
      char *end;
      long n = strtol(value, &end, 10);
      ok = *value && !*end && n >= 1 && n <= 1024;
      o.threads = (int)n;
      ++i;
    } else if (!strcmp(a, "--shapes") && value) {
      o.shapes = value;
      ++i;
    } else if (!strcmp(a, "--models") && value) {
      o.models = value;
      ++i;
    } else if (!strcmp(a, "--sections") && value) {
      ok = parse_sections(value, &o);
      sections_given = true;
      ++i;
    } else if (!strcmp(a, "--min-time") && value) {
      ok = parse_double(value, &o.min_time);
      ++i;
    } else if (!strcmp(a, "--o2-budget") && value) {
      ok = parse_double(value, &o.o2_budget);
      ++i;
    } else if (!strcmp(a, "--o0-budget") && value) {
      ok = parse_double(value, &o.o0_budget);
      ++i;
    } else if (!strcmp(a, "--memory-limit") && value) {
      double seconds;
      ok = parse_double(value, &seconds) && seconds < 1e6;
      o.memory_limit = ok ? (unsigned)ceil(seconds) : 0;
      ++i;
    } else {
      ok = false;
    }
    if (!ok) {
      fprintf(stderr, "attnc_bench: bad argument '%s'%s%s\n", a, value ? " " : "",
              value ? value : "");
      usage(stderr);
      exit(2);
    }
  }
  if (quick) {
    if (!o.shapes) o.shapes = "d64_s1024_*";
    if (!o.models) o.models = "encoder";
    if (!sections_given) o.run_memory = false;
    o.min_time = fmin(o.min_time, 0.2);
  }
  if (o.threads == 0) o.threads = all_cores();
  return o;
}

/* Whether `name` matches one of the comma-separated patterns (NULL: all). */
static bool selected(const char *patterns, const char *name) {
  if (!patterns) return true;
  char *copy = strdup(patterns), *save = NULL;
  bool hit = false;
  for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t && !hit;
       t = strtok_r(NULL, ",", &save))
    hit = fnmatch(t, name, 0) == 0;
  free(copy);
  return hit;
}

/*===- Crash reporting --------------------------------------------------===*/

/* A crash inside generated code is an attnc bug; say which peer and case hit
 * it before the process dies, since the rest of the run is lost with it. */
static char g_running[160];

static void set_running(const char *peer, const char *case_name) {
  if (peer) snprintf(g_running, sizeof g_running, "%s on %s", peer, case_name);
  else g_running[0] = '\0';
}

static void on_fatal_signal(int sig) {
  /* Only async-signal-safe calls here. SA_RESETHAND has restored the default
   * action, so raising the signal again ends the process with it. */
  static const char head[] = "\nattnc_bench: fatal signal while running ";
  static const char none[] = "the harness itself";
  ssize_t ignored = write(STDERR_FILENO, head, sizeof head - 1);
  if (g_running[0]) ignored = write(STDERR_FILENO, g_running, strlen(g_running));
  else ignored = write(STDERR_FILENO, none, sizeof none - 1);
  ignored = write(STDERR_FILENO, "\n", 1);
  (void)ignored;
  raise(sig);
}

static void install_crash_report(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_fatal_signal;
  sa.sa_flags = SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  const int signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
  for (size_t i = 0; i < sizeof signals / sizeof signals[0]; ++i)
    sigaction(signals[i], &sa, NULL);
}

/*===- Timing ------------------------------------------------------------===*/

/* One call of a peer; false when it failed (the reason already printed). */
typedef bool (*call_fn)(void *arg);

typedef enum { TIMING_NONE, TIMING_MEASURED, TIMING_SKIPPED, TIMING_FAILED } timing_state;

typedef struct timing {
  timing_state state;
  int reps;
  double best, median; /* seconds per call */
} timing;

enum { MAX_REPS = 50, MIN_REPS = 3 };

/* One contender of a case. The caller fills the first block; peer_warm_up
 * and time_peers do the rest. */
typedef struct peer {
  const char *name;
  const char *case_name;
  call_fn fn;
  void *arg;
  int blas_threads;  /* OpenBLAS's thread count while this peer runs */
  double budget;     /* most seconds of timed calls per case; a peer whose
                      * single call is predicted to take longer is skipped */
  double predicted;  /* expected seconds per call; 0 = unknown */

  timing result;
  double samples[MAX_REPS];
  int n;
  double total, last; /* seconds of all samples so far, and of the last call */
} peer;

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Runs fn once and returns its seconds, or -1 when it failed. */
static double call_once(call_fn fn, void *arg) {
  double t0 = bench_now();
  if (!fn(arg)) return -1.0;
  return bench_now() - t0;
}

static void add_sample(peer *p, double seconds) {
  p->samples[p->n++] = seconds;
  p->total += seconds;
  p->last = seconds;
}

/* The warm-up call, whose output the caller may check before timing starts.
 * Skips the peer (and returns false) when its predicted time per call is over
 * its budget; returns false too when the call failed. A call of a second or
 * more is its own warm-up: at that length a cold start is noise, so its time
 * counts as the first sample. */
static bool peer_warm_up(peer *p) {
  p->n = 0;
  p->total = p->last = 0.0;
  if (p->predicted > p->budget) {
    p->result.state = TIMING_SKIPPED;
    return false;
  }
  openblas_set_num_threads(p->blas_threads);
  set_running(p->name, p->case_name);
  double warm = call_once(p->fn, p->arg);
  set_running(NULL, NULL);
  if (warm < 0) {
    p->result.state = TIMING_FAILED;
    return false;
  }
  p->result.state = TIMING_MEASURED;
  p->last = warm;
  if (warm >= 1.0) add_sample(p, warm);
  return true;
}

/* Whether a warmed-up peer should run again: until its samples add up to
 * min_time and number at least MIN_REPS, but never past its budget, and the
 * MIN_REPS rule only while the total stays within 4 * min_time (slow calls
 * are not repeated just to make up a count). At least one sample always. */
static bool wants_another(const peer *p, double min_time) {
  if (p->result.state != TIMING_MEASURED || p->n >= MAX_REPS) return false;
  if (p->n == 0) return true;
  bool want = p->total < min_time || (p->n < MIN_REPS && p->total + p->last <= 4.0 * min_time);
  return want && p->total + p->last <= p->budget;
}

/* Times the warmed-up peers in turns, one call of each per round, so that
 * when other work on the machine comes and goes it touches all of them alike
 * and the ratios, taken from each peer's best time, stay fair. */
static void time_peers(peer *peers, int count, double min_time) {
  for (bool more = true; more;) {
    more = false;
    for (int i = 0; i < count; ++i) {
      peer *p = &peers[i];
      if (!wants_another(p, min_time)) continue;
      openblas_set_num_threads(p->blas_threads);
      set_running(p->name, p->case_name);
      double seconds = call_once(p->fn, p->arg);
      set_running(NULL, NULL);
      if (seconds < 0) {
        p->result.state = TIMING_FAILED;
        continue;
      }
      add_sample(p, seconds);
      more = true;
    }
  }
  for (int i = 0; i < count; ++i) {
    peer *p = &peers[i];
    if (p->result.state != TIMING_MEASURED) continue;
    qsort(p->samples, (size_t)p->n, sizeof p->samples[0], compare_doubles);
    p->result.reps = p->n;
    p->result.best = p->samples[0];
    p->result.median = p->n % 2 ? p->samples[p->n / 2]
                                : 0.5 * (p->samples[p->n / 2 - 1] + p->samples[p->n / 2]);
  }
}

/*===- The attnc entry points, behind one signature ----------------------===*/

/* Every SDPA model has dims (B, H, S, T) and tensors (q, k, v) -> o; this
 * wrapper lets one loop drive all eight objects. */
typedef attnc_status (*sdpa_entry)(const int64_t dims[4], const float *q, const float *k,
                                   const float *v, float *o, const attnc_exec *exec);

#define DEFINE_SDPA_ENTRY(P)                                                                  \
  static attnc_status P##_entry(const int64_t dims[4], const float *q, const float *k,       \
                                const float *v, float *o, const attnc_exec *exec) {          \
    P##_dims d = {dims[0], dims[1], dims[2], dims[3]};                                        \
    P##_inputs in = {q, k, v};                                                                \
    P##_outputs out = {o};                                                                    \
    return P##_run(&d, &in, NULL, &out, exec);                                               \
  }
DEFINE_SDPA_ENTRY(sdpa_d64_o2)
DEFINE_SDPA_ENTRY(sdpa_d64_o0)
DEFINE_SDPA_ENTRY(sdpa_causal_d64_o2)
DEFINE_SDPA_ENTRY(sdpa_causal_d64_o0)
DEFINE_SDPA_ENTRY(sdpa_d128_o2)
DEFINE_SDPA_ENTRY(sdpa_d128_o0)
DEFINE_SDPA_ENTRY(sdpa_causal_d128_o2)
DEFINE_SDPA_ENTRY(sdpa_causal_d128_o0)

typedef struct sdpa_model {
  int D;
  bool causal;
  sdpa_entry o2, o0;
} sdpa_model;

static const sdpa_model kSdpaModels[] = {
    {64, false, sdpa_d64_o2_entry, sdpa_d64_o0_entry},
    {64, true, sdpa_causal_d64_o2_entry, sdpa_causal_d64_o0_entry},
    {128, false, sdpa_d128_o2_entry, sdpa_d128_o0_entry},
    {128, true, sdpa_causal_d128_o2_entry, sdpa_causal_d128_o0_entry},
};

/*===- OpenBLAS kernel choice --------------------------------------------===*/

/* Set by configure_openblas before it restarts the program, for the header. */
static const char kCoreFixVar[] = "ATTNC_BENCH_OPENBLAS_DETECTED";
static const char kTimeoutFixVar[] = "ATTNC_BENCH_OPENBLAS_TIMEOUT";

/* Two OpenBLAS settings that it reads only when it loads, so the program
 * restarts once with them set, unless the user chose them:
 *
 * - An OpenBLAS built with DYNAMIC_ARCH picks its kernels from the CPU's
 *   identity. On a CPU it does not know (a virtual machine reporting a
 *   generic "Intel Xeon Processor", or a model newer than the library) it
 *   falls back to Prescott's SSE3 kernels, several times slower than the
 *   hardware allows, which would flatter every ratio of attnc against
 *   OpenBLAS. OPENBLAS_CORETYPE names the kernels the CPU's features allow.
 * - After each call OpenBLAS's idle threads spin for about 2^28 cycles (a
 *   tenth of a second) before they sleep. The peers take turns, so that
 *   spinning would take cores from the peer timed next (attnc -O2, after the
 *   SGEMM). OPENBLAS_THREAD_TIMEOUT=4 makes them sleep at once; waking them
 *   costs microseconds per SGEMM call of tens of milliseconds.
 *
 * The header says what was set. */
static void configure_openblas(char **argv) {
  bool restart = false;
  if (!getenv("OPENBLAS_THREAD_TIMEOUT")) {
    setenv("OPENBLAS_THREAD_TIMEOUT", "4", 1);
    setenv(kTimeoutFixVar, "4", 1);
    restart = true;
  }
#if defined(__x86_64__) && defined(__GNUC__)
  if (!getenv("OPENBLAS_CORETYPE") && strcmp(openblas_get_corename(), "Prescott") == 0) {
    __builtin_cpu_init();
    const char *core = NULL;
    if (__builtin_cpu_supports("avx512f")) core = "SkylakeX";
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) core = "Haswell";
    if (core) {
      setenv("OPENBLAS_CORETYPE", core, 1);
      setenv(kCoreFixVar, openblas_get_corename(), 1);
      restart = true;
    }
  }
#endif
  if (!restart) return;
  fflush(stdout);
  execv("/proc/self/exe", argv);
  /* exec failed: carry on with the library's choices, which the header shows */
  unsetenv(kCoreFixVar);
  unsetenv(kTimeoutFixVar);
}

/*===- Header ------------------------------------------------------------===*/

/* The string value of "key" in a flat JSON text (the generated manifest), or
 * "?" when absent. Enough for the manifest's plain string fields. */
static void json_string(const char *json, const char *key, char *out, size_t size) {
  char pattern[64];
  snprintf(pattern, sizeof pattern, "\"%s\"", key);
  const char *p = strstr(json, pattern);
  if (p) p = strchr(p + strlen(pattern), '"');
  const char *end = p ? strchr(p + 1, '"') : NULL;
  if (!end) {
    snprintf(out, size, "?");
    return;
  }
  snprintf(out, size, "%.*s", (int)(end - p - 1), p + 1);
}

static void cpu_model(char *out, size_t size) {
  snprintf(out, size, "unknown");
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f) return;
  char line[512];
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "model name", 10)) continue;
    const char *colon = strchr(line, ':');
    if (!colon) break;
    colon += strspn(colon + 1, " \t") + 1;
    snprintf(out, size, "%.*s", (int)strcspn(colon, "\n"), colon);
    break;
  }
  fclose(f);
}

/* The 1-minute load average: other work on the machine shows in every
 * number, so the report says how busy the machine was. */
static double load_average(void) {
  double load = NAN;
  FILE *f = fopen("/proc/loadavg", "r");
  if (f) {
    if (fscanf(f, "%lf", &load) != 1) load = NAN;
    fclose(f);
  }
  return load;
}

static void print_header(const options *o) {
  char date[64], cpu[256], version[64], target_cpu[64];
  time_t now = time(NULL);
  strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S %Z", localtime(&now));
  cpu_model(cpu, sizeof cpu);
  json_string(sdpa_d64_o2_manifest_json(), "attnc_version", version, sizeof version);
  json_string(sdpa_d64_o2_manifest_json(), "cpu", target_cpu, sizeof target_cpu);
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  printf("attnc benchmark, %s\n", date);
  printf("  CPU       %s; %ld cores online, %d usable by this process\n", cpu, online,
         all_cores());
  printf("  load      1-minute load average %.2f at the start\n", load_average());
  printf("  threads   %d for every peer (attnc exec.num_threads, OpenBLAS)\n", o->threads);
  printf("  attnc     %s; models compiled with -O2 and -O0 for cpu %s\n", version, target_cpu);
  printf("  OpenBLAS  %s (core %s)\n", openblas_get_config(), openblas_get_corename());
  if (getenv(kCoreFixVar))
    printf("            core set through OPENBLAS_CORETYPE: the library did not recognise this CPU\n"
           "            and chose %s kernels\n",
           getenv(kCoreFixVar));
  if (getenv(kTimeoutFixVar))
    printf("            OPENBLAS_THREAD_TIMEOUT=%s: its idle threads sleep at once instead of\n"
           "            spinning into the next peer's time\n",
           getenv(kTimeoutFixVar));
  printf("  timing    per peer and case: a warm-up call (one of >= 1 s counts as a sample), then\n"
         "            repetitions for >= %.2g s and >= %d of them (fewer for slow calls);\n"
         "            budgets per case: attnc -O2 %.3g s, attnc -O0 %.3g s\n",
         o->min_time, MIN_REPS, o->o2_budget, o->o0_budget);
  printf("\n");
}

/*===- Formatting --------------------------------------------------------===*/

enum { CELL = 17 };

/* "best / median" GFLOP/s, or why there is no number. */
static void print_rate_cell(const timing *t, double flops) {
  char cell[64];
  switch (t->state) {
  case TIMING_MEASURED:
    snprintf(cell, sizeof cell, "%7.1f /%7.1f", flops / t->best * 1e-9,
             flops / t->median * 1e-9);
    break;
  case TIMING_SKIPPED: snprintf(cell, sizeof cell, "skipped (budget)"); break;
  case TIMING_FAILED: snprintf(cell, sizeof cell, "failed"); break;
  default: snprintf(cell, sizeof cell, "-"); break;
  }
  printf(" %*s", CELL, cell);
}

static double best_rate(const timing *t, double flops) {
  return t->state == TIMING_MEASURED ? flops / t->best * 1e-9 : NAN;
}

static void print_ratio(double r, int width) {
  if (isnan(r)) printf(" %*s", width, "-");
  else printf(" %*.2f", width, r);
}

/* Returns true when the output is within the benchmark's tolerance. */
static bool check_output(const char *who, const char *case_name, const float *out,
                         const float *ref, size_t n, double *err) {
  bench_diff d = bench_compare(out, ref, n);
  double tol = 1e-3 * (d.max_abs_ref + 1.0);
  *err = d.max_abs_diff;
  if (d.max_abs_diff <= tol) return true;
  printf("  WARNING %s: %s differs from the OpenBLAS attention: max |diff| = %.3g > %.3g\n",
         case_name, who, d.max_abs_diff, tol);
  return false;
}

/*===- 1. Scaled dot-product attention -----------------------------------===*/

typedef struct sdpa_call {
  sdpa_entry entry;
  int64_t dims[4];
  const float *q, *k, *v;
  float *o;
  attnc_exec exec;
} sdpa_call;

static bool run_sdpa_call(void *arg) {
  sdpa_call *c = arg;
  attnc_status s = c->entry(c->dims, c->q, c->k, c->v, c->o, &c->exec);
  if (s == ATTNC_OK) return true;
  printf("  ERROR attnc: %s: %s\n", attnc_status_string(s), attnc_last_error());
  return false;
}

typedef struct blas_attention_call {
  attention_problem problem;
  int threads;
  float **scratch;
} blas_attention_call;

static bool run_blas_attention(void *arg) {
  blas_attention_call *c = arg;
  openblas_attention(&c->problem, c->threads, c->scratch);
  return true;
}

typedef struct sgemm_call {
  int n;
  float *a, *b, *c;
} sgemm_call;

static bool run_sgemm(void *arg) {
  sgemm_call *c = arg;
  openblas_square_sgemm(c->n, c->a, c->b, c->c);
  return true;
}

/* Speed of attnc on earlier cases, to predict whether the next one fits its
 * budget: per model (D, mask) and level, since attention time grows with S. */
typedef struct speed_memory {
  double rate[4][2]; /* [model][0: -O2, 1: -O0] FLOP/s of the last measured case */
} speed_memory;

static void remember_speed(speed_memory *m, int model, int level, const timing *t,
                           double flops) {
  if (t->state == TIMING_MEASURED) m->rate[model][level] = flops / t->best;
}

/* Predicted seconds of one call of `entry` on a case of `flops`. From the
 * last case of the same model when there is one; otherwise from a small run
 * (S = T = 256 on two (b, h) pairs per thread, timed on its second call)
 * scaled by the FLOP ratio, a rough guide that keeps a first, large case from
 * running for minutes. q, k, v and o must hold the small run's tensors. */
static double predicted_seconds(const speed_memory *m, int model, int level, sdpa_entry entry,
                                int threads, const float *q, const float *k, const float *v,
                                float *o, double flops) {
  if (m->rate[model][level] > 0) return flops / m->rate[model][level];
  const sdpa_model *sm = &kSdpaModels[model];
  const int64_t S = 256, pairs = 2 * threads < 64 ? 2 * threads : 64;
  sdpa_call c = {.entry = entry, .dims = {pairs, 1, S, S}, .q = q, .k = k, .v = v, .o = o,
                 .exec = {.struct_size = sizeof(attnc_exec), .num_threads = threads}};
  set_running(level ? "attnc -O0" : "attnc -O2", "the run that predicts a case's time");
  double seconds = call_once(run_sdpa_call, &c) < 0 ? -1.0 : call_once(run_sdpa_call, &c);
  set_running(NULL, NULL);
  /* A failure shows again, with its message, in the case itself. */
  if (seconds <= 0) return 0.0;
  double probe_flops = 4.0 * (double)pairs * S * S * sm->D * (sm->causal ? 0.5 : 1.0);
  return flops * seconds / probe_flops;
}

/* Runs and prints one case. `full_rate` is the fused GFLOP/s of the full
 * (non-causal) case at the same shape, for a causal row's ratio. Returns the
 * fused GFLOP/s of this case, NAN if it did not run. */
static double run_sdpa_case(const options *o, speed_memory *speeds, int model_index,
                            int64_t S, double full_rate) {
  const sdpa_model *m = &kSdpaModels[model_index];
  const int64_t D = m->D, T = S, H = 1024 / D, B = 4096 / S;
  const size_t n = (size_t)(B * H * S * D);
  const double flops = 4.0 * (double)B * H * S * T * D * (m->causal ? 0.5 : 1.0);
  /* The SGEMM of the same FLOP count: 2 n^3 ~ flops, n a multiple of 16 so
   * that no kernel edge case slows the peak down. */
  const int gn = (int)(16.0 * round(cbrt(flops / 2.0) / 16.0));
  const size_t gn2 = (size_t)gn * gn;
  const double gemm_flops = 2.0 * (double)gn2 * gn;
  char name[64];
  snprintf(name, sizeof name, "d%d_s%lld_%s", m->D, (long long)S, m->causal ? "causal" : "full");
  double rate = NAN;

  float *q = bench_alloc_floats(n), *k = bench_alloc_floats(n), *v = bench_alloc_floats(n);
  float *ref = bench_alloc_floats(n), *out_o2 = bench_alloc_floats(n);
  float *out_o0 = bench_alloc_floats(n);
  float *ga = bench_alloc_floats(gn2), *gb = bench_alloc_floats(gn2), *gc = bench_alloc_floats(gn2);
  /* The unfused attention's threads each need an S x T matrix; more threads
   * than (b, h) pairs would only hold memory. */
  const int workers = B * H < o->threads ? (int)(B * H) : o->threads;
  float **scratch = calloc((size_t)workers, sizeof *scratch);
  bool ok = q && k && v && ref && out_o2 && out_o0 && ga && gb && gc && scratch;
  for (int t = 0; ok && t < workers; ++t)
    ok = (scratch[t] = bench_alloc_floats((size_t)(S * T))) != NULL;
  if (!ok) {
    printf("%-18s out of memory\n", name);
    goto done;
  }
  bench_fill_random(q, n, 1);
  bench_fill_random(k, n, 2);
  bench_fill_random(v, n, 3);
  bench_fill_random(ga, gn2, 4);
  bench_fill_random(gb, gn2, 5);

  /* The unfused attention shares the heads out among its own threads, so
   * OpenBLAS runs single-threaded inside it; the SGEMM uses OpenBLAS's
   * threads. */
  blas_attention_call blas = {{B, H, S, T, D, m->causal, q, k, v, ref}, workers, scratch};
  sdpa_call o2 = {.entry = m->o2, .dims = {B, H, S, T}, .q = q, .k = k, .v = v, .o = out_o2,
                  .exec = {.struct_size = sizeof(attnc_exec), .num_threads = o->threads}};
  sdpa_call o0 = o2;
  o0.entry = m->o0;
  o0.o = out_o0;
  sgemm_call gemm = {gn, ga, gb, gc};
  enum { P_O2, P_O0, P_BLAS, P_GEMM, N_PEERS };
  peer peers[N_PEERS] = {
      [P_O2] = {.name = "attnc -O2", .case_name = name, .fn = run_sdpa_call, .arg = &o2,
                .blas_threads = o->threads, .budget = o->o2_budget,
                .predicted = predicted_seconds(speeds, model_index, 0, m->o2, o->threads, q, k,
                                               v, out_o2, flops)},
      [P_O0] = {.name = "attnc -O0", .case_name = name, .fn = run_sdpa_call, .arg = &o0,
                .blas_threads = o->threads, .budget = o->o0_budget,
                .predicted = predicted_seconds(speeds, model_index, 1, m->o0, o->threads, q, k,
                                               v, out_o0, flops)},
      [P_BLAS] = {.name = "OpenBLAS unfused", .case_name = name, .fn = run_blas_attention,
                  .arg = &blas, .blas_threads = 1, .budget = INFINITY},
      [P_GEMM] = {.name = "OpenBLAS SGEMM", .case_name = name, .fn = run_sgemm, .arg = &gemm,
                  .blas_threads = o->threads, .budget = INFINITY},
  };

  /* Warm-ups first; the OpenBLAS attention's output is the reference that
   * each attnc output is checked against before any timing. */
  double err_o2 = NAN;
  peer_warm_up(&peers[P_BLAS]);
  if (peer_warm_up(&peers[P_O2]) && peers[P_BLAS].result.state == TIMING_MEASURED)
    check_output("attnc -O2", name, out_o2, ref, n, &err_o2);
  if (peer_warm_up(&peers[P_O0]) && peers[P_BLAS].result.state == TIMING_MEASURED) {
    double err_o0;
    check_output("attnc -O0", name, out_o0, ref, n, &err_o0);
  }
  peer_warm_up(&peers[P_GEMM]);
  time_peers(peers, N_PEERS, o->min_time);
  remember_speed(speeds, model_index, 0, &peers[P_O2].result, flops);
  remember_speed(speeds, model_index, 1, &peers[P_O0].result, flops);

  const timing *t_o2 = &peers[P_O2].result, *t_o0 = &peers[P_O0].result;
  const timing *t_blas = &peers[P_BLAS].result, *t_gemm = &peers[P_GEMM].result;
  double r_o2 = best_rate(t_o2, flops), r_o0 = best_rate(t_o0, flops);
  double r_blas = best_rate(t_blas, flops), r_gemm = best_rate(t_gemm, gemm_flops);
  printf("%-18s %3lld %3lld %7.2f", name, (long long)B, (long long)H, flops * 1e-9);
  print_rate_cell(t_o2, flops);
  print_rate_cell(t_o0, flops);
  print_rate_cell(t_blas, flops);
  print_rate_cell(t_gemm, gemm_flops);
  printf(" %5d", gn);
  print_ratio(r_o2 / r_gemm, 8);
  print_ratio(r_o2 / r_blas, 8);
  print_ratio(r_o2 / r_o0, 7);
  print_ratio(m->causal ? r_o2 / full_rate : NAN, 7);
  if (isnan(err_o2)) printf(" %9s", "-");
  else printf(" %9.1e", err_o2);
  printf("\n");
  rate = r_o2;

done:
  if (scratch)
    for (int t = 0; t < workers; ++t) free(scratch[t]);
  free(scratch);
  free(q);
  free(k);
  free(v);
  free(ref);
  free(out_o2);
  free(out_o0);
  free(ga);
  free(gb);
  free(gc);
  return rate;
}

static void run_sdpa_section(const options *o) {
  static const int64_t kSeqLens[] = {256, 512, 1024, 2048, 4096};
  printf("1. Scaled dot-product attention, fp32: B*S = 4096 tokens, H*D = 1024, S = T\n");
  printf("   FLOPs = 4*B*H*S*T*D, halved for causal (softmax not counted).\n");
  printf("   GFLOP/s cells: best / median. Ratios use the best times; err: max |attnc -O2 - "
         "OpenBLAS|.\n\n");
  printf("%-18s %3s %3s %7s %*s %*s %*s %*s %5s %8s %8s %7s %7s %9s\n", "case", "B", "H",
         "GFLOP", CELL, "attnc -O2", CELL, "attnc -O0", CELL, "OpenBLAS unfused", CELL,
         "OpenBLAS SGEMM", "n", "O2/SGEMM", "O2/unfus", "O2/O0", "caus/fl", "err");
  speed_memory speeds = {{{0}}};
  int ran = 0;
  for (int mi = 0; mi < 4; mi += 2) {
    for (size_t si = 0; si < sizeof kSeqLens / sizeof kSeqLens[0]; ++si) {
      /* full then causal at the same S, so the causal row can name the ratio */
      double full_rate = NAN;
      for (int causal = 0; causal < 2; ++causal) {
        const sdpa_model *m = &kSdpaModels[mi + causal];
        char name[64];
        snprintf(name, sizeof name, "d%d_s%lld_%s", m->D, (long long)kSeqLens[si],
                 m->causal ? "causal" : "full");
        if (!selected(o->shapes, name)) continue;
        double rate = run_sdpa_case(o, &speeds, mi + causal, kSeqLens[si], full_rate);
        if (!causal) full_rate = rate;
        ++ran;
      }
    }
  }
  if (!ran) printf("(no case matches --shapes %s)\n", o->shapes);
  printf("\n");
}

/*===- 2. Additive attention ---------------------------------------------===*/

typedef struct additive_call {
  attnc_status (*run)(const additive_problem *p, const attnc_exec *exec);
  const additive_problem *problem;
  attnc_exec exec;
} additive_call;

#define DEFINE_ADDITIVE_ENTRY(P)                                                              \
  static attnc_status P##_entry(const additive_problem *p, const attnc_exec *exec) {         \
    P##_dims d = {p->B, p->S, p->T};                                                          \
    P##_inputs in = {p->q, p->k, p->v};                                                       \
    P##_params params = {p->w_q, p->w_k, p->w_v};                                             \
    P##_outputs out = {p->o};                                                                 \
    return P##_run(&d, &in, &params, &out, exec);                                             \
  }
DEFINE_ADDITIVE_ENTRY(additive_o2)
DEFINE_ADDITIVE_ENTRY(additive_o0)

static bool run_additive_call(void *arg) {
  additive_call *c = arg;
  attnc_status s = c->run(c->problem, &c->exec);
  if (s == ATTNC_OK) return true;
  printf("  ERROR attnc: %s: %s\n", attnc_status_string(s), attnc_last_error());
  return false;
}

static void run_additive_section(const options *o) {
  /* DQ, DK, DV and A are fixed in bench/models/additive.attn. */
  const int64_t B = 1, S = 1024, T = 1024, DQ = 64, DK = 64, DV = 64, A = 64;
  /* Per (i, j): A adds, A multiplies and A accumulations for the score and
   * 2*DV for the weighted sum of v; the projections are 2 per multiply-add.
   * tanh and exp are not counted, as exp is not for dot-product attention. */
  const double flops =
      (double)B * S * T * (3.0 * A + 2.0 * DV) + 2.0 * B * (S * DQ + T * DK) * A;
  printf("2. Additive (Bahdanau) attention, fp32: B = %lld, S = T = %lld, DQ = DK = DV = A = %lld\n",
         (long long)B, (long long)S, (long long)A);
  printf("   qh = q @ w_q; kh = k @ w_k; score[b,i,j] = sum(h: w_v[h] * tanh(qh[b,i,h] + kh[b,j,h]))\n"
         "   o = softmax(score) @ v\n");
  printf("   FLOPs = B*S*T*(3*A + 2*DV) + 2*B*(S*DQ + T*DK)*A = %.3f GFLOP (tanh, exp not counted)\n",
         flops * 1e-9);
  printf("   err: max |attnc - C reference in double|\n\n");

  const size_t nq = (size_t)(B * S * DQ), nk = (size_t)(B * T * DK), nv = (size_t)(B * T * DV);
  const size_t no = (size_t)(B * S * DV);
  float *q = bench_alloc_floats(nq), *k = bench_alloc_floats(nk), *v = bench_alloc_floats(nv);
  float *w_q = bench_alloc_floats((size_t)(DQ * A)), *w_k = bench_alloc_floats((size_t)(DK * A));
  float *w_v = bench_alloc_floats((size_t)A);
  float *ref = bench_alloc_floats(no), *out = bench_alloc_floats(no);
  if (!q || !k || !v || !w_q || !w_k || !w_v || !ref || !out) {
    printf("   out of memory\n\n");
    goto done;
  }
  bench_fill_random(q, nq, 11);
  bench_fill_random(k, nk, 12);
  bench_fill_random(v, nv, 13);
  /* Projection weights scaled by 1/sqrt(fan-in), as an initialiser would, so
   * that tanh is not saturated and the scores stay varied. */
  bench_fill_random(w_q, (size_t)(DQ * A), 14);
  bench_fill_random(w_k, (size_t)(DK * A), 15);
  bench_fill_random(w_v, (size_t)A, 16);
  for (int64_t i = 0; i < DQ * A; ++i) w_q[i] *= 1.0f / 8.0f;
  for (int64_t i = 0; i < DK * A; ++i) w_k[i] *= 1.0f / 8.0f;
  additive_problem problem = {B, S, T, DQ, DK, DV, A, q, k, v, w_q, w_k, w_v, ref};
  additive_reference(&problem);
  problem.o = out;

  additive_call o2 = {additive_o2_entry, &problem,
                      {.struct_size = sizeof(attnc_exec), .num_threads = o->threads}};
  additive_call o0 = o2;
  o0.run = additive_o0_entry;
  peer peers[2] = {
      {.name = "attnc -O2", .case_name = "additive", .fn = run_additive_call, .arg = &o2,
       .blas_threads = o->threads, .budget = o->o2_budget},
      {.name = "attnc -O0", .case_name = "additive", .fn = run_additive_call, .arg = &o0,
       .blas_threads = o->threads, .budget = o->o0_budget},
  };
  double err[2] = {NAN, NAN};
  for (int l = 0; l < 2; ++l) {
    if (!peer_warm_up(&peers[l])) continue;
    bench_diff d = bench_compare(out, ref, no);
    double tol = 1e-3 * (d.max_abs_ref + 1.0);
    err[l] = d.max_abs_diff;
    if (!(d.max_abs_diff <= tol))
      printf("   WARNING %s differs from the C reference: max |diff| = %.3g > %.3g\n",
             peers[l].name, d.max_abs_diff, tol);
  }
  time_peers(peers, 2, o->min_time);

  printf("   %-10s %12s %12s %9s %6s %10s\n", "", "best ms", "median ms", "GFLOP/s", "reps",
         "err");
  const timing *t[2] = {&peers[0].result, &peers[1].result};
  for (int l = 0; l < 2; ++l) {
    if (t[l]->state == TIMING_MEASURED)
      printf("   %-10s %12.2f %12.2f %9.2f %6d %10.1e\n", peers[l].name, t[l]->best * 1e3,
             t[l]->median * 1e3, flops / t[l]->best * 1e-9, t[l]->reps, err[l]);
    else
      printf("   %-10s %s\n", peers[l].name,
             t[l]->state == TIMING_SKIPPED ? "skipped (budget)" : "failed");
  }
  if (t[0]->state == TIMING_MEASURED && t[1]->state == TIMING_MEASURED)
    printf("   -O2 speed-up over -O0 (best time -O0 / best time -O2): %.2fx\n",
           t[1]->best / t[0]->best);
  printf("\n");
done:
  free(q);
  free(k);
  free(v);
  free(w_q);
  free(w_k);
  free(w_v);
  free(ref);
  free(out);
}

/*===- 4. Contractions ---------------------------------------------------===*/

/* The products of the models users compile: a projection of B * S rows, a
 * feed-forward layer, and a decode step's few rows. One attnc object serves
 * every shape (M, N and K are symbolic in bench/models/gemm.attn). */
typedef struct gemm_case {
  const char *what;
  int M, N, K;
} gemm_case;

static const gemm_case kGemmCases[] = {
    {"square", 256, 256, 256},
    {"encoder E=384, B*S=1024: x @ wq", 1024, 384, 384},
    {"encoder: h @ w1 (F=1536)", 1024, 1536, 384},
    {"encoder: g @ w2", 1024, 384, 1536},
    {"mha E=768, S=512: x @ wq", 512, 768, 768},
    {"decode E=384, B=8: x @ wq", 8, 384, 384},
    {"decode B=16: h @ w1", 16, 1536, 384},
    {"decode E=768, one token", 1, 768, 768},
};

typedef struct gemm_attnc_call {
  gemm_o2_dims dims;
  gemm_o2_inputs in;
  gemm_o2_params params;
  gemm_o2_outputs out;
  attnc_exec exec;
} gemm_attnc_call;

static bool run_gemm_attnc(void *arg) {
  gemm_attnc_call *c = arg;
  attnc_status s = gemm_o2_run(&c->dims, &c->in, &c->params, &c->out, &c->exec);
  if (s == ATTNC_OK) return true;
  printf("  ERROR attnc: %s: %s\n", attnc_status_string(s), attnc_last_error());
  return false;
}

typedef struct gemm_blas_call {
  int M, N, K;
  const float *a, *b;
  float *c;
} gemm_blas_call;

static bool run_gemm_blas(void *arg) {
  gemm_blas_call *c = arg;
  openblas_sgemm(c->M, c->N, c->K, c->a, c->b, c->c);
  return true;
}

static void run_gemm_section(const options *o) {
  printf("4. Contractions, fp32: c[M, N] = a[M, K] @ b[K, N]; FLOPs = 2*M*N*K\n");
  printf("   attnc -O2 (one object for every shape) against OpenBLAS SGEMM, same threads;\n"
         "   err: max |attnc - OpenBLAS| / (max |OpenBLAS| + 1)\n\n");
  printf("   %-34s %5s %5s %5s %12s %12s %8s %9s\n", "case", "M", "N", "K", "attnc GF/s",
         "SGEMM GF/s", "ratio", "err");
  for (size_t i = 0; i < sizeof kGemmCases / sizeof kGemmCases[0]; ++i) {
    const gemm_case *g = &kGemmCases[i];
    const size_t na = (size_t)g->M * g->K, nb = (size_t)g->K * g->N, nc = (size_t)g->M * g->N;
    float *a = bench_alloc_floats(na), *b = bench_alloc_floats(nb);
    float *c = bench_alloc_floats(nc), *ref = bench_alloc_floats(nc);
    if (!a || !b || !c || !ref) {
      printf("   %-34s out of memory\n", g->what);
    } else {
      bench_fill_random(a, na, 21 + (unsigned)i);
      bench_fill_random(b, nb, 41 + (unsigned)i);
      /* A workspace reused from call to call, as in the models section. */
      gemm_o2_dims dims = {g->M, g->N, g->K};
      size_t bytes = gemm_o2_workspace_bytes(&dims);
      void *workspace = bytes != SIZE_MAX ? malloc(bytes + 1) : NULL;
      gemm_attnc_call ac = {dims, {a}, {b}, {c},
                            {.struct_size = sizeof(attnc_exec), .num_threads = o->threads,
                             .workspace = workspace, .workspace_bytes = workspace ? bytes : 0}};
      gemm_blas_call bc = {g->M, g->N, g->K, a, b, ref};
      peer peers[2] = {
          {.name = "attnc -O2", .case_name = g->what, .fn = run_gemm_attnc, .arg = &ac,
           .blas_threads = o->threads, .budget = o->o2_budget},
          {.name = "OpenBLAS", .case_name = g->what, .fn = run_gemm_blas, .arg = &bc,
           .blas_threads = o->threads, .budget = o->o2_budget},
      };
      bool ok = peer_warm_up(&peers[0]) && peer_warm_up(&peers[1]);
      bench_diff d = bench_compare(c, ref, nc);
      time_peers(peers, 2, o->min_time);
      const double flops = 2.0 * g->M * g->N * g->K;
      if (ok && peers[0].result.state == TIMING_MEASURED &&
          peers[1].result.state == TIMING_MEASURED) {
        double mine = flops / peers[0].result.best * 1e-9, theirs = flops / peers[1].result.best * 1e-9;
        printf("   %-34s %5d %5d %5d %12.1f %12.1f %7.2fx %9.1e\n", g->what, g->M, g->N, g->K,
               mine, theirs, mine / theirs, d.max_abs_diff / (d.max_abs_ref + 1.0));
      } else {
        printf("   %-34s failed\n", g->what);
      }
      free(workspace);
    }
    free(a);
    free(b);
    free(c);
    free(ref);
  }
  printf("\n");
}

/*===- 5. Whole models -----------------------------------------------------===*/

/* The whole models of docs/performance.md (the ones bench/peers/peers.py
 * also times in PyTorch, ONNX Runtime and OpenVINO), -O2 against -O0, called
 * through NAME_run_tensors, each call reusing a workspace of
 * NAME_workspace_bytes. */
enum { kModelMaxTensors = 18, kModelMaxRank = 4 };

typedef attnc_status (*run_tensors_fn)(const attnc_tensor *inputs, size_t n_inputs,
                                       const attnc_tensor *params, size_t n_params,
                                       attnc_tensor *outputs, size_t n_outputs,
                                       const attnc_exec *exec);
typedef size_t (*workspace_fn)(const int64_t *dims);

/* NAME_workspace_bytes with the symbolic dims read as int64_t[] (NAME_dims
 * holds them in that order). */
#define DEFINE_WORKSPACE_BYTES(P)                                                             \
  static size_t P##_workspace(const int64_t *dims) {                                         \
    P##_dims d;                                                                               \
    memcpy(&d, dims, sizeof d);                                                               \
    return P##_workspace_bytes(&d);                                                           \
  }
DEFINE_WORKSPACE_BYTES(encoder_layer_o2)
DEFINE_WORKSPACE_BYTES(encoder_layer_o0)
DEFINE_WORKSPACE_BYTES(mha_causal_o2)
DEFINE_WORKSPACE_BYTES(mha_causal_o0)
DEFINE_WORKSPACE_BYTES(decode_step_o2)
DEFINE_WORKSPACE_BYTES(decode_step_o0)
DEFINE_WORKSPACE_BYTES(senet_o2)
DEFINE_WORKSPACE_BYTES(senet_o0)
DEFINE_WORKSPACE_BYTES(cbam_o2)
DEFINE_WORKSPACE_BYTES(cbam_o0)

typedef struct model_tensor {
  int rank;
  int64_t shape[kModelMaxRank];
  bool gain; /* a norm's gain: ones */
} model_tensor;

typedef struct model_case {
  const char *name, *what;
  run_tensors_fn run[2]; /* -O2, -O0 */
  workspace_fn workspace[2];
  int64_t dims[4];       /* the symbolic dims, in declaration order */
  int n_inputs, n_params; /* tensors[]: the inputs, then the params, then the output */
  model_tensor tensors[kModelMaxTensors];
  double flops;
} model_case;

#define T1(a) {1, {a}, false}
#define T2(a, b) {2, {a, b}, false}
#define T3(a, b, c) {3, {a, b, c}, false}
#define T4(a, b, c, d) {4, {a, b, c, d}, false}
#define GAIN(a) {1, {a}, true}
enum { kEncB = 8, kEncS = 128, kEncE = 384, kEncF = 1536, kEncH = 12 };
enum { kMhaS = 512, kMhaE = 768, kMhaH = 12, kDecT = 1024 };
enum { kImgN = 8, kImgC = 64, kImgHW = 56, kImgR = 16 };
static const model_case kModelCases[] = {
    {"encoder", "encoder layer of examples/encoder.attn at BERT-MiniLM size (E = 384, H = 12, "
                "F = 1536), B = 8, S = 128",
     {encoder_layer_o2_run_tensors, encoder_layer_o0_run_tensors},
     {encoder_layer_o2_workspace, encoder_layer_o0_workspace},
     {kEncB, kEncS},
     1,
     16,
     {T3(kEncB, kEncS, kEncE), T2(kEncE, kEncE), T1(kEncE), T2(kEncE, kEncE), T1(kEncE),
      T2(kEncE, kEncE), T1(kEncE), T2(kEncE, kEncE), T1(kEncE), GAIN(kEncE), T1(kEncE),
      T2(kEncE, kEncF), T1(kEncF), T2(kEncF, kEncE), T1(kEncE), GAIN(kEncE), T1(kEncE),
      T3(kEncB, kEncS, kEncE)},
     /* Projections and feed-forward products, 2 per multiply-add, and the
      * attention's two products counted as in section 1 (4 B H S^2 D). */
     2.0 * kEncB * kEncS * (4.0 * kEncE * kEncE + 2.0 * kEncE * kEncF) +
         4.0 * kEncB * kEncS * kEncS * kEncE},
    {"mha_causal", "causal multi-head attention with projections (E = 768, H = 12), B = 1, "
                   "S = 512",
     {mha_causal_o2_run_tensors, mha_causal_o0_run_tensors},
     {mha_causal_o2_workspace, mha_causal_o0_workspace},
     {1, kMhaS},
     1,
     4,
     {T3(1, kMhaS, kMhaE), T2(kMhaE, kMhaE), T2(kMhaE, kMhaE), T2(kMhaE, kMhaE), T2(kMhaE, kMhaE),
      T3(1, kMhaS, kMhaE)},
     /* Four projections; the causal attention's two products over half the
      * scores. */
     2.0 * kMhaS * 4.0 * kMhaE * kMhaE + 2.0 * kMhaS * kMhaS * kMhaE},
    {"decode_step", "decode step: S = 1 against T = 1024 cached keys (E = 768, H = 12), B = 1",
     {decode_step_o2_run_tensors, decode_step_o0_run_tensors},
     {decode_step_o2_workspace, decode_step_o0_workspace},
     {1, 1, kDecT},
     3,
     2,
     {T3(1, 1, kMhaE), T4(1, kMhaH, kDecT, kMhaE / kMhaH), T4(1, kMhaH, kDecT, kMhaE / kMhaH),
      T2(kMhaE, kMhaE), T2(kMhaE, kMhaE), T3(1, 1, kMhaE)},
     2.0 * 2.0 * kMhaE * kMhaE + 4.0 * kDecT * kMhaE},
    {"senet", "SENet block of examples/senet.attn, N = 8, C = 64, 56 x 56",
     {senet_o2_run_tensors, senet_o0_run_tensors},
     {senet_o2_workspace, senet_o0_workspace},
     {kImgN, kImgHW, kImgHW},
     1,
     4,
     {T4(kImgN, kImgC, kImgHW, kImgHW), T2(kImgC, kImgC / kImgR), T1(kImgC / kImgR),
      T2(kImgC / kImgR, kImgC), T1(kImgC), T4(kImgN, kImgC, kImgHW, kImgHW)},
     /* The squeeze (a sum) and the excitation (a product) per element. */
     2.0 * kImgN * kImgC * kImgHW * kImgHW},
    {"cbam", "CBAM block of examples/cbam.attn, N = 8, C = 64, 56 x 56",
     {cbam_o2_run_tensors, cbam_o0_run_tensors},
     {cbam_o2_workspace, cbam_o0_workspace},
     {kImgN, kImgHW, kImgHW},
     1,
     5,
     {T4(kImgN, kImgC, kImgHW, kImgHW), T2(kImgC, kImgC / kImgR), T1(kImgC / kImgR),
      T2(kImgC / kImgR, kImgC), T1(kImgC), T3(2, 7, 7), T4(kImgN, kImgC, kImgHW, kImgHW)},
     /* Channel pools and gate, spatial pools, the 2 x 7 x 7 convolution and
      * the gates, per element (as peers.py counts them). */
     (double)kImgN * kImgHW * kImgHW * (6.0 * kImgC + 2 * 98 + 4)},
};
#undef T1
#undef T2
#undef T3
#undef T4
#undef GAIN

typedef struct model_call {
  run_tensors_fn run;
  const attnc_tensor *tensors; /* inputs, params, output */
  int n_inputs, n_params;
  attnc_tensor output;
  attnc_exec exec;
} model_call;

static bool run_model_call(void *arg) {
  model_call *c = arg;
  attnc_status s = c->run(c->tensors, (size_t)c->n_inputs, c->tensors + c->n_inputs,
                          (size_t)c->n_params, &c->output, 1, &c->exec);
  if (s == ATTNC_OK) return true;
  printf("  ERROR attnc: %s: %s\n", attnc_status_string(s), attnc_last_error());
  return false;
}

static size_t tensor_elements(const model_tensor *t) {
  size_t n = 1;
  for (int a = 0; a < t->rank; ++a) n *= (size_t)t->shape[a];
  return n;
}

/* Random inputs; weights scaled by 1/sqrt(fan-in), norm gains 1. */
static bool fill_model_tensors(const model_case *m, float **data, attnc_tensor *tensors) {
  const int n = m->n_inputs + m->n_params + 1;
  for (int i = 0; i < n; ++i) {
    const model_tensor *t = &m->tensors[i];
    size_t count = tensor_elements(t);
    if (!(data[i] = bench_alloc_floats(count))) return false;
    bench_fill_random(data[i], count, 70 + (uint64_t)i);
    bool weight = i >= m->n_inputs && i < n - 1 && t->rank >= 2;
    for (size_t j = 0; j < count && (weight || t->gain); ++j)
      data[i][j] = t->gain ? 1.0f : data[i][j] / sqrtf((float)t->shape[0]);
    tensors[i] = (attnc_tensor){data[i], ATTNC_F32, t->rank, t->shape, NULL};
  }
  return true;
}

static void print_model_times(const model_case *m, const peer *peers, const size_t *bytes) {
  printf("   %-10s %12s %12s %9s %6s %14s\n", "", "best ms", "median ms", "GFLOP/s", "reps",
         "workspace MiB");
  for (int l = 0; l < 2; ++l) {
    const timing *t = &peers[l].result;
    if (t->state == TIMING_MEASURED)
      printf("   %-10s %12.2f %12.2f %9.2f %6d %14.1f\n", peers[l].name, t->best * 1e3,
             t->median * 1e3, m->flops / t->best * 1e-9, t->reps, bytes[l] / 1048576.0);
    else
      printf("   %-10s %s\n", peers[l].name,
             t->state == TIMING_SKIPPED ? "skipped (budget)" : "failed");
  }
  if (peers[0].result.state == TIMING_MEASURED && peers[1].result.state == TIMING_MEASURED)
    printf("   -O2 speed-up over -O0 (best time -O0 / best time -O2): %.1fx\n",
           peers[1].result.best / peers[0].result.best);
}

static void run_model_case(const options *o, const model_case *m) {
  printf("   %s: %s, %.3f GFLOP\n", m->name, m->what, m->flops * 1e-9);
  const int n = m->n_inputs + m->n_params + 1;
  float *data[kModelMaxTensors + 1] = {0}, *y0 = NULL;
  attnc_tensor tensors[kModelMaxTensors];
  size_t bytes[2] = {m->workspace[0](m->dims), m->workspace[1](m->dims)};
  void *workspace[2] = {NULL, NULL};
  size_t out_count = tensor_elements(&m->tensors[n - 1]);
  bool ok = fill_model_tensors(m, data, tensors) && (y0 = bench_alloc_floats(out_count));
  for (int l = 0; l < 2 && ok; ++l) ok = bytes[l] != SIZE_MAX && (workspace[l] = malloc(bytes[l] + 1));
  if (!ok) {
    printf("   out of memory\n\n");
  } else {
    model_call calls[2];
    peer peers[2];
    const char *names[2] = {"attnc -O2", "attnc -O0"};
    for (int l = 0; l < 2; ++l) {
      attnc_tensor out = tensors[n - 1];
      if (l == 1) out.data = y0;
      calls[l] = (model_call){m->run[l], tensors, m->n_inputs, m->n_params, out,
                              {.struct_size = sizeof(attnc_exec), .num_threads = o->threads,
                               .workspace = workspace[l], .workspace_bytes = bytes[l] + 1}};
      peers[l] = (peer){.name = names[l], .case_name = m->name, .fn = run_model_call,
                        .arg = &calls[l], .blas_threads = o->threads,
                        .budget = l == 0 ? o->o2_budget : o->o0_budget};
    }
    bool warm = peer_warm_up(&peers[0]) && peer_warm_up(&peers[1]);
    bench_diff d = bench_compare(data[n - 1], y0, out_count);
    time_peers(peers, 2, o->min_time);
    if (warm)
      printf("   -O2 against -O0: max |diff| %.1e (max |-O0| %.2f)\n", d.max_abs_diff,
             d.max_abs_ref);
    print_model_times(m, peers, bytes);
  }
  printf("\n");
  for (int i = 0; i < n; ++i) free(data[i]);
  free(y0);
  for (int l = 0; l < 2; ++l) free(workspace[l]);
}

static void run_models_section(const options *o) {
  printf("5. Whole models, fp32, -O2 against -O0 (each call reusing one workspace of\n"
         "   NAME_workspace_bytes, printed); their peers: scripts/bench.sh --peers\n\n");
  for (size_t i = 0; i < sizeof kModelCases / sizeof kModelCases[0]; ++i)
    if (selected(o->models, kModelCases[i].name)) run_model_case(o, &kModelCases[i]);
}

/*===- 3. Peak memory ----------------------------------------------------===*/

typedef struct rss_result {
  bool ok;
  char why[96];        /* when not ok */
  long max_rss_kib;
  double call_seconds; /* 0 for the child that does not call attnc */
} rss_result;

/* Peak RSS of a child that allocates and fills the inputs and output of one
 * B*H = 1, S = T = kMemS, D = 64 attention and, when `call` is set, runs
 * attnc -O2 on them once. A child, so that no other case's buffers count;
 * run before this process has allocated anything large, because a forked
 * child starts with its parent's resident pages. The child gets `limit`
 * seconds, then SIGALRM ends it. */
static rss_result measure_rss(int threads, bool call, int64_t S, int64_t D, unsigned limit) {
  rss_result r = {0};
  int fds[2];
  if (pipe(fds) != 0) {
    snprintf(r.why, sizeof r.why, "pipe: %s", strerror(errno));
    return r;
  }
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) {
    snprintf(r.why, sizeof r.why, "fork: %s", strerror(errno));
    close(fds[0]);
    close(fds[1]);
    return r;
  }
  if (pid == 0) {
    close(fds[0]);
    alarm(limit);
    const size_t n = (size_t)(S * D);
    float *q = bench_alloc_floats(n), *k = bench_alloc_floats(n), *v = bench_alloc_floats(n);
    float *o = bench_alloc_floats(n);
    if (!q || !k || !v || !o) _exit(3);
    bench_fill_random(q, n, 1);
    bench_fill_random(k, n, 2);
    bench_fill_random(v, n, 3);
    memset(o, 0, n * sizeof(float)); /* resident, as a caller's output buffer would be */
    double seconds = 0.0;
    if (call) {
      sdpa_call c = {.entry = sdpa_d64_o2_entry, .dims = {1, 1, S, S}, .q = q, .k = k, .v = v,
                     .o = o, .exec = {.struct_size = sizeof(attnc_exec), .num_threads = threads}};
      set_running("attnc -O2", "the memory case (child process)");
      seconds = call_once(run_sdpa_call, &c);
      fflush(stdout);
      if (seconds < 0) _exit(1);
    }
    ssize_t written = write(fds[1], &seconds, sizeof seconds);
    _exit(written == (ssize_t)sizeof seconds ? 0 : 4);
  }
  close(fds[1]);
  int status = 0;
  struct rusage ru;
  pid_t waited;
  do waited = wait4(pid, &status, 0, &ru);
  while (waited < 0 && errno == EINTR);
  double seconds = 0.0;
  ssize_t got = read(fds[0], &seconds, sizeof seconds);
  close(fds[0]);
  if (waited != pid) {
    snprintf(r.why, sizeof r.why, "wait4: %s", strerror(errno));
  } else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
    snprintf(r.why, sizeof r.why, "did not finish within %u s (skipped (budget))", limit);
  } else if (WIFSIGNALED(status)) {
    snprintf(r.why, sizeof r.why, "the child died of signal %d (%s)", WTERMSIG(status),
             strsignal(WTERMSIG(status)));
  } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || got != sizeof seconds) {
    snprintf(r.why, sizeof r.why, "the child failed (exit status %d)",
             WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  } else {
    r.ok = true;
    r.max_rss_kib = ru.ru_maxrss; /* Linux: kibibytes */
    r.call_seconds = seconds;
  }
  return r;
}

typedef struct memory_results {
  rss_result base, run;
} memory_results;

static const int64_t kMemS = 16384, kMemD = 64;

static memory_results run_memory_children(const options *o) {
  memory_results m;
  m.base = measure_rss(o->threads, false, kMemS, kMemD, o->memory_limit);
  m.run = measure_rss(o->threads, true, kMemS, kMemD, o->memory_limit);
  return m;
}

static void print_memory_section(const memory_results *m) {
  const double MiB = 1024.0 * 1024.0;
  const double io = 4.0 * (double)kMemS * kMemD * sizeof(float);
  printf("3. Peak resident memory of one attnc -O2 call: B*H = 1, S = T = %lld, D = %lld, fp32\n",
         (long long)kMemS, (long long)kMemD);
  printf("   (measured in a child process: wait4() ru_maxrss)\n\n");
  printf("   inputs + outputs (q, k, v, o)                %10.1f MiB  (%.0f bytes)\n", io / MiB,
         io);
  if (!m->run.ok || !m->base.ok) {
    printf("   no measurement: %s\n\n", !m->run.ok ? m->run.why : m->base.why);
    return;
  }
  double peak = m->run.max_rss_kib * 1024.0, base = m->base.max_rss_kib * 1024.0;
  printf("   peak RSS with the attnc -O2 call             %10.1f MiB  (the call took %.2f s)\n",
         peak / MiB, m->run.call_seconds);
  printf("   peak RSS - (inputs + outputs)                %10.1f MiB\n", (peak - io) / MiB);
  printf("   peak RSS of the same child without the call  %10.1f MiB  (process + buffers)\n",
         base / MiB);
  printf("   added by the call itself                     %10.1f MiB\n", (peak - base) / MiB);
  printf("   for scale: one S x T f32 score matrix is     %10.1f MiB\n\n",
         (double)kMemS * kMemS * sizeof(float) / MiB);
}

/*===- main --------------------------------------------------------------===*/

int main(int argc, char **argv) {
  options o = parse_options(argc, argv);
  configure_openblas(argv);
  install_crash_report();
  double t0 = bench_now();
  /* Output goes to a pipe or file most of the time (scripts, tee): flush
   * lines as they come so progress is visible. */
  setvbuf(stdout, NULL, _IOLBF, 0);
  print_header(&o);

  /* The memory children run first, while this process is still small (a
   * forked child starts with its parent's resident pages); the result is
   * printed last, in the order the sections are documented. */
  memory_results memory = {{0}, {0}};
  if (o.run_memory) {
    printf("(measuring peak memory in child processes first...)\n\n");
    memory = run_memory_children(&o);
  }
  openblas_set_num_threads(o.threads);
  if (o.run_sdpa) run_sdpa_section(&o);
  if (o.run_additive) run_additive_section(&o);
  if (o.run_memory) print_memory_section(&memory);
  if (o.run_gemm) run_gemm_section(&o);
  if (o.run_models) run_models_section(&o);
  printf("total benchmark time: %.0f s; 1-minute load average at the end %.2f\n",
         bench_now() - t0, load_average());
  return 0;
}
