/* Element-wise kernels (GELU, residual, dropout, AdamW, scale, sum of squares) and the embeddings. */

/*
 * e^x to about 1 ulp, branch-free so '#pragma omp simd' loops vectorise it: x = n ln2 + r with
 * |r| <= ln2/2, a degree-6 polynomial for e^r (Cephes' expf coefficients), 2^n built in the
 * exponent bits. Clamped to the float range: e^x for x < -87.3 comes out ~1e-38, not 0.
 */
static inline float exp_approx(float x) {
  x = x < -87.3f ? -87.3f : x;
  x = x > 88.7f ? 88.7f : x;
  float n = (x * 1.44269504089f + 12582912.0f) - 12582912.0f; /* round to nearest */
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  int32_t e = ((int32_t)n + 127) << 23;
  float s;
  memcpy(&s, &e, 4);
  return p * s;
}

/* tanh through e^(2|u|): 1 - 2 / (e + 1), sign restored. */
static inline float tanh_approx(float u) {
  float au = u < 0 ? -u : u;
  float e = exp_approx(2.0f * au);
  float t = 1.0f - 2.0f / (e + 1.0f);
  return u < 0 ? -t : t;
}

typedef struct {
  const double *a;
  char *base;
  size_t n;
  double parts[MAX_THREADS];
} EwJob;

#define GELU_K 0.7978845608028654f

/* Chunks of at least ~8k elements, aligned to 64 floats. */
static int ew_chunks(size_t n, size_t minPer, int nth) {
  if (nth < 2 || n < 2 * minPer) return 1;
  size_t c = n / minPer;
  return c < (size_t)nth ? (int)c : nth;
}

#define EW_RANGE(j) \
  size_t lo, hi;    \
  split((j)->n, c, nc, 64, &lo, &hi)

static void gelu_fwd_chunk(void *ctx, int c, int nc, int tid) {
  (void)tid;
  EwJob *j = ctx;
  const double *a = j->a;
  char *base = j->base;
  float *out = F(0);
  const float *inp = F(1);
  EW_RANGE(j);
#pragma omp simd
  for (size_t i = lo; i < hi; i++) {
    float x = inp[i];
    out[i] = 0.5f * x * (1.0f + tanh_approx(GELU_K * (x + 0.044715f * x * x * x)));
  }
}

static void gelu_bwd_chunk(void *ctx, int c, int nc, int tid) {
  (void)tid;
  EwJob *j = ctx;
  const double *a = j->a;
  char *base = j->base;
  float *dinp = F(0);
  const float *inp = F(1), *dout = F(2);
  EW_RANGE(j);
#pragma omp simd
  for (size_t i = lo; i < hi; i++) {
    float x = inp[i];
    float th = tanh_approx(GELU_K * (x + 0.044715f * x * x * x));
    float du = GELU_K * (1.0f + 3.0f * 0.044715f * x * x);
    dinp[i] += (0.5f * (1.0f + th) + 0.5f * x * (1.0f - th * th) * du) * dout[i];
  }
}

static void residual_fwd_chunk(void *ctx, int c, int nc, int tid) {
  (void)tid;
  EwJob *j = ctx;
  const double *a = j->a;
  char *base = j->base;
  float *out = F(0);
  const float *x = F(1), *y = F(2);
  EW_RANGE(j);
#pragma omp simd
  for (size_t i = lo; i < hi; i++) out[i] = x[i] + y[i];
}

static void residual_bwd_chunk(void *ctx, int c, int nc, int tid) {
  (void)tid;
  EwJob *j = ctx;
  const double *a = j->a;
  char *base = j->base;
  float *d1 = F(0), *d2 = F(1);
  const float *d = F(2);
  EW_RANGE(j);
  if (d1 == d2) {
    for (size_t i = lo; i < hi; i++) d1[i] += 2 * d[i];
    return;
  }
  /* dout may alias either gradient (dinp2 = dout in the model's in-place residual): read it once */
#pragma omp simd
  for (size_t i = lo; i < hi; i++) {
    float g = d[i];
    d1[i] += g;
    d2[i] += g;
  }
}

static inline uint32_t lowbias32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

/* a: mask, out, inp, N, seed, threshold, keep */
static void dropout_fwd_chunk(void *ctx, int c, int nc, int tid) {
  (void)tid;
  EwJob *j = ctx;
  const double *a = j->a;
  char *base = j->base;
  float *mask = F(0), *out = FN(1);
  const float *inp = FN(2);
  uint32_t seed = (uint32_t)(int64_t)a[4], thr = (uint32_t)(int64_t)a[5];
  float keep = a[6];
  EW_RANGE(j);
#pragma omp simd
  for (size_t i = lo; i < hi; i++) mask[i] = lowbias32(lowbias32((uint32_t)i) ^ seed) >= thr ? keep : 0.0f;
  if (out && inp) {
#pragma omp simd
    for (size_t i = lo; i < hi; i++) out[i] = inp[i] * mask[i];
  }
}

static void dropout_bwd_chunk(void *ctx, int c, int nc, int tid) {
  (void)tid;
  EwJob *j = ctx;
  const double *a = j->a;
  char *base = j->base;
  float *dinp = F(0);
  const float *dout = F(1), *mask = F(2);
  EW_RANGE(j);
#pragma omp simd
  for (size_t i = lo; i < hi; i++) dinp[i] += dout[i] * mask[i];
}

