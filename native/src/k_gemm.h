/*
 * GEMM, BLIS-style: C (M x N) = / += A (M x K) B (K x N), any strides. Loops: N in NC-wide
 * blocks, K in KC-deep blocks (B's block packed into NR-wide panels, ~1 MiB, L2/L3), M in
 * MC-high blocks (A's block packed into MR-high panels, in L2), then MR x NR tiles whose B panel
 * (KC x NR) stays in L1d while A panels stream past it. The micro-kernel keeps the MR x NR tile
 * in MR * NV vector registers (AVX-512: 14 x 32 floats in 28 of the 32 zmm registers) and per k
 * does NV vector loads of B, MR broadcasts of A and MR * NV FMAs. Edge tiles run the same kernel
 * on zero-padded panels into a local tile and copy the valid part out.
 *
 * tri (for causal attention): TRI_OUT skips output tiles wholly above the diagonal; TRI_AL says
 * A is lower-triangular (A[m][k] = 0 for k > m) and TRI_AU upper (0 for k < m), so a tile only
 * runs over the k where its rows of A can be non-zero.
 */
#define TRI_OUT 1
#define TRI_AL 2
#define TRI_AU 4

static void pack_a(int mc, int kc, const float *A, ptrdiff_t rsa, ptrdiff_t csa, float *dst) {
  for (int i0 = 0; i0 < mc; i0 += MR) {
    int mr = imin(MR, mc - i0);
    float *d = dst + (size_t)i0 * kc;
    if (rsa == 1) {
      for (int k = 0; k < kc; k++) {
        const float *s = A + k * csa + i0;
        int r = 0;
        for (; r < mr; r++) d[k * MR + r] = s[r];
        for (; r < MR; r++) d[k * MR + r] = 0;
      }
    } else {
      for (int r = 0; r < mr; r++) {
        const float *s = A + (i0 + r) * rsa;
        for (int k = 0; k < kc; k++) d[k * MR + r] = s[k * csa];
      }
      for (int r = mr; r < MR; r++)
        for (int k = 0; k < kc; k++) d[k * MR + r] = 0;
    }
  }
}

static void pack_b(int kc, int nc, const float *B, ptrdiff_t rsb, ptrdiff_t csb, float *dst) {
  for (int j0 = 0; j0 < nc; j0 += NR) {
    int nr = imin(NR, nc - j0);
    float *d = dst + (size_t)j0 * kc;
    if (csb == 1) {
      for (int k = 0; k < kc; k++) {
        const float *s = B + k * rsb + j0;
        if (nr == NR) {
          for (int v = 0; v < NV; v++) *(V *)(d + k * NR + v * VW) = *(const Vu *)(s + v * VW);
        } else {
          int c = 0;
          for (; c < nr; c++) d[k * NR + c] = s[c];
          for (; c < NR; c++) d[k * NR + c] = 0;
        }
      }
    } else {
      for (int c = 0; c < nr; c++) {
        const float *s = B + (j0 + c) * csb;
        for (int k = 0; k < kc; k++) d[k * NR + c] = s[k * rsb];
      }
      for (int c = nr; c < NR; c++)
        for (int k = 0; k < kc; k++) d[k * NR + c] = 0;
    }
  }
}

/*
 * acc = A (MR x kc, element (i, k) at a[i * ris + k * kst]) times B panel (kc x NR); then
 * C = acc (+ bias) or C += acc. A packed panel is ris = 1, kst = MR; A read in place (its rows
 * contiguous, lda apart) is ris = lda, kst = 1. Callers pass constants where they have them.
 */
static inline __attribute__((always_inline)) void ukernel(int kc, const float *restrict a, ptrdiff_t ris, ptrdiff_t kst, const float *restrict bp, float *restrict c, ptrdiff_t ldc, int add, const float *bias) {
  V acc[MR][NV];
  if (add == 2) /* C's tile is read at the end and is not in cache: ask for it now */
#pragma GCC unroll 32
    for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) __builtin_prefetch(c + i * ldc + v * VW, 1, 3);
#pragma GCC unroll 32
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[i][v] = (V){0};
  for (int k = 0; k < kc; k++) {
    V b[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) b[v] = *(const V *)(bp + v * VW);
#pragma GCC unroll 32
    for (int i = 0; i < MR; i++) {
      float ai = a[i * ris]; /* scalar * vector: a broadcast (an embedded {1toN} operand on AVX-512) */
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[i][v] += ai * b[v];
    }
    a += kst;
    bp += NR;
  }
  if (add) {
#pragma GCC unroll 32
    for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) *(Vu *)(c + i * ldc + v * VW) += acc[i][v];
  } else if (bias) {
    V bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) bv[v] = *(const Vu *)(bias + v * VW);
