/* Row kernels: layer norm and softmax + cross-entropy, rows split across threads. */

typedef struct {
  const double *a;
  char *base;
  float *parts; /* layernorm backward: per-chunk partial dweight, dbias (2 C floats each) */
} RowJob;

static inline size_t rows_chunks(size_t rows, size_t work, int nth) {
  if (work < 32768 || nth < 2) return 1;
  return rows < (size_t)nth ? rows : (size_t)nth;
}

/* a: out, mean, rstd, inp, weight, bias, N, C, eps */
static void ln_fwd_chunk(void *ctx, int c, int nc, int tid) {
  (void)tid;
  RowJob *j = ctx;
  const double *a = j->a;
  char *base = j->base;
  float *out = F(0), *mean = F(1), *rstd = F(2);
  const float *inp = F(3), *w = F(4), *bias = FN(5);
  int C = a[7];
  float eps = a[8];
  size_t lo, hi;
  split((size_t)a[6], c, nc, 1, &lo, &hi);
  for (size_t n = lo; n < hi; n++) {
    const float *x = inp + n * C;
    float *o = out + n * C;
    double s = 0;
#pragma omp simd reduction(+ : s)
    for (int i = 0; i < C; i++) s += x[i];
    float m = (float)(s / C);
    double v = 0;
#pragma omp simd reduction(+ : v)
    for (int i = 0; i < C; i++) {
      float d = x[i] - m;
      v += d * d;
    }
    float r = (float)(1.0 / sqrt(v / C + eps));
    if (bias) {
#pragma omp simd
      for (int i = 0; i < C; i++) o[i] = (x[i] - m) * r * w[i] + bias[i];
    } else {
#pragma omp simd
      for (int i = 0; i < C; i++) o[i] = (x[i] - m) * r * w[i];
    }
    mean[n] = m;
    rstd[n] = r;
  }
}

static double k_layernorm_fwd(const double *a, char *base, int nth) {
  RowJob j = {a, base, NULL};
  pool_run(ln_fwd_chunk, &j, rows_chunks(a[6], a[6] * a[7], nth), nth);
  return 0;
}

/* a: dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, C */
static void ln_bwd_chunk(void *ctx, int c, int nc, int tid) {
  (void)tid;
  RowJob *j = ctx;
  const double *a = j->a;
  char *base = j->base;
  float *dinp = F(0);
  const float *dout = F(3), *inp = F(4), *w = F(5), *mean = F(6), *rstd = F(7);
  int C = a[9];
  int hasBias = a[2] != 0;
  float *dw = j->parts + (size_t)c * 2 * C, *db = dw + C;
  memset(dw, 0, 2 * C * sizeof(float));
  size_t lo, hi;
  split((size_t)a[8], c, nc, 1, &lo, &hi);
  for (size_t n = lo; n < hi; n++) {
    const float *x = inp + n * C, *d = dout + n * C;
    float *di = dinp + n * C;
    float m = mean[n], s = rstd[n];
    float dm = 0, dnm = 0;
#pragma omp simd reduction(+ : dm, dnm)
    for (int i = 0; i < C; i++) {
      float norm = (x[i] - m) * s;
      float dn = w[i] * d[i];
      dm += dn;
      dnm += dn * norm;
    }
    dm /= C;
    dnm /= C;
#pragma omp simd
    for (int i = 0; i < C; i++) {
      float norm = (x[i] - m) * s;
      float dn = w[i] * d[i];
      db[i] += d[i];
      dw[i] += norm * d[i];
      di[i] += (dn - dm - norm * dnm) * s;
    }
  }
  (void)hasBias;
}

static double k_layernorm_bwd(const double *a, char *base, int nth) {
  int C = a[9];
  size_t N = a[8];
  int nch = rows_chunks(N, N * C, nth);
  /* partial sums live in the caller's scratch: one buffer for every chunk */
  float *parts = scratch_extra(0, (size_t)nch * 2 * C + 16);
  RowJob j = {a, base, parts};
  pool_run(ln_bwd_chunk, &j, nch, nth);
  float *dweight = F(1), *dbias = FN(2);
  for (int ch = 0; ch < nch; ch++) {
    const float *dw = parts + (size_t)ch * 2 * C, *db = dw + C;
#pragma omp simd
    for (int i = 0; i < C; i++) dweight[i] += dw[i];
    if (dbias) {
#pragma omp simd
      for (int i = 0; i < C; i++) dbias[i] += db[i];
    }
  }
  return 0;
}

/* a: losses, probs, logits, targets, BT, V */
static void ce_fwd_chunk(void *ctx, int c, int nc, int tid) {
  (void)tid;
  RowJob *j = ctx;
  const double *a = j->a;
  char *base = j->base;
  float *losses = F(0), *probs = F(1);
  const float *logits = F(2);
  const int32_t *tg = I32(3);
  int V = a[5];
  size_t lo, hi;
  split((size_t)a[4], c, nc, 1, &lo, &hi);
  for (size_t i = lo; i < hi; i++) {
    const float *l = logits + i * V;
    float *p = probs + i * V;
    float mx = -INFINITY;
#pragma omp simd reduction(max : mx)
    for (int v = 0; v < V; v++) mx = l[v] > mx ? l[v] : mx;
    float sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int v = 0; v < V; v++) {
      float e = exp_approx(l[v] - mx);
      p[v] = e;
      sum += e;
    }
    float inv = 1.0f / sum;
#pragma omp simd
    for (int v = 0; v < V; v++) p[v] *= inv;
    int t = tg[i];
    losses[i] = t < 0 ? 0.0f : (float)(log((double)sum) + mx - l[t]);
  }
}

static double k_ce_fwd(const double *a, char *base, int nth) {
  RowJob j = {a, base, NULL};
  pool_run(ce_fwd_chunk, &j, rows_chunks(a[4], a[4] * a[5] * 8, nth), nth);
  return 0;
}

/* a: dlogits, probs, targets, scale, BT, V */
static void ce_bwd_chunk(void *ctx, int c, int nc, int tid) {
  (void)tid;
  RowJob *j = ctx;
  const double *a = j->a;
  char *base = j->base;
  float *dl = F(0);
  const float *probs = F(1);
  const int32_t *tg = I32(2);
  float sc = a[3];
  int V = a[5];
  size_t lo, hi;
  split((size_t)a[4], c, nc, 1, &lo, &hi);
  for (size_t i = lo; i < hi; i++) {
    int t = tg[i];
    if (t < 0) continue;
    float *d = dl + i * V;
    const float *p = probs + i * V;
#pragma omp simd
    for (int v = 0; v < V; v++) d[v] += sc * p[v];
    d[t] -= sc;
  }
}

static double k_ce_bwd(const double *a, char *base, int nth) {
  RowJob j = {a, base, NULL};
  pool_run(ce_bwd_chunk, &j, rows_chunks(a[4], a[4] * a[5], nth), nth);
  return 0;
}
