/*
 * GFLOP/s of the matmul kernels per thread-CPU-second (CLOCK_THREAD_CPUTIME_ID), one thread, so
 * time the OS gives other processes on a shared machine does not count. Not part of the addon:
 *   cc -O3 -fno-math-errno -fopenmp-simd -ffp-contract=fast -I../src gemm_bench.c ../src/variant_*.c -lm -o /tmp/gemm_bench && /tmp/gemm_bench
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "common.h"

static Scratch s0;
Scratch *scratch_get(int tid) {
  (void)tid;
  if (!s0.packA) {
    s0.packA = aligned_alloc(64, PACKA_FLOATS * 4);
    s0.packB = aligned_alloc(64, PACKB_FLOATS * 4);
  }
  return &s0;
}
float *scratch_extra(int tid, size_t n) {
  (void)tid;
  if (s0.extraFloats < n) {
    free(s0.extra);
    s0.extra = aligned_alloc(64, (n * 4 + 63) / 64 * 64);
    s0.extraFloats = n;
  }
  return s0.extra;
}
void pool_run(job_fn f, void *ctx, int nchunks, int nth) {
  (void)nth;
  for (int i = 0; i < nchunks; i++) f(ctx, i, nchunks, 0);
}
int pool_start(int nth) { (void)nth; return 0; }
long pool_worker_chunks(void) { return 0; }

extern const KernelTable kt_avx512, kt_avx2, kt_portable;

static double cpu_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  const KernelTable *kt = argc > 1 && argv[1][0] == '2' ? &kt_avx2 : argc > 1 && argv[1][0] == 'p' ? &kt_portable : &kt_avx512;
  static const struct { const char *name; int BT, C, OC; } S[] = {
    {"baby qkv", 768, 128, 384}, {"baby fc", 768, 128, 512}, {"baby fcproj", 768, 512, 128},
    {"shakespeare qkv", 3072, 384, 1152}, {"shakespeare fc", 3072, 384, 1536}, {"shakespeare fcproj", 3072, 1536, 384}, {"shakespeare lm head", 3072, 384, 65},
  };
  size_t maxf = 3072 * 1536 * 2;
  char *base = aligned_alloc(64, (6 * maxf + 1024) * 4);
  double a[16];
  printf("%s: GFLOP/s per thread-CPU-second (fwd, bwd = dinp + dweight + dbias)\n", kt->name);
  for (size_t i = 0; i < sizeof S / sizeof S[0]; i++) {
    int BT = S[i].BT, C = S[i].C, OC = S[i].OC;
    size_t off[7], o = 256;
    size_t sz[7] = {(size_t)BT * OC, (size_t)BT * C, (size_t)OC * C, (size_t)OC, (size_t)BT * C, (size_t)OC * C, (size_t)OC};
    for (int j = 0; j < 7; j++) {
      off[j] = o * 4;
      for (size_t k = 0; k < sz[j]; k++) ((float *)(base + off[j]))[k] = 0.01f * (float)((k * 7919) % 200) - 1.0f;
      o += (sz[j] + 63) / 64 * 64;
    }
    double fl = 2.0 * BT * C * OC, tf = 1e9, tb = 1e9;
    for (int rep = 0; rep < 7; rep++) {
      a[0] = off[0]; a[1] = off[1]; a[2] = off[2]; a[3] = off[3]; a[4] = BT; a[5] = C; a[6] = OC;
      double t0 = cpu_now();
      kt->fn[OP_MATMUL_FWD](a, base, 1);
      double t1 = cpu_now();
      a[0] = off[4]; a[1] = off[5]; a[2] = off[6]; a[3] = off[0]; a[4] = off[1]; a[5] = off[2]; a[6] = BT; a[7] = C; a[8] = OC;
      kt->fn[OP_MATMUL_BWD](a, base, 1);
      double t2 = cpu_now();
      if (t1 - t0 < tf) tf = t1 - t0;
      if (t2 - t1 < tb) tb = t2 - t1;
    }
    printf("%-20s %5dx%4dx%4d  fwd %6.1f  bwd %6.1f\n", S[i].name, BT, C, OC, fl / tf / 1e9, 2 * fl / tb / 1e9);
  }
  return 0;
}