#pragma GCC unroll 32
    for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) *(Vu *)(c + i * ldc + v * VW) = acc[i][v] + bv[v];
  } else {
#pragma GCC unroll 32
    for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) *(Vu *)(c + i * ldc + v * VW) = acc[i][v];
  }
}

static __attribute__((noinline)) void ukernel_full(int kc, const float *ap, const float *bp, float *c, ptrdiff_t ldc, int add, const float *bias) {
  ukernel(kc, ap, 1, MR, bp, c, ldc, add, bias);
}

/* An edge tile (mr < MR or nr < NR): the kernel into a local tile, then the valid part out. */
static void ukernel_edge(int kc, const float *ap, const float *bp, float *c, ptrdiff_t ldc, int add, const float *bias, int mr, int nr) {
  float tile[MR * NR] __attribute__((aligned(64)));
  ukernel(kc, ap, 1, MR, bp, tile, NR, 0, NULL);
  for (int i = 0; i < mr; i++) {
    float *ci = c + i * ldc;
    const float *ti = tile + i * NR;
    if (add) for (int j = 0; j < nr; j++) ci[j] += ti[j];
    else if (bias) for (int j = 0; j < nr; j++) ci[j] = ti[j] + bias[j];
    else for (int j = 0; j < nr; j++) ci[j] = ti[j];
  }
}

/*
 * A with contiguous rows (csa == 1: activations in the forward pass, dout in dinp) is read in
 * place by the micro-kernel, not packed: packing it is a transposing scalar copy, and each element
 * is used only N / NR times, which for the lm head (N = 65) made packing a third of the product.
 * When B's columns are contiguous too (rsb == 1: B is a weight matrix transposed), a remainder of
 * at most NARROW_REM columns is done as dot products along k instead of a zero-padded NR-wide tile.
 * One thread, thread CPU time, 3072 x 384 x 65 forward: 96 -> 193 GFLOP/s; 3072 x 384 x 1152
 * forward 162 -> 171 (the in-place rows alone). The causal attention's per-head products read A
 * in place too (baby shape, wall: forward 0.48 -> 0.39 ms, backward 0.51 -> 0.45 ms); their
 * remainders stay tiles, since TRI_* tiles skip work that plain dots would not.
 */
#ifndef NARROW_REM
#define NARROW_REM (NR / 2)
#endif

/* ukernel with A's MR rows read in place (row i at a + i * lda), full tiles only. */
static __attribute__((noinline)) void ukernel_rows(int kc, const float *a, ptrdiff_t lda, const float *bp, float *c, ptrdiff_t ldc, int add, const float *bias) {
  ukernel(kc, a, lda, 1, bp, c, ldc, add, bias);
}

/* C[i][j] (+)= sum over kc of A[i][k] B[k][j] for mc rows and columns j0..n-1, as dots along k (csa == rsb == 1). */
static void gemm_dots(int mc, int j0, int n, int kc, const float *A, ptrdiff_t rsa, const float *B, ptrdiff_t csb, float *C, ptrdiff_t ldc, int add, const float *bias) {
  int i = 0;
  for (; i + 4 <= mc; i += 4) {
    const float *a0 = A + i * rsa, *a1 = a0 + rsa, *a2 = a1 + rsa, *a3 = a2 + rsa;
    for (int j = j0; j < n; j++) {
      const float *b = B + j * csb;
      V s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};
      int k = 0;
      for (; k + VW <= kc; k += VW) {
        V bv = *(const Vu *)(b + k);
        s0 += *(const Vu *)(a0 + k) * bv;
        s1 += *(const Vu *)(a1 + k) * bv;
        s2 += *(const Vu *)(a2 + k) * bv;
        s3 += *(const Vu *)(a3 + k) * bv;
      }
      float r[4] = {hsum(s0), hsum(s1), hsum(s2), hsum(s3)};
      for (; k < kc; k++) {
        r[0] += a0[k] * b[k];
        r[1] += a1[k] * b[k];
        r[2] += a2[k] * b[k];
        r[3] += a3[k] * b[k];
      }
      for (int q = 0; q < 4; q++) {
        float *cq = C + (i + q) * ldc + j;
        *cq = add ? *cq + r[q] : bias ? r[q] + bias[j] : r[q];
      }
    }
  }
  for (; i < mc; i++)
    for (int j = j0; j < n; j++) {
      float r = dotf(A + i * rsa, B + j * csb, kc), *cq = C + i * ldc + j;
      *cq = add ? *cq + r : bias ? r + bias[j] : r;
    }
}

