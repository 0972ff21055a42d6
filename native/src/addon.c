/*
 * Node-API glue for the native kernels.
 *
 * Memory: each backend instance reserves one large region of address space (mmap, pages
 * committed by the OS only when touched) and hands it to JavaScript as one external ArrayBuffer.
 * The JS side bump-allocates 64-byte-aligned buffers in it, exactly as the wasm backend does in
 * its WebAssembly.Memory, and passes kernels byte offsets. The region's first bytes hold the
 * float64 argument block of the next call, so a call crosses Node-API with two numbers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <node_api.h>
#include "common.h"

extern const KernelTable kt_portable;
#if defined(__x86_64__)
extern const KernelTable kt_avx512, kt_avx2;
#endif

/* The variants, fastest first: index 0 avx512, 1 avx2, 2 portable. */
static const KernelTable *variant(int i) {
#if defined(__x86_64__)
  if (i == 0) return &kt_avx512;
  if (i == 1) return &kt_avx2;
#endif
  return i == 2 ? &kt_portable : NULL;
}

static int cpu_has(int i) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (i == 0) return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
  if (i == 1) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  return i == 2;
}

static Scratch scratch[MAX_THREADS];
static pthread_mutex_t callMu = PTHREAD_MUTEX_INITIALIZER;

static void *alloc64(size_t floats) {
  void *p = NULL;
  if (posix_memalign(&p, 64, floats * sizeof(float) + 64)) return NULL;
  memset(p, 0, floats * sizeof(float));
  return p;
}

Scratch *scratch_get(int tid) {
  Scratch *s = &scratch[tid];
  if (!s->packA) {
    s->packA = alloc64(PACKA_FLOATS);
    s->packB = alloc64(PACKB_FLOATS);
    if (!s->packA || !s->packB) return NULL;
  }
  return s;
}

float *scratch_extra(int tid, size_t n) {
  Scratch *s = &scratch[tid];
  if (s->extraFloats < n) {
    free(s->extra);
    s->extra = alloc64(n);
    s->extraFloats = s->extra ? n : 0;
  }
  return s->extra;
}

#define CHECK(call)                                                          \
  do {                                                                       \
    if ((call) != napi_ok) {                                                 \
      napi_throw_error(env, NULL, "scratchlm native: Node-API call failed"); \
      return NULL;                                                           \
    }                                                                        \
  } while (0)

/*
 * A region: one mmap of address space, seen from JavaScript through windows of at most 4 GiB
 * (Node 20's largest ArrayBuffer), window i covering bytes [i * 4 GiB, ...). Kernels get byte
 * offsets from the region's start. Its header sits in the region's reserved first page; the
 * mapping goes when the last window is collected.
 */
#define WINDOW ((size_t)1 << 32)
#define REGION_MAGIC 0x5c7a7c411e6e0001ull
typedef struct {
  uint64_t magic;
  size_t size;
  int refs;
} Region;
#define REGION_HEADER 3072 /* bytes into the reserved page; the argument block is at 0 */

static void window_free(napi_env env, void *data, void *hint) {
  (void)env;
  (void)data;
  Region *r = hint;
  if (--r->refs == 0) munmap((void *)r - REGION_HEADER, r->size);
}

static napi_value make_window(napi_env env, Region *r, uint32_t i) {
  char *base = (char *)r - REGION_HEADER;
  size_t off = (size_t)i * WINDOW;
  if (off >= r->size) {
    napi_throw_range_error(env, NULL, "scratchlm native: window past the end of the region");
    return NULL;
  }
  size_t len = r->size - off < WINDOW ? r->size - off : WINDOW;
  napi_value ab;
  r->refs++;
  if (napi_create_external_arraybuffer(env, base + off, len, window_free, r, &ab) != napi_ok) {
    napi_throw_error(env, NULL, "scratchlm native: this Node.js does not allow external ArrayBuffers");
    return NULL;
  }
  return ab;
}

