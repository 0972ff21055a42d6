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

#define MATVEC_MAX_ROWS 8

typedef struct {
  float *out;
  const float *inp, *w, *bias;
  int BT, C, OC;
} MatvecJob;

static void matvec_chunk(void *ctx, int c, int nc, int tid) {
  (void)tid;
  MatvecJob *j = ctx;
  size_t lo, hi;
  split(j->OC, c, nc, 8, &lo, &hi);
  int C = j->C;
  for (size_t o = lo; o < hi; o++) {
    const float *wr = j->w + o * C;
    float b = j->bias ? j->bias[o] : 0.0f;
    for (int r = 0; r < j->BT; r++) j->out[(size_t)r * j->OC + o] = b + dotf(j->inp + (size_t)r * C, wr, C);
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
