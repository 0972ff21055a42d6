/*
 * The kernels, written once over a vector width VW and a GEMM tile height MR that the including
 * variant_*.c file sets (after its '#pragma GCC target'). Every function here is static, so each
 * variant gets its own copy compiled for its instruction set; only the table is exported.
 */
#define NV 2
#define NR (VW * NV)

typedef float V __attribute__((vector_size(VW * 4)));
typedef float Vu __attribute__((vector_size(VW * 4), aligned(4)));

#define F(i) ((float *)(base + (size_t)a[i]))
#define FN(i) (a[i] != 0 ? (float *)(base + (size_t)a[i]) : (float *)0)
#define I32(i) ((const int32_t *)(base + (size_t)a[i]))

static inline int imin(int x, int y) { return x < y ? x : y; }
static inline int imax(int x, int y) { return x > y ? x : y; }

/* [lo, hi) of n items for chunk c of nc, in multiples of `align`. */
static inline void split(size_t n, int c, int nc, size_t align, size_t *lo, size_t *hi) {
  size_t per = (n + nc - 1) / nc;
  per = (per + align - 1) / align * align;
  *lo = per * c < n ? per * c : n;
  *hi = per * (c + 1) < n ? per * (c + 1) : n;
}

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

#include "k_gemm.h"
#include "k_attention.h"
#include "k_rows.h"
#include "k_elementwise.h"
#include "k_decode.h"
#include "k_modern.h"
#include "k_sample.h"
#include "k_packed.h"

const KernelTable VARIANT_TABLE = {
  VARIANT_NAME,
  {
    [OP_ENCODER_FWD] = k_encoder_fwd,
    [OP_ENCODER_BWD] = k_encoder_bwd,
    [OP_MATMUL_FWD] = k_matmul_fwd,
    [OP_MATMUL_BWD] = k_matmul_bwd,
    [OP_LAYERNORM_FWD] = k_layernorm_fwd,
    [OP_LAYERNORM_BWD] = k_layernorm_bwd,
    [OP_ATTENTION_FWD] = k_attention_fwd,
    [OP_ATTENTION_BWD] = k_attention_bwd,
    [OP_GELU_FWD] = k_gelu_fwd,
    [OP_GELU_BWD] = k_gelu_bwd,
    [OP_RESIDUAL_FWD] = k_residual_fwd,
    [OP_RESIDUAL_BWD] = k_residual_bwd,
    [OP_CE_FWD] = k_ce_fwd,
    [OP_CE_BWD] = k_ce_bwd,
    [OP_DROPOUT_FWD] = k_dropout_fwd,
    [OP_DROPOUT_BWD] = k_dropout_bwd,
    [OP_ADAMW] = k_adamw,
    [OP_SUMSQ] = k_sumsq,
    [OP_SCALE] = k_scale,
    [OP_ATTENTION_DECODE] = k_attention_decode,
    [OP_RMSNORM_FWD] = k_rmsnorm_fwd,
    [OP_RMSNORM_BWD] = k_rmsnorm_bwd,
    [OP_QK_FWD] = k_qk_fwd,
    [OP_QK_BWD] = k_qk_bwd,
    [OP_RELU2_FWD] = k_relu2_fwd,
    [OP_RELU2_BWD] = k_relu2_bwd,
    [OP_SWIGLU_FWD] = k_swiglu_fwd,
    [OP_SWIGLU_BWD] = k_swiglu_bwd,
    [OP_SOFTCAP_FWD] = k_softcap_fwd,
    [OP_SOFTCAP_BWD] = k_softcap_bwd,
    [OP_SAMPLE_ROW] = k_sample_row,
    [OP_PACK_PANEL] = k_pack_panel,
    [OP_PACK_WEIGHT] = k_pack_weight,
    [OP_MATMUL_PACKED] = k_matmul_packed,
  },
};
