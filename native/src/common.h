/* Shared by the addon, the thread pool and every ISA variant of the kernels. */
#ifndef SCRATCHLM_COMMON_H
#define SCRATCHLM_COMMON_H
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define MAX_THREADS 64

/* Per-thread working memory, allocated once (and grown, never shrunk) by the addon. */
typedef struct {
  float *packA; /* MC x KC panels of the left operand */
  float *packB; /* KC x NC panels of the right operand */
  float *extra; /* anything else: partial sums */
  size_t extraFloats;
} Scratch;

/* Scratch of thread tid, with at least n floats of `extra` (64-byte aligned). */
Scratch *scratch_get(int tid);
float *scratch_extra(int tid, size_t n);

/* Pack-buffer sizes every variant fits in (floats). */
#define PACKA_FLOATS (256 * 512)
#define PACKB_FLOATS (256 * 1024)

/* A job cut into nchunks pieces; tid says whose Scratch to use. */
typedef void (*job_fn)(void *ctx, int chunk, int nchunks, int tid);
/* Runs f on chunks 0..nchunks-1 across up to nth threads (the caller included); returns when all are done. */
void pool_run(job_fn f, void *ctx, int nchunks, int nth);
int pool_start(int nth); /* makes sure nth-1 workers exist; 0 on success */
long pool_worker_chunks(void);

/*
 * A kernel entry: arguments as float64 (buffer offsets from `base`, sizes, scalars), in the order
 * the JS side writes them; nth threads at most. Returns a number for reductions, else 0.
 */
typedef double (*kernel_fn)(const double *a, char *base, int nth);

/* The ops, in the order of the JS side's table (src/kernels/native/ops.ts). */
enum {
  OP_ENCODER_FWD, OP_ENCODER_BWD, OP_MATMUL_FWD, OP_MATMUL_BWD, OP_LAYERNORM_FWD, OP_LAYERNORM_BWD,
  OP_ATTENTION_FWD, OP_ATTENTION_BWD, OP_GELU_FWD, OP_GELU_BWD, OP_RESIDUAL_FWD, OP_RESIDUAL_BWD,
  OP_CE_FWD, OP_CE_BWD, OP_DROPOUT_FWD, OP_DROPOUT_BWD, OP_ADAMW, OP_SUMSQ, OP_SCALE, OP_ATTENTION_DECODE,
  OP_RMSNORM_FWD, OP_RMSNORM_BWD, OP_QK_FWD, OP_QK_BWD, OP_RELU2_FWD, OP_RELU2_BWD, OP_SWIGLU_FWD, OP_SWIGLU_BWD,
  OP_SOFTCAP_FWD, OP_SOFTCAP_BWD, OP_SAMPLE_ROW, OP_PACK_PANEL, OP_PACK_WEIGHT, OP_MATMUL_PACKED,
  OP_COUNT
};

typedef struct {
  const char *name;
  kernel_fn fn[OP_COUNT];
} KernelTable;

#endif
