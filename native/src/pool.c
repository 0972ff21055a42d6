/*
 * A small pthread pool. A job is "run f on chunks 0..n-1"; the caller and the workers claim
 * chunks with a compare-exchange on one word (job number << 32 | next chunk), so when the OS
 * deschedules a worker (the cores are shared) the caller simply runs the remaining chunks itself
 * instead of waiting for it. Idle workers spin briefly (a hand-off then costs well under a
 * microsecond) and then sleep on a condition variable.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include "common.h"

#if defined(__x86_64__) || defined(__i386__)
#define CPU_RELAX() __builtin_ia32_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

/* About 50-100 us of spinning before an idle worker sleeps. */
#define WORKER_SPINS 4000
#define CALLER_SPINS 2000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static _Atomic uint64_t gen;         /* bumped once per job */
static _Atomic uint64_t claim;       /* job << 32 | next unclaimed chunk */
static _Atomic int finished;         /* chunks done in the current job */
static _Atomic int sleepers;
static _Atomic long workerChunks;
static job_fn jobFn;
static void *jobCtx;
static int jobChunks;
static int nworkers;
static uint64_t jobNo;

/* Claims and runs chunks of job `job` until none are left; returns how many it ran. */
static int run_chunks(uint64_t job, int tid) {
  int ran = 0;
  for (;;) {
    uint64_t c = atomic_load_explicit(&claim, memory_order_acquire);
    if ((c >> 32) != (job & 0xffffffffu)) return ran;
    int next = (int)(c & 0xffffffffu);
    if (next >= jobChunks) return ran;
    if (!atomic_compare_exchange_weak_explicit(&claim, &c, c + 1, memory_order_acq_rel, memory_order_acquire)) continue;
    jobFn(jobCtx, next, jobChunks, tid);
    ran++;
    atomic_fetch_add_explicit(&finished, 1, memory_order_release);
  }
}

static void *worker(void *arg) {
  int tid = (int)(intptr_t)arg;
  uint64_t seen = atomic_load(&gen);
  for (;;) {
    int spins = 0;
    uint64_t g;
    while ((g = atomic_load_explicit(&gen, memory_order_acquire)) == seen) {
      if (++spins < WORKER_SPINS) {
        CPU_RELAX();
        continue;
      }
      pthread_mutex_lock(&mu);
      atomic_fetch_add(&sleepers, 1);
      while ((g = atomic_load(&gen)) == seen) pthread_cond_wait(&cv, &mu);
      atomic_fetch_sub(&sleepers, 1);
      pthread_mutex_unlock(&mu);
      break;
    }
    seen = g;
    int ran = run_chunks(g, tid);
    if (ran) atomic_fetch_add_explicit(&workerChunks, ran, memory_order_relaxed);
  }
  return NULL;
}

int pool_start(int nth) {
  if (nth > MAX_THREADS) nth = MAX_THREADS;
  while (nworkers < nth - 1) {
    pthread_t t;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    int tid = nworkers + 1;
    if (!scratch_get(tid)) return -1;
    int rc = pthread_create(&t, &at, worker, (void *)(intptr_t)tid);
    pthread_attr_destroy(&at);
    if (rc) return rc;
    nworkers++;
  }
  return 0;
}

long pool_worker_chunks(void) { return atomic_load(&workerChunks); }

void pool_run(job_fn f, void *ctx, int nchunks, int nth) {
  if (nchunks <= 0) return;
  if (nth <= 1 || nworkers == 0 || nchunks == 1) {
    for (int i = 0; i < nchunks; i++) f(ctx, i, nchunks, 0);
    return;
  }
  jobFn = f;
  jobCtx = ctx;
  jobChunks = nchunks;
  atomic_store_explicit(&finished, 0, memory_order_relaxed);
  jobNo++;
  atomic_store_explicit(&claim, (jobNo & 0xffffffffu) << 32, memory_order_release);
  atomic_store_explicit(&gen, jobNo, memory_order_release);
  if (atomic_load(&sleepers) > 0) {
    pthread_mutex_lock(&mu);
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
  }
  run_chunks(jobNo, 0);
  int spins = 0;
  while (atomic_load_explicit(&finished, memory_order_acquire) < nchunks) {
    if (++spins < CALLER_SPINS) CPU_RELAX();
    else sched_yield();
  }
}