/* The whole product on one thread, with thread tid's pack buffers. */
static void gemm_st(int M, int N, int K, const float *A, ptrdiff_t rsa, ptrdiff_t csa, const float *B, ptrdiff_t rsb, ptrdiff_t csb, float *C, ptrdiff_t ldc, int accum, const float *bias, int tri, int tid) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (accum) return;
    for (int i = 0; i < M; i++)
      for (int j = 0; j < N; j++) C[i * ldc + j] = bias ? bias[j] : 0.0f;
    return;
  }
  Scratch *s = scratch_get(tid);
  float *pa = s->packA, *pb = s->packB;
  int inplaceA = csa == 1;
  int Nt = N; /* columns done as tiles; the rest as dots */
  if (inplaceA && tri == 0 && rsb == 1 && N % NR <= NARROW_REM) Nt = N - N % NR;
  for (int jc = 0; jc < Nt; jc += NC) {
    int nc = imin(NC, Nt - jc);
    for (int pc = 0; pc < K; pc += KC) {
      int kc = imin(KC, K - pc);
      /* 2: add, and C is cold (another product's, or too big to stay in L2 between KC blocks), so
         the micro-kernel prefetches its tile: dinp of the lm head 160 -> 199 GFLOP/s */
      int add = (accum && pc == 0) || (pc > 0 && (size_t)M * N > (256u << 10)) ? 2 : accum || pc > 0;
      const float *bb = pc == 0 && bias ? bias + jc : NULL;
      pack_b(kc, nc, B + pc * rsb + jc * csb, rsb, csb, pb);
      for (int ic = 0; ic < M; ic += MC) {
        int mc = imin(MC, M - ic);
        if (!inplaceA) pack_a(mc, kc, A + ic * rsa + pc * csa, rsa, csa, pa);
        for (int jr = 0; jr < nc; jr += NR) {
          int nr = imin(NR, nc - jr);
          const float *bpan = pb + (size_t)jr * kc;
          for (int ir = 0; ir < mc; ir += MR) {
            int mr = imin(MR, mc - ir);
            int gi = ic + ir, gj = jc + jr;
            if ((tri & TRI_OUT) && gj > gi + mr - 1) continue;
            int klo = pc, khi = pc + kc;
            if (tri & TRI_AL) khi = imin(khi, gi + mr);
            if (tri & TRI_AU) klo = imax(klo, gi);
            int kn = imax(0, khi - klo);
            if (kn == 0 && add) continue;
            const float *apan = pa + (size_t)ir * kc + (size_t)(klo - pc) * MR;
            const float *bp = bpan + (size_t)(klo - pc) * NR;
            float *ct = C + gi * ldc + gj;
            if (inplaceA) {
              const float *arow = A + gi * rsa + klo;
              if (mr == MR && nr == NR) {
                ukernel_rows(kn, arow, rsa, bp, ct, ldc, add, bb ? bb + jr : NULL);
                continue;
              }
              pack_a(mr, kn, arow, rsa, 1, pa); /* an edge tile: its few rows packed and zero-padded */
              apan = pa;
            }
            if (mr == MR && nr == NR) ukernel_full(kn, apan, bp, ct, ldc, add, bb ? bb + jr : NULL);
            else ukernel_edge(kn, apan, bp, ct, ldc, add, bb ? bb + jr : NULL, mr, nr);
          }
        }
        if (Nt < N && jc + nc == Nt) /* the last few columns, over this block of A while it is in cache */
          gemm_dots(mc, Nt, N, kc, A + ic * rsa + pc, rsa, B + pc, csb, C + ic * ldc, ldc, add, pc == 0 && bias ? bias : NULL);
      }
    }
  }
  if (Nt == 0) /* fewer columns than one remainder: dots only */
    for (int pc = 0; pc < K; pc += KC) {
      int kc = imin(KC, K - pc);
      gemm_dots(M, 0, N, kc, A + pc, rsa, B + pc, csb, C, ldc, accum || pc > 0, pc == 0 ? bias : NULL);
    }
}

typedef struct {
  int M, N, K;
  const float *A, *B;
  ptrdiff_t rsa, csa, rsb, csb, ldc;
  float *C;
  int accum, splitN;
  const float *bias;
} GemmJob;

