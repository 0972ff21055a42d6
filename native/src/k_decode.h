/*
 * The decode path (one new position per sequence, with a KV cache): products with a handful of
 * rows read W's rows directly instead of packing them (packing W would cost more than the
 * product), and single-query attention over the cached keys and values.
 */

typedef struct {
  float *out;
  const float *inp, *w, *bias;
  int BT, C, OC;
} MatvecJob;

/*
 * Register blocking: MV_RB input rows times MV_OB weight rows of dot products at once, so each
 * vector of weights loaded is used MV_RB times and each vector of input MV_OB times (a plain dot
 * per pair reloads both and waits on one accumulator). AVX-512: 4 x 6 = 24 accumulators of the
 * 32 zmm registers, 10 loads per 24 FMAs; AVX2's 16 ymm take 4 x 2.
 */
#define MV_RB 4
#ifndef MV_OB
#if VW >= 16
#define MV_OB 6
#else
#define MV_OB 2
#endif
#endif

/*
 * Software prefetch: the first pass over a block of weight rows (input rows 0..3) also asks for
 * the block MV_PF_AHEAD blocks on, into L2 (locality 2), one cache line per row per vector step.
 * Without it the 16-row gpt2 step's products ran at ~55 GFLOP/s, waiting on W from memory at
 * 7 GB/s, where the same blocks in cache run at 130-150 (measured with native/bench/matvec.c).
 */
#ifndef MV_PF_AHEAD
#define MV_PF_AHEAD 1
#endif
#ifndef MV_PF_LOC
#define MV_PF_LOC 2
#endif

#if VW == 16
/*
 * dst[i] = the lane sum of v[i], i < 16, as a tree of shuffles and adds (30 shuffles and 15 adds
 * for 16 sums, where one sum at a time is 15 dependent scalar adds): each level halves the
 * partial sums per vector and doubles the vectors per register.
 */
