{
  # The native kernels: plain C against Node-API, so one build serves every Node version.
  # Each ISA variant is the same kernel source compiled under a '#pragma GCC target' (see
  # src/variant_*.c): one binary runs on any x86-64 and picks a variant at run time.
  "targets": [
    {
      "target_name": "scratchlm_native",
      "sources": [
        "src/addon.c",
        "src/pool.c",
        "src/variant_avx512.c",
        "src/variant_avx2.c",
        "src/variant_portable.c"
      ],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-std=gnu11", "-O3", "-fno-math-errno", "-fno-trapping-math", "-fopenmp-simd", "-ffp-contract=fast", "-Wall", "-Wno-unknown-pragmas", "-Wno-unused-function"],
      "ldflags": ["-pthread"],
      "conditions": [
        ["OS=='mac'", { "xcode_settings": { "OTHER_CFLAGS": ["-std=gnu11", "-O3", "-fno-math-errno"] } }]
      ]
    }
  ]
}
