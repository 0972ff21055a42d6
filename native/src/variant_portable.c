/*
 * The kernels in portable C: 4-float GCC vectors (SSE2 on x86-64, NEON on arm64, scalar code
 * elsewhere), 6 x 8 GEMM tiles. Every architecture builds this one.
 */
#include "common.h"
#define VW 4
#define MR 6
#define MC (MR * 40)
#define KC 256
#define NC 1024
#define VARIANT_NAME "portable"
#define VARIANT_TABLE kt_portable
#include "body.h"