typedef int32_t Mask16 __attribute__((vector_size(64)));
#define SH(a, b, ...) __builtin_shuffle(a, b, (Mask16){__VA_ARGS__})
static inline __attribute__((always_inline)) void reduce16(const V *v, float *dst) {
  V l1[8], l2[4], l3[2];
#pragma GCC unroll 8
  for (int i = 0; i < 8; i++)
    l1[i] = SH(v[2 * i], v[2 * i + 1], 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23) + SH(v[2 * i], v[2 * i + 1], 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
#pragma GCC unroll 4
  for (int i = 0; i < 4; i++)
    l2[i] = SH(l1[2 * i], l1[2 * i + 1], 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27) + SH(l1[2 * i], l1[2 * i + 1], 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31);
#pragma GCC unroll 2
  for (int i = 0; i < 2; i++)
    l3[i] = SH(l2[2 * i], l2[2 * i + 1], 0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29) + SH(l2[2 * i], l2[2 * i + 1], 2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23, 26, 27, 30, 31);
  V r = SH(l3[0], l3[1], 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30) + SH(l3[0], l3[1], 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  *(Vu *)dst = r;
}
#undef SH
#endif

/* dst[i] = lane sum of acc[i], i < n (n <= 32) */
static inline __attribute__((always_inline)) void reduce_n(V *acc, int n, float *dst) {
#if VW == 16
  for (int i = 0; i < n; i += 16) {
    if (n - i < 16)
      for (int j = n - i; j < 16; j++) acc[i + j] = (V){0};
    reduce16(acc + i, dst + i);
  }
#else
  for (int i = 0; i < n; i++) dst[i] = hsum(acc[i]);
#endif
}

/*
 * out[r][o + j] for r in [r0, r0 + rb), j < ob (rb <= MV_RB, ob <= MV_OB). Always inlined, and
 * called with constant rb and ob (mv_dispatch), so each case compiles to unrolled loops with the
 * accumulators in registers.
 */
static inline __attribute__((always_inline)) void mv_block(const MatvecJob *m, size_t o, int r0, const int rb, const int ob, const float *pf) {
  const int C = m->C;
  V acc[MV_RB * MV_OB + 16];
#pragma GCC unroll 32
  for (int i = 0; i < rb * ob; i++) acc[i] = (V){0};
  const float *w = m->w + o * C, *x = m->inp + (size_t)r0 * C;
  int c = 0;
  for (; c + VW <= C; c += VW) {
    V wv[MV_OB];
#pragma GCC unroll 8
    for (int j = 0; j < ob; j++) wv[j] = *(const Vu *)(w + (size_t)j * C + c);
    if (pf)
#pragma GCC unroll 8
      for (int j = 0; j < ob; j++) __builtin_prefetch(pf + (size_t)j * C + c, 0, MV_PF_LOC);
#pragma GCC unroll 8
    for (int i = 0; i < rb; i++) {
      V xv = *(const Vu *)(x + (size_t)i * C + c);
#pragma GCC unroll 8
      for (int j = 0; j < ob; j++) acc[i * ob + j] += xv * wv[j];
    }
  }
  float s[MV_RB * MV_OB + 16] __attribute__((aligned(64)));
  reduce_n(acc, rb * ob, s);
  for (int i = 0; i < rb; i++)
    for (int j = 0; j < ob; j++) {
      float t = s[i * ob + j];
      for (int u = c; u < C; u++) t += x[(size_t)i * C + u] * w[(size_t)j * C + u];
      m->out[(size_t)(r0 + i) * m->OC + o + j] = t + (m->bias ? m->bias[o + j] : 0.0f);
    }
}

/* mv_block with rb and ob as constants: one specialised copy per case (MV_RB is 4) */
static void mv_dispatch(const MatvecJob *m, size_t o, int r0, int rb, int ob, const float *pf) {
  if (ob == MV_OB) {
    switch (rb) {
      case 1: mv_block(m, o, r0, 1, MV_OB, pf); return;
      case 2: mv_block(m, o, r0, 2, MV_OB, pf); return;
      case 3: mv_block(m, o, r0, 3, MV_OB, pf); return;
      default: mv_block(m, o, r0, MV_RB, MV_OB, pf); return;
    }
  }
  for (; ob > 0; o++, ob--) /* the last few weight rows of a chunk */
    switch (rb) {
      case 1: mv_block(m, o, r0, 1, 1, NULL); break;
      case 2: mv_block(m, o, r0, 2, 1, NULL); break;
      case 3: mv_block(m, o, r0, 3, 1, NULL); break;
      default: mv_block(m, o, r0, MV_RB, 1, NULL); break;
    }
}

static void matvec_chunk(void *ctx, int c, int nc, int tid) {
  (void)tid;
  MatvecJob *j = ctx;
  size_t lo, hi;
  split(j->OC, c, nc, 8, &lo, &hi);
  if (j->BT == 1) { /* one row: a plain dot per weight row streams W fastest (measured) */
    const int C = j->C;
    for (size_t o = lo; o < hi; o++) j->out[o] = (j->bias ? j->bias[o] : 0.0f) + dotf(j->inp, j->w + o * C, C);
    return;
  }
  /* MV_OB weight rows stay in L1 while every input row passes over them: W is read once */
  for (size_t o = lo; o < hi; o += MV_OB) {
    int ob = (int)(hi - o < MV_OB ? hi - o : MV_OB);
    /* the first pass over this block's rows prefetches the block MV_PF_AHEAD blocks on */
    size_t op = o + MV_PF_AHEAD * MV_OB;
    const float *pf = op + MV_OB <= hi ? j->w + op * j->C : NULL;
    for (int r = 0; r < j->BT; r += MV_RB) mv_dispatch(j, o, r, imin(MV_RB, j->BT - r), ob, r == 0 ? pf : NULL);
  }
}

static void matvec(float *out, const float *inp, const float *w, const float *bias, int BT, int C, int OC, int nth) {
  MatvecJob j = {out, inp, w, bias, BT, C, OC};
  int nch = (size_t)BT * C * OC >= 32768 ? imax(1, imin(nth, OC / 8)) : 1;
  pool_run(matvec_chunk, &j, nch, nth);
}

/* a: out, att, q, k, v, L, C, NH */
typedef struct {
  const double *a;
  char *base;
} DecodeJob;

/*
 * Heads [lo, hi) of one query over L cached positions. The passes run position by position over
 * all the chunk's heads, so K and V are read in address order (rows of C floats, one after the
 * other), which the hardware prefetcher streams; a head at a time jumps C floats between its
 * 64-float pieces, and in a decode step the cache comes from memory (the weights in between
 * evicted it), so each piece waited on its own miss.
 */
static void decode_chunk(void *ctx, int c, int nc, int tid) {
  (void)tid;
  DecodeJob *j = ctx;
  const double *a = j->a;
  char *base = j->base;
  float *out = F(0), *att = F(1);
  const float *q = F(2), *k = F(3), *v = F(4);
  int L = a[5], C = a[6], NH = a[7], hs = C / NH;
  float scale = 1.0f / sqrtf((float)hs);
  size_t lo, hi;
  split(NH, c, nc, 1, &lo, &hi);
  for (int t = 0; t < L; t++) {
    const float *kr = k + (size_t)t * C;
    for (size_t h = lo; h < hi; h++) att[h * L + t] = dotf(q + h * hs, kr + h * hs, hs) * scale;
  }
  for (size_t h = lo; h < hi; h++) {
    float *at = att + h * L;
    float mx = -INFINITY;
    for (int t = 0; t < L; t++) mx = at[t] > mx ? at[t] : mx;
    float sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int t = 0; t < L; t++) {
      float e = exp_approx(at[t] - mx);
      at[t] = e;
      sum += e;
    }
    float inv = 1.0f / sum;
#pragma omp simd
    for (int t = 0; t < L; t++) at[t] *= inv;
  }
  float *o = out + lo * hs;
  const size_t n = (hi - lo) * hs;
  for (size_t i = 0; i < n; i++) o[i] = 0;
  for (int t = 0; t < L; t++) {
    const float *vr = v + (size_t)t * C + lo * hs;
    for (size_t h = lo; h < hi; h++) {
      float w = att[h * L + t];
      float *oh = out + h * hs;
      const float *vh = vr + (h - lo) * hs;
#pragma omp simd
      for (int i = 0; i < hs; i++) oh[i] += w * vh[i];
    }
  }
}

static double k_attention_decode(const double *a, char *base, int nth) {
  DecodeJob j = {a, base};
  int NH = a[7];
  int nch = NH > 1 && a[5] * a[6] >= 16384 ? imin(nth, NH) : 1;
  pool_run(decode_chunk, &j, nch, nth);
  return 0;
}
