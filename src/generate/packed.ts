/**
 * The model's linear weights packed for decode steps (Kernels.packWeight): each decode step reads
 * every weight once for all its sequences, and in the packed layout that read is one sequential
 * stream the fast kernels keep up with (native: the 16-sequence gpt2 step's products 22-26 ms →
 * 14-16 ms, native/bench/matvec.c); prefills gain too, because the GEMM would pack every weight
 * again on each call (a 256-row gpt2 prefill 270-280 → 165-185 ms). Backends whose panel is 1
 * use the weights as they are, with no copy; the others hold one copy per model (the backend's
 * buffers outside a scope are never freed, so the copy is made once and re-packed in place).
 *
 * The copy is a snapshot: a caller that changes the weights afterwards (a training step, a load)
 * packs again before decoding with it. The batched decoder packs when it is made.
 */
import type { GPT } from '../model/gpt.js';
import { packedFloats } from '../kernels/types.js';
import type { PackedWeight, PackedWeights } from '../tensor/ops.js';

const copies = new WeakMap<GPT, Map<string, PackedWeight>>();

/**
 * The model's linear weights packed for its backend, by parameter name, as of now (re-packed on
 * every call); null for float64 models (gradient checks), which decode on the reference kernels.
 */
export function packDecodeWeights(model: GPT): PackedWeights | null {
  if (model.params.data instanceof Float64Array) return null;
  const k = model.backend.kernels;
  const P = k.packPanel;
  const names = model.linearWeights();
  if (P === 1) return new Map(names.map((n) => [n, viewOf(model, n)]));
  let m = copies.get(model);
  if (!m) {
    m = new Map();
    for (const n of names) {
      const [OC, C] = model.params.get(n).shape as [number, number];
      m.set(n, { data: model.backend.allocF32(packedFloats(C, OC, P)), C, OC, P });
    }
    copies.set(model, m);
  }
  for (const [n, p] of m) k.packWeight({ out: p.data, weight: model.params.get(n).data, C: p.C, OC: p.OC, P });
  return m;
}

/** A weight as its own packing (P = 1). */
function viewOf(model: GPT, name: string): PackedWeight {
  const w = model.params.get(name);
  const [OC, C] = w.shape as [number, number];
  return { data: w.data, C, OC, P: 1 };
}
