/*
 * The modern recipe's kernels (modded-nanogpt, Llama; references in src/kernels/ref/modern.ts):
 * RMSNorm, the per-head QK-norm and rotary transform of q and k, ReLU², SwiGLU and the logit
 * soft-cap. Row kernels split rows across threads; element-wise ones split elements. Backward
 * kernels accumulate (+=) like every other.
 */

/* a: out, rstd, inp, weight, N, C, eps */
static void rms_fwd_chunk(void *ctx, int c, int nc, int tid) {
  (void)tid;
  RowJob *j = ctx;
  const double *a = j->a;
  char *base = j->base;
  float *out = F(0), *rstd = F(1);
  const float *inp = F(2), *w = F(3);
  int C = a[5];
  float eps = a[6];
  size_t lo, hi;
  split((size_t)a[4], c, nc, 1, &lo, &hi);
  for (size_t n = lo; n < hi; n++) {
    const float *x = inp + n * C;
    float *o = out + n * C;
    double ss = 0;
#pragma omp simd reduction(+ : ss)
    for (int i = 0; i < C; i++) ss += x[i] * x[i];
    float s = (float)(1.0 / sqrt(ss / C + eps));
#pragma omp simd
    for (int i = 0; i < C; i++) o[i] = x[i] * s * w[i];
    rstd[n] = s;
  }
}

static double k_rmsnorm_fwd(const double *a, char *base, int nth) {
  RowJob j = {a, base, NULL};
  pool_run(rms_fwd_chunk, &j, rows_chunks(a[4], a[4] * a[5], nth), nth);
  return 0;
}

/* a: dinp, dweight, dout, inp, weight, rstd, N, C; each chunk sums its dweight apart (j->parts) */
static void rms_bwd_chunk(void *ctx, int c, int nc, int tid) {
  (void)tid;
  RowJob *j = ctx;
  const double *a = j->a;
  char *base = j->base;
  float *dinp = F(0);
  const float *dout = F(2), *inp = F(3), *w = F(4), *rstd = F(5);
  int C = a[7];
  float *dw = j->parts + (size_t)c * C;
  memset(dw, 0, C * sizeof(float));
  size_t lo, hi;
  split((size_t)a[6], c, nc, 1, &lo, &hi);
  for (size_t n = lo; n < hi; n++) {
    const float *x = inp + n * C, *d = dout + n * C;
    float *di = dinp + n * C;
    float s = rstd[n];
    float dyy = 0;
#pragma omp simd reduction(+ : dyy)
    for (int i = 0; i < C; i++) dyy += w[i] * d[i] * x[i] * s;
    dyy /= C;
#pragma omp simd
    for (int i = 0; i < C; i++) {
      float y = x[i] * s;
      dw[i] += y * d[i];
      di[i] += s * (w[i] * d[i] - y * dyy);
    }
  }
}

static double k_rmsnorm_bwd(const double *a, char *base, int nth) {
  int C = a[7];
  size_t N = a[6];
  int nch = rows_chunks(N, N * C, nth);
  float *parts = scratch_extra(0, (size_t)nch * C + 16);
  RowJob j = {a, base, parts};
  pool_run(rms_bwd_chunk, &j, nch, nth);
  float *dweight = F(1);
  for (int ch = 0; ch < nch; ch++) {
    const float *dw = parts + (size_t)ch * C;
#pragma omp simd
    for (int i = 0; i < C; i++) dweight[i] += dw[i];
  }
  return 0;
}

