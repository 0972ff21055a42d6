/*
 * Causal self-attention, one (batch, head) at a time on one thread (heads split across
 * threads), each product a small GEMM on strided views of the packed q, k, v rows:
 *   forward:  S = q k^T (tiles above the diagonal skipped), row softmax into att, out = att v
 *   backward: d(att) = dout v^T, the softmax's backward in place, dq += dpre k, dk += dpre^T q,
 *             dv += att^T dout, each over the triangle only.
 * With dropout the weights applied to v are drop (= att * multipliers), as in the reference.
 */
typedef struct {
  const double *a;
  char *base;
  int B, T, C, NH;
} AttJob;

static inline float exp_approx(float x);

static void att_fwd_chunk(void *ctx, int c, int nc, int tid) {
  AttJob *j = ctx;
  const double *a = j->a;
  char *base = j->base;
  int B = j->B, T = j->T, C = j->C, NH = j->NH, hs = C / NH, C3 = 3 * C;
  float *out = F(0), *att = F(1), *drop = FN(7);
  const float *inp = F(2);
  const float scale = 1.0f / sqrtf((float)hs);
  size_t lo, hi;
  split((size_t)B * NH, c, nc, 1, &lo, &hi);
  for (size_t bh = lo; bh < hi; bh++) {
    int b = bh / NH, h = bh % NH;
    const float *q = inp + (size_t)b * T * C3 + h * hs, *k = q + C, *v = q + 2 * C;
    float *at = att + bh * T * T, *dr = drop ? drop + bh * T * T : NULL;
    gemm_st(T, T, hs, q, C3, 1, k, 1, C3, at, T, 0, NULL, TRI_OUT, tid);
    for (int t = 0; t < T; t++) {
      float *row = at + (size_t)t * T;
      float mx = -INFINITY;
#pragma omp simd reduction(max : mx)
      for (int u = 0; u <= t; u++) {
        float s = row[u] * scale;
        row[u] = s;
        mx = s > mx ? s : mx;
      }
      float sum = 0;
#pragma omp simd reduction(+ : sum)
      for (int u = 0; u <= t; u++) {
        float e = exp_approx(row[u] - mx);
        row[u] = e;
        sum += e;
      }
      float inv = 1.0f / sum;
#pragma omp simd
      for (int u = 0; u <= t; u++) row[u] *= inv;
      for (int u = t + 1; u < T; u++) row[u] = 0;
      if (dr) {
        float *d = dr + (size_t)t * T;
#pragma omp simd
        for (int u = 0; u <= t; u++) d[u] *= row[u];
        for (int u = t + 1; u < T; u++) d[u] = 0;
      }
    }
    gemm_st(T, hs, T, dr ? dr : at, T, 1, v, C3, 1, out + (size_t)b * T * C + h * hs, C, 0, NULL, TRI_AL, tid);
  }
}

static void att_bwd_chunk(void *ctx, int c, int nc, int tid) {
  AttJob *j = ctx;
  const double *a = j->a;
  char *base = j->base;
  int B = j->B, T = j->T, C = j->C, NH = j->NH, hs = C / NH, C3 = 3 * C;
  float *dinp = F(0), *scratch = F(1), *drop = FN(9);
  const float *dout = F(2), *inp = F(3), *att = F(4);
  const float scale = 1.0f / sqrtf((float)hs);
  size_t lo, hi;
  split((size_t)B * NH, c, nc, 1, &lo, &hi);
  for (size_t bh = lo; bh < hi; bh++) {
    int b = bh / NH, h = bh % NH;
    size_t qo = (size_t)b * T * C3 + h * hs;
    const float *q = inp + qo, *k = q + C, *v = q + 2 * C;
    float *dq = dinp + qo, *dk = dq + C, *dv = dq + 2 * C;
    const float *at = att + bh * T * T, *dr = drop ? drop + bh * T * T : NULL, *w8 = dr ? dr : at;
    const float *dO = dout + (size_t)b * T * C + h * hs;
    float *ds = scratch + bh * T * T;
    gemm_st(T, T, hs, dO, C, 1, v, 1, C3, ds, T, 0, NULL, TRI_OUT, tid);
    for (int t = 0; t < T; t++) {
      float *row = ds + (size_t)t * T;
      const float *ar = at + (size_t)t * T, *wr = w8 + (size_t)t * T;
      float dot = 0;
#pragma omp simd reduction(+ : dot)
      for (int u = 0; u <= t; u++) dot += wr[u] * row[u];
      if (dr) {
#pragma omp simd
        for (int u = 0; u <= t; u++) row[u] = (wr[u] * row[u] - ar[u] * dot) * scale;
      } else {
#pragma omp simd
        for (int u = 0; u <= t; u++) row[u] = ar[u] * (row[u] - dot) * scale;
      }
      for (int u = t + 1; u < T; u++) row[u] = 0;
    }
    gemm_st(T, hs, T, w8, 1, T, dO, C, 1, dv, C3, 1, NULL, TRI_AU, tid);
    gemm_st(T, hs, T, ds, T, 1, k, C3, 1, dq, C3, 1, NULL, TRI_AL, tid);
    gemm_st(T, hs, T, ds, 1, T, q, C3, 1, dk, C3, 1, NULL, TRI_AU, tid);
  }
}

static int att_chunks(int B, int T, int C, int NH, int nth) {
  size_t heads = (size_t)B * NH;
  if ((size_t)B * T * T * C < 32768 || heads < 2) return 1;
  return heads < (size_t)nth ? (int)heads : nth;
}

static double k_attention_fwd(const double *a, char *base, int nth) {
  AttJob j = {a, base, a[3], a[4], a[5], a[6]};
  pool_run(att_fwd_chunk, &j, att_chunks(j.B, j.T, j.C, j.NH, nth), nth);
  return 0;
}

static double k_attention_bwd(const double *a, char *base, int nth) {
  AttJob j = {a, base, a[5], a[6], a[7], a[8]};
  pool_run(att_bwd_chunk, &j, att_chunks(j.B, j.T, j.C, j.NH, nth), nth);
  return 0;
}
