/*
 * Products with weights packed for decoding. A decode step multiplies a handful of rows (one per
 * sequence) by every weight matrix, so W streams from memory once per step; read as OC rows of C
 * floats (k_decode.h's matvec) each block of weight rows is several streams at once, and the
 * kernel waits on them. Packed once into panels of PK_W output columns, k-major
 * (packed[p][k][j] = W[p * PK_W + j][k], zero past OC), W is one sequential stream, and the
 * product is GEMM's register tile with the input rows read in place: per k, PK_N vector loads of
 * the panel, PK_MR broadcasts of the input, PK_MR x PK_N FMAs. The 16-row gpt2 step's products
 * (native/bench/matvec.c) took 22-26 ms as matvec and 15-16 ms packed, on 2 threads.
 */
#define PK_N 3
#if VW >= 16
#define PK_MR 8 /* 24 zmm accumulators + 3 panel vectors of the 32 */
#else
#define PK_MR 4 /* 12 accumulators + 3 of the 16 ymm / xmm */
#endif
#define PK_W (PK_N * VW)
#ifndef PK_PFL
#define PK_PFL 2 /* prefetch into L2 */
#endif

/* Panels of a weight with OC output columns (the last one zero-padded). */
static inline int pk_panels(int OC) { return (OC + PK_W - 1) / PK_W; }

/* The panel width this variant's matmulPacked runs fast with. */
static double k_pack_panel(const double *a, char *base, int nth) {
  (void)a, (void)base, (void)nth;
  return PK_W;
}

typedef struct {
  float *dst;
  const float *w;
  int C, OC;
} PackJob;

static void pack_chunk(void *ctx, int c, int nc, int tid) {
  (void)tid;
  PackJob *j = ctx;
  const int C = j->C, OC = j->OC;
  size_t lo, hi;
  split(pk_panels(OC), c, nc, 1, &lo, &hi);
  for (size_t p = lo; p < hi; p++) {
    float *d = j->dst + p * (size_t)C * PK_W;
    /* column j of the panel is W's row p * PK_W + j: read it in order, write it strided */
    for (int jj = 0; jj < PK_W; jj++) {
      size_t o = p * PK_W + jj;
      if (o < (size_t)OC) {
        const float *s = j->w + o * C;
        for (int k = 0; k < C; k++) d[(size_t)k * PK_W + jj] = s[k];
      } else
        for (int k = 0; k < C; k++) d[(size_t)k * PK_W + jj] = 0.0f;
    }
  }
}

/* a: out, weight, C, OC, P (P is PK_W: the JS side sends other widths to the reference) */
static double k_pack_weight(const double *a, char *base, int nth) {
  PackJob j = {F(0), F(1), a[2], a[3]};
  pool_run(pack_chunk, &j, imax(1, imin(nth, pk_panels(j.OC))), nth);
  return 0;
}

/*
 * Rows [0, mr) of x (row i at x + i * C) times one panel: out[i][0..PK_W) (ldo apart) =
 * acc + bias. pf: the next panel, which this pass asks the cache for, npf lines per k (the passes
 * over a panel's row groups share its prefetch, so memory streams while every group computes).
 */
static inline __attribute__((always_inline)) void pk_tile(const float *restrict x, int C, int kc, const float *restrict bp, float *out, ptrdiff_t ldo, const float *bias, int add, const int mr, const float *pf, ptrdiff_t pfs, const int npf) {
  V acc[PK_MR][PK_N];
#pragma GCC unroll 8
  for (int i = 0; i < mr; i++)
#pragma GCC unroll 3
    for (int v = 0; v < PK_N; v++) acc[i][v] = (V){0};
  for (int k = 0; k < kc; k++) {
    V b[PK_N];
#pragma GCC unroll 3
    for (int v = 0; v < PK_N; v++) b[v] = *(const Vu *)(bp + (size_t)k * PK_W + v * VW); /* unaligned type: a caller may pass any view */
#pragma GCC unroll 3
    for (int v = 0; v < npf; v++) __builtin_prefetch(pf + (size_t)k * pfs + v * 16, 0, PK_PFL);
#pragma GCC unroll 8
    for (int i = 0; i < mr; i++) {
      float xi = x[(size_t)i * C + k];
#pragma GCC unroll 3
      for (int v = 0; v < PK_N; v++) acc[i][v] += xi * b[v];
    }
  }
  V bv[PK_N];
#pragma GCC unroll 3
  for (int v = 0; v < PK_N; v++) bv[v] = bias ? *(const Vu *)(bias + v * VW) : (V){0};
  if (add)
#pragma GCC unroll 8
    for (int i = 0; i < mr; i++)
#pragma GCC unroll 3
      for (int v = 0; v < PK_N; v++) *(Vu *)(out + i * ldo + v * VW) += acc[i][v];
  else
#pragma GCC unroll 8
    for (int i = 0; i < mr; i++)
#pragma GCC unroll 3
      for (int v = 0; v < PK_N; v++) *(Vu *)(out + i * ldo + v * VW) = acc[i][v] + bv[v];
}