/* a: out, rstd|0, inp, cos|0, sin|0, pos|0, B, T, C, NH, eps: rows (b, t) of qkv (B, T, 3C) */
static void qk_fwd_chunk(void *ctx, int c, int nc, int tid) {
  (void)tid;
  RowJob *j = ctx;
  const double *a = j->a;
  char *base = j->base;
  float *out = F(0), *rstd = FN(1);
  const float *inp = F(2), *cs = FN(3), *sn = FN(4);
  const int32_t *pos = a[5] != 0 ? I32(5) : NULL;
  int T = a[7], C = a[8], NH = a[9];
  float eps = a[10];
  int hs = C / NH, h2 = hs >> 1;
  size_t lo, hi;
  split((size_t)a[6] * T, c, nc, 1, &lo, &hi);
  for (size_t bt = lo; bt < hi; bt++) {
    int t = pos ? pos[bt] : (int)(bt % T);
    const float *row = inp + bt * 3 * C;
    float *orow = out + bt * 3 * C;
    memcpy(orow + 2 * C, row + 2 * C, C * sizeof(float)); /* v */
    for (int part = 0; part < 2; part++) {
      for (int h = 0; h < NH; h++) {
        const float *x = row + part * C + h * hs;
        float *o = orow + part * C + h * hs;
        float s = 1.0f;
        if (rstd) {
          float ss = 0;
#pragma omp simd reduction(+ : ss)
          for (int i = 0; i < hs; i++) ss += x[i] * x[i];
          s = 1.0f / sqrtf(ss / hs + eps);
          rstd[(bt * 2 + part) * NH + h] = s;
        }
        if (cs && sn) {
          const float *ct = cs + (size_t)t * h2, *st = sn + (size_t)t * h2;
#pragma omp simd
          for (int i = 0; i < h2; i++) {
            float xa = x[i] * s, xb = x[i + h2] * s;
            o[i] = xa * ct[i] - xb * st[i];
            o[i + h2] = xb * ct[i] + xa * st[i];
          }
        } else {
#pragma omp simd
          for (int i = 0; i < hs; i++) o[i] = x[i] * s;
        }
      }
    }
  }
}

static double k_qk_fwd(const double *a, char *base, int nth) {
  RowJob j = {a, base, NULL};
  size_t rows = (size_t)a[6] * (size_t)a[7];
  pool_run(qk_fwd_chunk, &j, rows_chunks(rows, rows * 3 * (size_t)a[8], nth), nth);
  return 0;
}

/* a: dinp, dout, inp, rstd|0, cos|0, sin|0, pos|0, B, T, C, NH: the rotation's transpose, then the norm's backward */
static void qk_bwd_chunk(void *ctx, int c, int nc, int tid) {
  (void)tid;
  RowJob *j = ctx;
  const double *a = j->a;
  char *base = j->base;
  float *dinp = F(0);
  const float *dout = F(1), *inp = F(2), *rstd = FN(3), *cs = FN(4), *sn = FN(5);
  const int32_t *pos = a[6] != 0 ? I32(6) : NULL;
  int T = a[8], C = a[9], NH = a[10];
  int hs = C / NH, h2 = hs >> 1;
  float dy[1024]; /* one head (hs <= 1024, checked on the JS side) */
  size_t lo, hi;
  split((size_t)a[7] * T, c, nc, 1, &lo, &hi);
  for (size_t bt = lo; bt < hi; bt++) {
    int t = pos ? pos[bt] : (int)(bt % T);
    const float *drow = dout + bt * 3 * C, *row = inp + bt * 3 * C;
    float *dirow = dinp + bt * 3 * C;
#pragma omp simd
    for (int i = 2 * C; i < 3 * C; i++) dirow[i] += drow[i];
    for (int part = 0; part < 2; part++) {
      for (int h = 0; h < NH; h++) {
        int off = part * C + h * hs;
        const float *d = drow + off, *x = row + off;
        float *di = dirow + off;
        if (cs && sn) {
          const float *ct = cs + (size_t)t * h2, *st = sn + (size_t)t * h2;
#pragma omp simd
          for (int i = 0; i < h2; i++) {
            dy[i] = d[i] * ct[i] + d[i + h2] * st[i];
            dy[i + h2] = d[i + h2] * ct[i] - d[i] * st[i];
          }
        } else {
          memcpy(dy, d, hs * sizeof(float));
        }
        if (rstd) {
          float s = rstd[(bt * 2 + part) * NH + h];
          float dyy = 0;
#pragma omp simd reduction(+ : dyy)
          for (int i = 0; i < hs; i++) dyy += dy[i] * x[i] * s;
          dyy /= hs;
#pragma omp simd
          for (int i = 0; i < hs; i++) di[i] += s * (dy[i] - x[i] * s * dyy);
        } else {
#pragma omp simd
          for (int i = 0; i < hs; i++) di[i] += dy[i];
        }
      }
    }
  }
}

static double k_qk_bwd(const double *a, char *base, int nth) {
  RowJob j = {a, base, NULL};
  size_t rows = (size_t)a[7] * (size_t)a[8];
  pool_run(qk_bwd_chunk, &j, rows_chunks(rows, rows * 3 * (size_t)a[9], nth), nth);
  return 0;
}

/* a: out, inp, N */
static void relu2_fwd_chunk(void *ctx, int c, int nc, int tid) {
  (void)tid;
  EwJob *j = ctx;
  const double *a = j->a;
  char *base = j->base;
  float *out = F(0);
  const float *inp = F(1);
  EW_RANGE(j);
#pragma omp simd
  for (size_t i = lo; i < hi; i++) {
    float x = inp[i] > 0 ? inp[i] : 0.0f;
    out[i] = x * x;
  }
}

