/*
 * The decode path (one new position per sequence, with a KV cache): products with a handful of
 * rows read W's rows directly instead of packing them (packing W would cost more than the
 * product), and single-query attention over the cached keys and values.
 */

static inline float hsum(V x) {
  float s = 0;
#pragma GCC unroll 16
  for (int i = 0; i < VW; i++) s += x[i];
  return s;
}

/* dot of n floats */
static inline float dotf(const float *x, const float *y, int n) {
  V a0 = {0}, a1 = {0};
  int i = 0;
  for (; i + 2 * VW <= n; i += 2 * VW) {
    a0 += *(const Vu *)(x + i) * *(const Vu *)(y + i);
    a1 += *(const Vu *)(x + i + VW) * *(const Vu *)(y + i + VW);
  }
  for (; i + VW <= n; i += VW) a0 += *(const Vu *)(x + i) * *(const Vu *)(y + i);
  float s = hsum(a0 + a1);
  for (; i < n; i++) s += x[i] * y[i];
  return s;
}

typedef struct {
  float *out;
  const float *inp, *w, *bias;
  int BT, C, OC;
} MatvecJob;

/*
 * Register blocking: MV_RB input rows times MV_OB weight rows of dot products at once, so each
 * vector of weights loaded is used MV_RB times and each vector of input MV_OB times (a plain dot
 * per pair reloads both and waits on one accumulator). 4 x 4 = 16 accumulators fit AVX-512's 32
 * registers; AVX2's 16 take 4 x 2.
 */
#define MV_RB 4
#if VW >= 16
#define MV_OB 4
#else
#define MV_OB 2
#endif

/*
 * out[r][o + j] for r in [r0, r0 + rb), j < ob (rb <= MV_RB, ob <= MV_OB). Always inlined, and
 * called with constant rb and ob (mv_dispatch), so each case compiles to unrolled loops with the
 * accumulators in registers.
 */
static inline __attribute__((always_inline)) void mv_block(const MatvecJob *m, size_t o, int r0, const int rb, const int ob) {
  const int C = m->C;
  V acc[MV_RB][MV_OB];
#pragma GCC unroll 4
  for (int i = 0; i < MV_RB; i++)
#pragma GCC unroll 4
    for (int j = 0; j < MV_OB; j++) acc[i][j] = (V){0};
  const float *w = m->w + o * C, *x = m->inp + (size_t)r0 * C;
  int c = 0;
  for (; c + VW <= C; c += VW) {
    V wv[MV_OB];
#pragma GCC unroll 4
    for (int j = 0; j < ob; j++) wv[j] = *(const Vu *)(w + (size_t)j * C + c);
#pragma GCC unroll 4
    for (int i = 0; i < rb; i++) {
      V xv = *(const Vu *)(x + (size_t)i * C + c);
#pragma GCC unroll 4
      for (int j = 0; j < ob; j++) acc[i][j] += xv * wv[j];
    }
  }
  for (int i = 0; i < rb; i++)
    for (int j = 0; j < ob; j++) {
      float s = hsum(acc[i][j]);
      for (int t = c; t < C; t++) s += x[(size_t)i * C + t] * w[(size_t)j * C + t];
      m->out[(size_t)(r0 + i) * m->OC + o + j] = s + (m->bias ? m->bias[o + j] : 0.0f);
    }
}

/* mv_block with rb and ob as constants: one specialised copy per case */
static void mv_dispatch(const MatvecJob *m, size_t o, int r0, int rb, int ob) {
  if (ob == MV_OB) {
    switch (rb) {
      case 1: mv_block(m, o, r0, 1, MV_OB); return;
      case 2: mv_block(m, o, r0, 2, MV_OB); return;
      case 3: mv_block(m, o, r0, 3, MV_OB); return;
      default: mv_block(m, o, r0, MV_RB, MV_OB); return;
    }
  }
  for (int j = 0; j < ob; j++) /* the last few weight rows of a chunk */
    switch (rb) {
      case 1: mv_block(m, o + j, r0, 1, 1); break;
      case 2: mv_block(m, o + j, r0, 2, 1); break;
      case 3: mv_block(m, o + j, r0, 3, 1); break;
      default: mv_block(m, o + j, r0, MV_RB, 1); break;
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
    for (int r = 0; r < j->BT; r += MV_RB) mv_dispatch(j, o, r, imin(MV_RB, j->BT - r), ob);
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
  for (size_t h = lo; h < hi; h++) {
    const float *qh = q + h * hs;
    float *at = att + h * L;
    float mx = -INFINITY;
    for (int t = 0; t < L; t++) {
      float s = dotf(qh, k + (size_t)t * C + h * hs, hs) * scale;
      at[t] = s;
      mx = s > mx ? s : mx;
    }
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
    float *o = out + h * hs;
    for (int i = 0; i < hs; i++) o[i] = 0;
    for (int t = 0; t < L; t++) {
      const float *vr = v + (size_t)t * C + h * hs;
      float w = at[t];
#pragma omp simd
      for (int i = 0; i < hs; i++) o[i] += w * vr[i];
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