/* pk_tile with mr and npf as constants: one unrolled copy per case */
#define PK_CASE(m)                                                                   \
  case m:                                                                            \
    if (npf >= 3) pk_tile(x, C, kc, bp, out, ldo, bias, add, m, pf, pfs, 3);         \
    else if (npf == 2) pk_tile(x, C, kc, bp, out, ldo, bias, add, m, pf, pfs, 2);    \
    else pk_tile(x, C, kc, bp, out, ldo, bias, add, m, pf, pfs, 1);                  \
    return;
static void pk_dispatch(const float *x, int C, int kc, const float *bp, float *out, ptrdiff_t ldo, const float *bias, int add, int mr, const float *pf, ptrdiff_t pfs, int npf) {
  switch (mr) {
    PK_CASE(1)
    PK_CASE(2)
    PK_CASE(3)
    PK_CASE(4)
#if PK_MR > 4
    PK_CASE(5)
    PK_CASE(6)
    PK_CASE(7)
    PK_CASE(8)
#endif
  }
}
#undef PK_CASE

typedef struct {
  float *out;
  const float *inp, *packed, *bias;
  int BT, C, OC;
} PackedJob;

/*
 * A panel's k in blocks of at most PK_KC: the block being multiplied and the next one (which the
 * passes prefetch) stay in L2 together. Whole panels of the 3072-deep MLP projection (576 KiB
 * each) did not, and ran at 210-240 GFLOP/s where the 768-deep ones ran at 250-270.
 */
#ifndef PK_KC
#define PK_KC 768
#endif

static void packed_chunk(void *ctx, int c, int nc, int tid) {
  (void)tid;
  PackedJob *j = ctx;
  const int C = j->C, OC = j->OC, BT = j->BT;
  const int ng = (BT + PK_MR - 1) / PK_MR; /* row groups: passes over each block */
  /* each pass prefetches its share of the next block: PK_W / ng floats per k (npf lines of 16 floats) */
  const ptrdiff_t pfs = PK_W / ng > 0 ? PK_W / ng : 1;
  const int npf = (int)((pfs + 15) / 16);
  size_t lo, hi;
  split(pk_panels(OC), c, nc, 1, &lo, &hi);
  float tile[PK_MR * PK_W] __attribute__((aligned(64)));
  for (size_t p = lo; p < hi; p++) {
    const size_t o0 = p * PK_W;
    const int last = o0 + PK_W > (size_t)OC; /* a partial panel: through a local tile */
    for (int k0 = 0; k0 < C; k0 += PK_KC) {
      const int kc = imin(PK_KC, C - k0), add = k0 > 0;
      /* [p][k][j]: a panel's blocks, and the next panel's, follow each other in memory */
      const float *bp = j->packed + (p * (size_t)C + k0) * PK_W, *next = bp + (size_t)kc * PK_W;
      const float *bias = !add && j->bias ? j->bias + o0 : NULL;
      for (int r = 0, g = 0; r < BT; r += PK_MR, g++) {
        int mr = imin(PK_MR, BT - r);
        const float *pf = next + (size_t)g * kc * pfs, *x = j->inp + (size_t)r * C + k0;
        if (!last) {
          pk_dispatch(x, C, kc, bp, j->out + (size_t)r * OC + o0, OC, bias, add, mr, pf, pfs, npf);
          continue;
        }
        pk_dispatch(x, C, kc, bp, tile, PK_W, NULL, 0, mr, pf, pfs, npf);
        for (int i = 0; i < mr; i++)
          for (size_t q = 0; o0 + q < (size_t)OC; q++) {
            float *o = j->out + (size_t)(r + i) * OC + o0 + q;
            *o = tile[i * PK_W + q] + (add ? *o : j->bias ? j->bias[o0 + q] : 0.0f);
          }
      }
    }
  }
}

/* a: out, inp, packed, bias, BT, C, OC, P */
static double k_matmul_packed(const double *a, char *base, int nth) {
  PackedJob j = {F(0), F(1), F(2), FN(3), a[4], a[5], a[6]};
  if (j.BT <= 0 || j.OC <= 0) return 0;
  if (j.C <= 0) { /* an empty sum: the bias alone, as matmulForward */
    for (int i = 0; i < j.BT; i++)
      for (int o = 0; o < j.OC; o++) j.out[(size_t)i * j.OC + o] = j.bias ? j.bias[o] : 0.0f;
    return 0;
  }
  int nch = (size_t)j.BT * j.C * j.OC >= 32768 ? imax(1, imin(nth, pk_panels(j.OC))) : 1;
  pool_run(packed_chunk, &j, nch, nth);
  return 0;
}
