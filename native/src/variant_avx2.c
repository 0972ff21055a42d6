/* The kernels compiled for AVX2 + FMA: 8-float vectors, 6 x 16 GEMM tiles in 12 ymm accumulators. */
#include "common.h"
#if defined(__x86_64__)
#pragma GCC push_options
#pragma GCC target("avx2,fma,bmi,bmi2,prefer-vector-width=256")
#define VW 8
#define MR 6
#define MC (MR * 40)
#define KC 256
#define NC 1024
#define VARIANT_NAME "avx2"
#define VARIANT_TABLE kt_avx2
#include "body.h"
#pragma GCC pop_options
#endif