static void gemm_chunk(void *ctx, int c, int nc, int tid) {
  GemmJob *g = ctx;
  size_t lo, hi;
  if (g->splitN) {
    split(g->N, c, nc, NR, &lo, &hi);
    if (hi > lo) gemm_st(g->M, hi - lo, g->K, g->A, g->rsa, g->csa, g->B + lo * g->csb, g->rsb, g->csb, g->C + lo, g->ldc, g->accum, g->bias ? g->bias + lo : NULL, 0, tid);
  } else {
    split(g->M, c, nc, MR, &lo, &hi);
    if (hi > lo) gemm_st(hi - lo, g->N, g->K, g->A + lo * g->rsa, g->rsa, g->csa, g->B, g->rsb, g->csb, g->C + lo * g->ldc, g->ldc, g->accum, g->bias, 0, tid);
  }
}

/* The product split across nth threads: by rows of C when they give every thread a few tiles, else by columns. */
static void gemm_mt(int M, int N, int K, const float *A, ptrdiff_t rsa, ptrdiff_t csa, const float *B, ptrdiff_t rsb, ptrdiff_t csb, float *C, ptrdiff_t ldc, int accum, const float *bias, int nth) {
  GemmJob g = {M, N, K, A, B, rsa, csa, rsb, csb, ldc, C, accum, 0, bias};
  int nch = nth;
  if (nth > 1) {
    int tm = (M + MR - 1) / MR, tn = (N + NR - 1) / NR;
    /* by columns also when A is read in place and has few rows (a batched prefill's 256): then
       each thread packs only its part of B, where by rows each packed all of W (2 threads,
       256 x 768 x 3072: 220 -> 275 GFLOP/s) */
    g.splitN = (tm < 4 * nth && tn > tm) || (csa == 1 && M <= 512 && tn >= 4 * nth);
    if ((g.splitN ? tn : tm) < nth) nch = g.splitN ? tn : tm;
    if (nch < 1) nch = 1;
  }
  pool_run(gemm_chunk, &g, nch, nth);
}

/*
 * Products with at most this many rows (decode steps of up to this many sequences) skip GEMM's
 * packing: packing W costs a pass over all of it for only a few rows of work.
 */
#ifndef MATVEC_MAX_ROWS
#define MATVEC_MAX_ROWS 32
#endif

/* out (BT, OC) = inp (BT, C) weight (OC, C)^T + bias */
static void matvec(float *out, const float *inp, const float *w, const float *bias, int BT, int C, int OC, int nth);

static double k_matmul_fwd(const double *a, char *base, int nth) {
  int BT = a[4], C = a[5], OC = a[6];
  if (BT <= MATVEC_MAX_ROWS && C > 0) { /* decoding: read W's rows directly (k_decode.h) */
    matvec(F(0), F(1), F(2), FN(3), BT, C, OC, nth);
    return 0;
  }
  gemm_mt(BT, OC, C, F(1), C, 1, F(2), 1, C, F(0), OC, 0, FN(3), nth);
  return 0;
}

typedef struct {
  const float *dout;
  float *dbias;
  int BT, OC;
} ColsumJob;

static void colsum_chunk(void *ctx, int c, int nc, int tid) {
  (void)tid;
  ColsumJob *j = ctx;
  size_t lo, hi;
  split(j->OC, c, nc, VW, &lo, &hi);
  for (int i = 0; i < j->BT; i++) {
    const float *r = j->dout + (size_t)i * j->OC;
#pragma omp simd
    for (size_t o = lo; o < hi; o++) j->dbias[o] += r[o];
  }
}

/* dinp += dout W; dweight += dout^T inp; dbias += column sums of dout */
static double k_matmul_bwd(const double *a, char *base, int nth) {
  int BT = a[6], C = a[7], OC = a[8];
  float *dinp = FN(0), *dweight = FN(1), *dbias = FN(2);
  const float *dout = F(3), *inp = F(4), *w = F(5);
  if (dinp) gemm_mt(BT, C, OC, dout, OC, 1, w, C, 1, dinp, C, 1, NULL, nth);
  if (dweight) gemm_mt(OC, C, BT, dout, 1, OC, inp, C, 1, dweight, C, 1, NULL, nth);
  if (dbias) {
    ColsumJob j = {dout, dbias, BT, OC};
    int nch = imax(1, imin(nth, (OC + VW - 1) / VW));
    pool_run(colsum_chunk, &j, (size_t)BT * OC >= 32768 ? nch : 1, nth);
  }
  return 0;
}