/* a: dinp, inp, dout, N */
static void relu2_bwd_chunk(void *ctx, int c, int nc, int tid) {
  (void)tid;
  EwJob *j = ctx;
  const double *a = j->a;
  char *base = j->base;
  float *dinp = F(0);
  const float *inp = F(1), *dout = F(2);
  EW_RANGE(j);
#pragma omp simd
  for (size_t i = lo; i < hi; i++) dinp[i] += inp[i] > 0 ? 2.0f * inp[i] * dout[i] : 0.0f;
}

/* a: out, inp, N, cap */
static void softcap_fwd_chunk(void *ctx, int c, int nc, int tid) {
  (void)tid;
  EwJob *j = ctx;
  const double *a = j->a;
  char *base = j->base;
  float *out = F(0);
  const float *inp = F(1);
  float cap = a[3], inv = 1.0f / cap;
  EW_RANGE(j);
#pragma omp simd
  for (size_t i = lo; i < hi; i++) out[i] = cap * tanh_approx(inp[i] * inv);
}

/* a: dinp, out, dout, N, cap */
static void softcap_bwd_chunk(void *ctx, int c, int nc, int tid) {
  (void)tid;
  EwJob *j = ctx;
  const double *a = j->a;
  char *base = j->base;
  float *dinp = F(0);
  const float *out = F(1), *dout = F(2);
  float inv = 1.0f / (float)a[4];
  EW_RANGE(j);
#pragma omp simd
  for (size_t i = lo; i < hi; i++) {
    float th = out[i] * inv;
    dinp[i] += (1.0f - th * th) * dout[i];
  }
}

EW_ENTRY(k_relu2_fwd, relu2_fwd_chunk, 2, 8192)
EW_ENTRY(k_relu2_bwd, relu2_bwd_chunk, 3, 8192)
EW_ENTRY(k_softcap_fwd, softcap_fwd_chunk, 2, 8192)
EW_ENTRY(k_softcap_bwd, softcap_bwd_chunk, 3, 8192)

/* a: out, inp, N, H: rows [gate | up] -> silu(gate) * up */
static void swiglu_fwd_chunk(void *ctx, int c, int nc, int tid) {
  (void)tid;
  RowJob *j = ctx;
  const double *a = j->a;
  char *base = j->base;
  float *out = F(0);
  const float *inp = F(1);
  int H = a[3];
  size_t lo, hi;
  split((size_t)a[2], c, nc, 1, &lo, &hi);
  for (size_t n = lo; n < hi; n++) {
    const float *g = inp + n * 2 * H, *u = g + H;
    float *o = out + n * H;
#pragma omp simd
    for (int i = 0; i < H; i++) o[i] = g[i] / (1.0f + exp_approx(-g[i])) * u[i];
  }
}

/* a: dinp, inp, dout, N, H: d gate += dout up sig (1 + g (1 - sig)); d up += dout silu(g) */
static void swiglu_bwd_chunk(void *ctx, int c, int nc, int tid) {
  (void)tid;
  RowJob *j = ctx;
  const double *a = j->a;
  char *base = j->base;
  float *dinp = F(0);
  const float *inp = F(1), *dout = F(2);
  int H = a[4];
  size_t lo, hi;
  split((size_t)a[3], c, nc, 1, &lo, &hi);
  for (size_t n = lo; n < hi; n++) {
    const float *g = inp + n * 2 * H, *u = g + H, *d = dout + n * H;
    float *dg = dinp + n * 2 * H, *du = dg + H;
#pragma omp simd
    for (int i = 0; i < H; i++) {
      float sg = 1.0f / (1.0f + exp_approx(-g[i]));
      dg[i] += d[i] * u[i] * sg * (1.0f + g[i] * (1.0f - sg));
      du[i] += d[i] * g[i] * sg;
    }
  }
}

static double k_swiglu_fwd(const double *a, char *base, int nth) {
  RowJob j = {a, base, NULL};
  pool_run(swiglu_fwd_chunk, &j, rows_chunks(a[2], a[2] * a[3], nth), nth);
  return 0;
}

static double k_swiglu_bwd(const double *a, char *base, int nth) {
  RowJob j = {a, base, NULL};
  pool_run(swiglu_bwd_chunk, &j, rows_chunks(a[3], a[3] * a[4], nth), nth);
  return 0;
}