/* reserve(bytes) -> window 0 of a fresh region of that many bytes of address space. */
static napi_value reserve(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  double want = 0;
  CHECK(napi_get_value_double(env, argv[0], &want));
  size_t size = want < 65536 ? 65536 : (size_t)want;
  size = (size + 65535) & ~(size_t)65535;
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    char msg[160];
    snprintf(msg, sizeof msg, "scratchlm native: cannot reserve %.0f MiB of address space (%s)", want / 1048576.0, strerror(errno));
    napi_throw_error(env, NULL, msg);
    return NULL;
  }
  Region *r = (Region *)((char *)p + REGION_HEADER);
  r->magic = REGION_MAGIC;
  r->size = size;
  r->refs = 0;
  return make_window(env, r, 0);
}

static Region *region_of(napi_env env, napi_value ab0) {
  void *data;
  size_t len;
  if (napi_get_arraybuffer_info(env, ab0, &data, &len) != napi_ok || len < 4096) return NULL;
  Region *r = (Region *)((char *)data + REGION_HEADER);
  return r->magic == REGION_MAGIC ? r : NULL;
}

/* window(window0, i) -> window i of the same region. */
static napi_value window(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t i;
  CHECK(napi_get_value_uint32(env, argv[1], &i));
  Region *r = region_of(env, argv[0]);
  if (!r) {
    napi_throw_type_error(env, NULL, "scratchlm native: not a region");
    return NULL;
  }
  return make_window(env, r, i);
}

/* variants() -> names of the variants this CPU runs, fastest first. */
static napi_value variants(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value arr;
  CHECK(napi_create_array(env, &arr));
  uint32_t n = 0;
  for (int i = 0; i < 3; i++) {
    const KernelTable *t = variant(i);
    if (!t || !cpu_has(i)) continue;
    napi_value s;
    CHECK(napi_create_string_utf8(env, t->name, NAPI_AUTO_LENGTH, &s));
    CHECK(napi_set_element(env, arr, n++, s));
  }
  return arr;
}

/* threads(n): makes sure n-1 worker threads exist. */
static napi_value threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t n = 1;
  CHECK(napi_get_value_int32(env, argv[0], &n));
  if (!scratch_get(0) || pool_start(n) != 0) {
    napi_throw_error(env, NULL, "scratchlm native: cannot start the kernel threads");
    return NULL;
  }
  return NULL;
}

static napi_value workerChunks(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value v;
  CHECK(napi_create_double(env, (double)pool_worker_chunks(), &v));
  return v;
}

/* call(buffer, variant, op, threads) -> number: runs one kernel with the arguments at buffer[0..]. */
static napi_value call(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *data;
  size_t len;
  int32_t vi, op, nth;
  CHECK(napi_get_arraybuffer_info(env, argv[0], &data, &len));
  CHECK(napi_get_value_int32(env, argv[1], &vi));
  CHECK(napi_get_value_int32(env, argv[2], &op));
  CHECK(napi_get_value_int32(env, argv[3], &nth));
  const KernelTable *t = vi >= 0 && vi < 3 && cpu_has(vi) ? variant(vi) : NULL;
  if (!t || op < 0 || op >= OP_COUNT || !t->fn[op]) {
    napi_throw_error(env, NULL, "scratchlm native: bad kernel call");
    return NULL;
  }
  if (nth < 1) nth = 1;
  if (nth > MAX_THREADS) nth = MAX_THREADS;
  pthread_mutex_lock(&callMu); /* one job at a time, whichever JS thread calls */
  double r = t->fn[op]((const double *)data, (char *)data, nth);
  pthread_mutex_unlock(&callMu);
  napi_value v;
  CHECK(napi_create_double(env, r, &v));
  return v;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"reserve", NULL, reserve, NULL, NULL, NULL, napi_default, NULL},
    {"window", NULL, window, NULL, NULL, NULL, napi_default, NULL},
    {"variants", NULL, variants, NULL, NULL, NULL, napi_default, NULL},
    {"threads", NULL, threads, NULL, NULL, NULL, napi_default, NULL},
    {"workerChunks", NULL, workerChunks, NULL, NULL, NULL, napi_default, NULL},
    {"call", NULL, call, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
