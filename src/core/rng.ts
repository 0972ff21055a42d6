/**
 * Seeded random numbers: xoshiro128** (32-bit state words, so it is exact in JavaScript) seeded
 * through splitmix32. All randomness in scratchlm comes from an Rng passed in, and its state can
 * be saved and restored so a resumed run draws the same numbers as one never interrupted.
 */
export type RngState = [number, number, number, number];

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** A seeded random number generator (xoshiro128**) whose state can be saved and restored. */
export class Rng {
  private s: Uint32Array = new Uint32Array(4);

  constructor(seed = 1337) {
    const sm = splitmix32(seed);
    for (let i = 0; i < 4; i++) this.s[i] = sm();
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1;
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 bits of randomness. */
  random(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.random() * n);
  }

  /** Standard normal sample (Box-Muller; one draw per call, so the state stays four words). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.random();
    const v = this.random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** The generator's state (four 32-bit words), to save. */
  getState(): RngState {
    return [this.s[0], this.s[1], this.s[2], this.s[3]];
  }

  /** Restores a state from getState: the draws then continue as they would have. */
  setState(state: readonly number[]): void {
    if (state.length !== 4 || state.some((x) => !Number.isInteger(x) || x < 0 || x > 0xffffffff)) {
      throw new Error('rng state must be four unsigned 32-bit integers');
    }
    for (let i = 0; i < 4; i++) this.s[i] = state[i];
  }

  /** A generator at a saved state. */
  static fromState(state: readonly number[]): Rng {
    const r = new Rng(0);
    r.setState(state);
    return r;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
