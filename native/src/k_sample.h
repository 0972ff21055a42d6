/*
 * One temperature draw over a row of logits (src/kernels/ref/sample.ts is the reference, and
 * src/core/exp.ts the method of e^x): the max, float32 weights exp((z - max) / T) computed in
 * float64, their float64 sum, then the walk r = u * sum, r -= w[i] in index order until r < 0.
 * The float32 weights are the reference's but for ties in the last bit, and the sum differs only
 * in its rounding (lanes added apart), so the draw is the reference's unless u lands within about
 * 1e-15 of a boundary. The walk is sequential, in the reference's order; the max and the weights
 * are vectorised. GPT-2's 50,257 logits: 88 us a draw (the reference in JavaScript: 290 us).
 */

/*
 * e^x for x <= 0 on VW/2 doubles at a time (GCC vectors, so every variant vectorises it): x = k ln2
 * + r, |r| <= ln2/2, e^r by its Taylor polynomial of degree 11 (error under 6e-15 relative),
 * 2^k by building the exponent bits. Not core/exp.ts's table method (a table would be a gather
 * per vector), but as float32 the weights are the same (50,257 of 50,257 on a GPT-2 row in a
 * check) but for ties in the last bit. Below -700 (0 in float32) the result is 0; NaN stays NaN.
 */
typedef double VD __attribute__((vector_size(VW * 4)));
typedef int64_t VI __attribute__((vector_size(VW * 4)));
typedef float VH __attribute__((vector_size(VW * 2)));
typedef float VHu __attribute__((vector_size(VW * 2), aligned(4)));
#define VDN (VW / 2)

/* a where the mask lane is all ones, else b (C has no vector ?:) */
static inline VD sel_d(VI mask, VD a, VD b) { return (VD)(((VI)a & mask) | ((VI)b & ~mask)); }

static inline VD exp_np_v(VD x) {
  VI under = x < -700.0; /* lanes: -1 where true, 0 where false (and for NaN) */
  VD lo = sel_d(under, (VD){0} - 700.0, x);
  VD k = lo * (1 / 0.6931471805599453) + 6755399441055744.0 - 6755399441055744.0;
  VD r = lo - k * 0.6931471803691238 - k * 1.9082149292705877e-10;
  VD p = 1 + r * (1 + r * (1.0 / 2 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (1.0 / 720 + r * (1.0 / 5040 + r * (1.0 / 40320 + r * (1.0 / 362880 + r * (1.0 / 3628800 + r * (1.0 / 39916800)))))))))));
  VI bits = (__builtin_convertvector(k, VI) + 1023) << 52;
  VD v = p * (VD)bits;
  return sel_d(under, (VD){0}, v); /* NaN compares false: v, which is NaN */
}

static double k_sample_row(const double *a, char *base, int nth) {
  (void)nth;
  const float *z = F(0);
  float *w = F(1);
  int n = a[2];
  double invT = a[3], u = a[4];
  float mx = -INFINITY; /* NaN never wins (its compares are false), as in the reference */
#pragma omp simd reduction(max : mx)
  for (int q = 0; q < n; q++) mx = z[q] > mx ? z[q] : mx;
  VD acc = {0};
  int i = 0;
  for (; i + VDN <= n; i += VDN) {
    VD x = (__builtin_convertvector(*(const VHu *)(z + i), VD) - (double)mx) * invT;
    VH wv = __builtin_convertvector(exp_np_v(x), VH);
    *(VHu *)(w + i) = wv;
    acc += __builtin_convertvector(wv, VD);
  }
  double sum = 0;
  for (int l = 0; l < VDN; l++) sum += acc[l];
  for (; i < n; i++) { /* the tail, one lane used */
    VD x = {((double)z[i] - (double)mx) * invT};
    float wi = (float)exp_np_v(x)[0];
    w[i] = wi;
    sum += wi;
  }
  double r = u * sum;
  int last = -1;
  for (int i = 0; i < n; i++) {
    double p = w[i];
    if (p > 0) last = i;
    r -= p;
    if (r < 0) return i;
  }
  if (last >= 0) return last;
  for (int i = 0; i < n; i++)
    if (z[i] == mx) return i; /* no positive weight: the first largest logit */
  return 0;
}
