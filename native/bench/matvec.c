/*
 * The decode step's weight products alone, on the gpt2 shape (12 layers of qkv 768x2304,
 * attn proj 768x768, fc 768x3072, fc proj 3072x768, then the 768x50257 head), each layer with its
 * own weights so they come from memory as in a real step. Prints ms per product kind and GFLOP/s
 * at BT rows, for W as it is (matvec, k_decode.h) and packed for decoding (k_packed.h), the two
 * alternating within each round.   cc -O3 -march=native -fopenmp-simd -ffp-contract=fast -pthread \
 *   native/bench/matvec.c -o /tmp/mvb -lm && /tmp/mvb 16 1   (rows, threads)
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "../src/common.h"

static Scratch scratch[MAX_THREADS];
#include <sys/mman.h>
static int huge; /* MVB_HUGE=1: weights in transparent huge pages */
static float *alloc64(size_t n) {
  if (huge) {
    void *p = mmap(NULL, n * 4, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    madvise(p, n * 4, MADV_HUGEPAGE);
    return p;
  }
  void *p = NULL;
  return posix_memalign(&p, 64, n * 4) ? NULL : p;
}
Scratch *scratch_get(int tid) {
  Scratch *s = &scratch[tid];
  if (!s->packA) { s->packA = alloc64(PACKA_FLOATS); s->packB = alloc64(PACKB_FLOATS); }
  return s;
}
float *scratch_extra(int tid, size_t n) {
  Scratch *s = &scratch[tid];
  if (s->extraFloats < n) { free(s->extra); s->extra = alloc64(n); s->extraFloats = n; }
  return s->extra;
}
#include "../src/pool.c"
#include "../src/variant_avx512.c"

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e3 + t.tv_nsec / 1e6; }
static void fill(float *p, size_t n, unsigned s) { for (size_t i = 0; i < n; i++) { s = s * 1664525u + 1013904223u; p[i] = ((s >> 9) / 8388608.0f - 0.5f) * 0.1f; } }

/* micro BT C OC: one W of C x OC again and again (in cache when small), best call of many */
static int micro(int BT, int C, int OC) {
  float *w = alloc64((size_t)C * OC), *x = alloc64((size_t)BT * C), *out = alloc64((size_t)BT * OC);
  fill(w, (size_t)C * OC, 1); fill(x, (size_t)BT * C, 2);
  int reps = (int)(3e10 / (2.0 * BT * C * OC)) + 5;
  double best = 1e30;
  for (int t = 0; t < reps; t++) {
    double t0 = now();
    matvec(out, x, w, NULL, BT, C, OC, 1);
    double d = now() - t0;
    if (d < best) best = d;
  }
  printf("micro BT=%d C=%d OC=%d: %.1f us, %.1f GFLOP/s\n", BT, C, OC, best * 1e3, 2.0 * BT * C * OC / best / 1e6);
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 4 && !strcmp(argv[1], "micro")) return micro(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
  int BT = argc > 1 ? atoi(argv[1]) : 16, nth = argc > 2 ? atoi(argv[2]) : 1, rounds = argc > 3 ? atoi(argv[3]) : 9, hot = argc > 4;
  huge = getenv("MVB_HUGE") != NULL;
  pool_start(nth);
  enum { NL = 12 };
  const int Cs[5] = {768, 768, 768, 3072, 768}, OCs[5] = {2304, 768, 3072, 768, 50257};
  const char *names[5] = {"qkv", "proj", "fc", "fcproj", "head"};
  float *w[5][NL], *wp[5][NL], *b[5];
  for (int k = 0; k < 5; k++) {
    for (int l = 0; l < (k == 4 ? 1 : NL); l++) {
      w[k][l] = alloc64((size_t)Cs[k] * OCs[k]); fill(w[k][l], (size_t)Cs[k] * OCs[k], k * 100 + l);
      wp[k][l] = alloc64((size_t)Cs[k] * ((OCs[k] + PK_W - 1) / PK_W * PK_W));
      PackJob pj = {wp[k][l], w[k][l], Cs[k], OCs[k]};
      pool_run(pack_chunk, &pj, nth, nth);
    }
    b[k] = alloc64(OCs[k]); fill(b[k], OCs[k], 7);
  }
  float *x = alloc64((size_t)BT * 3072), *out = alloc64((size_t)BT * 50257);
  fill(x, (size_t)BT * 3072, 3);
  if (rounds > 64) rounds = 64;
  double t[2][5][64] = {{{0}}};
  float *out2 = alloc64((size_t)BT * 50257);
  for (int k = 0; k < 5; k++) { /* the two layouts agree */
    matvec(out, x, w[k][0], b[k], BT, Cs[k], OCs[k], nth);
    PackedJob pj = {out2, x, wp[k][0], b[k], BT, Cs[k], OCs[k]};
    pool_run(packed_chunk, &pj, nth, nth);
    double md = 0;
    for (size_t i = 0; i < (size_t)BT * OCs[k]; i++) md = fmax(md, fabs(out[i] - out2[i]));
    if (md > 1e-4) { printf("%s: packed and matvec differ by %g\n", names[k], md); return 1; }
  }
  for (int r = 0; r < rounds; r++)
    for (int m = 0; m < 2; m++)
      for (int l = 0; l < NL; l++)
        for (int k = 0; k < 5; k++) {
          if (k == 4 && l != NL - 1) continue;
          int li = k == 4 || hot ? 0 : l;
          double t0 = now();
          if (m == 0) matvec(out, x, w[k][li], k == 4 ? NULL : b[k], BT, Cs[k], OCs[k], nth);
          else {
            PackedJob pj = {out, x, wp[k][li], k == 4 ? NULL : b[k], BT, Cs[k], OCs[k]};
            pool_run(packed_chunk, &pj, nth, nth);
          }
          t[m][k][r] += now() - t0;
        }
  for (int m = 0; m < 2; m++) {
    double total = 0;
    for (int k = 0; k < 5; k++) {
      double s[64]; for (int r = 0; r < rounds; r++) s[r] = t[m][k][r];
      for (int i = 0; i < rounds; i++) for (int j = i + 1; j < rounds; j++) if (s[j] < s[i]) { double q = s[i]; s[i] = s[j]; s[j] = q; }
      double md = s[rounds / 2], fl = 2.0 * BT * Cs[k] * OCs[k] * (k == 4 ? 1 : NL);
      total += md;
      printf("%-6s %-7s %7.2f ms  %6.1f GFLOP/s  %5.1f GB/s\n", m ? "packed" : "matvec", names[k], md, fl / md / 1e6, 4.0 * Cs[k] * OCs[k] * (k == 4 ? 1 : NL) / md / 1e6);
    }
    double tot[64];
    for (int r = 0; r < rounds; r++) { tot[r] = 0; for (int k = 0; k < 5; k++) tot[r] += t[m][k][r]; }
    for (int i = 0; i < rounds; i++) for (int j = i + 1; j < rounds; j++) if (tot[j] < tot[i]) { double q = tot[i]; tot[i] = tot[j]; tot[j] = q; }
    printf("%s BT=%d nth=%d: all products: sum of medians %.2f ms, best round %.2f, median round %.2f\n", m ? "packed" : "matvec", BT, nth, total, tot[0], tot[rounds / 2]);
  }
  return 0;
}
