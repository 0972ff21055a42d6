/*
 * One temperature draw over a row of logits (src/kernels/ref/sample.ts is the reference, and
 * src/core/exp.ts the method of e^x): the max, float32 weights exp((z - max) / T) computed in
 * float64, their float64 sum, then the walk r = u * sum, r -= w[i] in index order until r < 0.
 * The weights are the reference's to the last bit but for rare double-rounding ties (FMA
 * contraction in the range reduction), so the draw is the reference's. The walk is sequential
 * (it must subtract in the reference's order); the max and the weights are vectorised.
 */

/* e^x for x <= 0 as core/exp.ts computes it; results below 2^-1022 (float32 0 anyway) are 0 */
static inline double exp_np(double x) {
  if (x != x) return x; /* NaN stays NaN, as in the reference */
  static const double LN2_HI = 0.6931471803691238 / 64, LN2_LO = 1.9082149292705877e-10 / 64;
  static const double INV = 64 / 0.6931471805599453, ROUND = 6755399441055744.0;
  double xc = x < -745 ? -745 : x;
  double k = xc * INV + ROUND - ROUND;
  double r = xc - k * LN2_HI - k * LN2_LO;
  double p = 1 + r * (1 + r * (0.5 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120)))));
  int ki = (int)k;
  int j = ki & 63, m = ki >> 6; /* m = floor(ki / 64) <= 0 */
  /* 2^(j/64) without a table: the same value core/exp.ts tabulates (2 ** (j / 64) rounds to nearest) */
  static const double T2[64] = {
#define T(j) __builtin_exp2((double)(j) / 64)
    T(0), T(1), T(2), T(3), T(4), T(5), T(6), T(7), T(8), T(9), T(10), T(11), T(12), T(13), T(14), T(15),
    T(16), T(17), T(18), T(19), T(20), T(21), T(22), T(23), T(24), T(25), T(26), T(27), T(28), T(29), T(30), T(31),
    T(32), T(33), T(34), T(35), T(36), T(37), T(38), T(39), T(40), T(41), T(42), T(43), T(44), T(45), T(46), T(47),
    T(48), T(49), T(50), T(51), T(52), T(53), T(54), T(55), T(56), T(57), T(58), T(59), T(60), T(61), T(62), T(63),
#undef T
  };
  union { uint64_t u; double d; } s;
  s.u = (uint64_t)(1023 + (m < -1022 ? -1023 : m)) << 52; /* 2^m, or 0 below the normal range */
  double v = p * T2[j] * s.d;
  return x < -745 || m < -1022 ? 0.0 : v;
}

static double k_sample_row(const double *a, char *base, int nth) {
  (void)nth;
  const float *z = F(0);
  float *w = F(1);
  int V = a[2];
  double invT = a[3], u = a[4];
  float mx = -INFINITY;
  int arg = 0;
  for (int i = 0; i < V; i++)
    if (z[i] > mx) mx = z[i], arg = i;
  double sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int i = 0; i < V; i++) {
    float wi = (float)exp_np(((double)z[i] - (double)mx) * invT);
    w[i] = wi;
    sum += wi;
  }
  double r = u * sum;
  int last = -1;
  for (int i = 0; i < V; i++) {
    double p = w[i];
    if (p > 0) last = i;
    r -= p;
    if (r < 0) return i;
  }
  return last >= 0 ? last : arg;
}
