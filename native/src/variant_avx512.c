/* The kernels compiled for AVX-512F (+VL/BW/DQ): 16-float vectors, 14 x 32 GEMM tiles in 28 zmm accumulators. */
#include "common.h"
#if defined(__x86_64__)
#pragma GCC push_options
#pragma GCC target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma,bmi,bmi2,prefer-vector-width=512")
#define VW 16
#define MR 14
#ifndef MC
#define MC (MR * 24)
#endif
#ifndef KC
#define KC 256
#endif
#ifndef NC
#define NC 1024
#endif
#define VARIANT_NAME "avx512"
#define VARIANT_TABLE kt_avx512
#include "body.h"
#pragma GCC pop_options
#endif