/* a: params, grads, m, v, N, beta1, beta2, eps, decay (1 - lr wd), lr / bc1, 1 / bc2 */
static void adamw_chunk(void *ctx, int c, int nc, int tid) {
  (void)tid;
  EwJob *j = ctx;
  const double *a = j->a;
  char *base = j->base;
  float *p = F(0), *m = F(2), *v = F(3);
  const float *g = F(1);
  float b1 = a[5], b2 = a[6], eps = a[7], decay = a[8], lrc = a[9], ibc2 = a[10];
  EW_RANGE(j);
#pragma omp simd
  for (size_t i = lo; i < hi; i++) {
    float gi = g[i];
    float mi = b1 * m[i] + (1.0f - b1) * gi;
    float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] * decay - lrc * mi / (sqrtf(vi * ibc2) + eps);
  }
}

static void scale_chunk(void *ctx, int c, int nc, int tid) {
  (void)tid;
  EwJob *j = ctx;
  const double *a = j->a;
  char *base = j->base;
  float *x = F(0);
  float s = a[2];
  EW_RANGE(j);
#pragma omp simd
  for (size_t i = lo; i < hi; i++) x[i] *= s;
}

static void sumsq_chunk(void *ctx, int c, int nc, int tid) {
  (void)tid;
  EwJob *j = ctx;
  const double *a = j->a;
  char *base = j->base;
  const float *x = F(0);
  EW_RANGE(j);
  double s = 0;
#pragma omp simd reduction(+ : s)
  for (size_t i = lo; i < hi; i++) s += (double)x[i] * x[i];
  j->parts[c] = s;
}

#define EW_ENTRY(name, chunk, nidx, minPer)                      \
  static double name(const double *a, char *base, int nth) {    \
    EwJob j = {a, base, (size_t)a[nidx], {0}};                  \
    pool_run(chunk, &j, ew_chunks(j.n, minPer, nth), nth);      \
    return 0;                                                    \
  }

EW_ENTRY(k_gelu_fwd, gelu_fwd_chunk, 2, 8192)
EW_ENTRY(k_gelu_bwd, gelu_bwd_chunk, 3, 8192)
EW_ENTRY(k_residual_fwd, residual_fwd_chunk, 3, 32768)
EW_ENTRY(k_residual_bwd, residual_bwd_chunk, 3, 32768)
EW_ENTRY(k_dropout_fwd, dropout_fwd_chunk, 3, 8192)
EW_ENTRY(k_dropout_bwd, dropout_bwd_chunk, 3, 32768)
EW_ENTRY(k_adamw, adamw_chunk, 4, 8192)
EW_ENTRY(k_scale, scale_chunk, 1, 32768)

static double k_sumsq(const double *a, char *base, int nth) {
  EwJob j = {a, base, (size_t)a[1], {0}};
  int nch = ew_chunks(j.n, 32768, nth);
  pool_run(sumsq_chunk, &j, nch, nth);
  double s = 0;
  for (int i = 0; i < nch; i++) s += j.parts[i];
  return s;
}

/* a: out, inp, wte, wpe, B, T, C */
static void enc_fwd_chunk(void *ctx, int c, int nc, int tid) {
  (void)tid;
  EwJob *j = ctx;
  const double *a = j->a;
  char *base = j->base;
  float *out = F(0);
  const int32_t *ids = I32(1);
  const float *wte = F(2), *wpe = FN(3); /* no position table: rotary positions */
  int T = a[5], C = a[6];
  size_t lo, hi;
  split(j->n, c, nc, 1, &lo, &hi);
  for (size_t r = lo; r < hi; r++) {
    const float *w = wte + (size_t)ids[r] * C;
    float *o = out + r * C;
    if (!wpe) {
      memcpy(o, w, C * sizeof(float));
      continue;
    }
    const float *p = wpe + (size_t)(r % T) * C;
#pragma omp simd
    for (int i = 0; i < C; i++) o[i] = w[i] + p[i];
  }
}

/* a: dwte, dwpe, dout, inp, B, T, C: columns split across threads, so no two write one element */
static void enc_bwd_chunk(void *ctx, int c, int nc, int tid) {
  (void)tid;
  EwJob *j = ctx;
  const double *a = j->a;
  char *base = j->base;
  float *dwte = F(0), *dwpe = FN(1);
  const float *dout = F(2);
  const int32_t *ids = I32(3);
  int T = a[5], C = a[6];
  size_t lo, hi;
  split(C, c, nc, 16, &lo, &hi);
  for (size_t r = 0; r < j->n; r++) {
    float *w = dwte + (size_t)ids[r] * C;
    const float *d = dout + r * C;
    if (!dwpe) {
#pragma omp simd
      for (size_t i = lo; i < hi; i++) w[i] += d[i];
      continue;
    }
    float *p = dwpe + (size_t)(r % T) * C;
#pragma omp simd
    for (size_t i = lo; i < hi; i++) {
      w[i] += d[i];
      p[i] += d[i];
    }
  }
}

static double k_encoder_fwd(const double *a, char *base, int nth) {
  EwJob j = {a, base, (size_t)a[4] * (size_t)a[5], {0}};
  pool_run(enc_fwd_chunk, &j, ew_chunks(j.n * (size_t)a[6], 32768, nth) > 1 ? imin(nth, (int)j.n) : 1, nth);
  return 0;
}

static double k_encoder_bwd(const double *a, char *base, int nth) {
  EwJob j = {a, base, (size_t)a[4] * (size_t)a[5], {0}};
  int C = a[6];
  int nch = j.n * C >= 32768 && C >= 32 ? imin(nth, C / 16) : 1;
  pool_run(enc_bwd_chunk, &j, nch, nth);
  return 0;
}
