/**
 * An open-addressing hash table from a pair of ids (a, b) to a number: the encoder's innermost
 * lookup. A JavaScript Map keyed by a * 2^21 + b works, but such keys are not small integers and
 * hash slowly; this is about twice as fast. Absent pairs read as Infinity (never the minimum).
 */
export class PairTable {
  private keysA: Int32Array;
  private keysB: Int32Array;
  private vals: Float64Array;
  private mask: number;
  size = 0;

  constructor(expected = 1024) {
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    this.keysA = new Int32Array(cap).fill(-1);
    this.keysB = new Int32Array(cap);
    this.vals = new Float64Array(cap);
    this.mask = cap - 1;
  }

  private slot(a: number, b: number): number {
    let h = Math.imul(a ^ Math.imul(b, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 15;
    let i = h & this.mask;
    const ka = this.keysA;
    const kb = this.keysB;
    while (ka[i] !== -1 && (ka[i] !== a || kb[i] !== b)) i = (i + 1) & this.mask;
    return i;
  }

  get(a: number, b: number): number {
    const i = this.slot(a, b);
    return this.keysA[i] === -1 ? Infinity : this.vals[i]!;
  }

  set(a: number, b: number, v: number): void {
    if ((this.size + 1) * 2 > this.keysA.length) this.grow();
    const i = this.slot(a, b);
    if (this.keysA[i] === -1) {
      this.size++;
      this.keysA[i] = a;
      this.keysB[i] = b;
    }
    this.vals[i] = v;
  }

  private grow(): void {
    const { keysA, keysB, vals } = this;
    const cap = keysA.length * 2;
    this.keysA = new Int32Array(cap).fill(-1);
    this.keysB = new Int32Array(cap);
    this.vals = new Float64Array(cap);
    this.mask = cap - 1;
    this.size = 0;
    for (let i = 0; i < keysA.length; i++) if (keysA[i] !== -1) this.set(keysA[i]!, keysB[i]!, vals[i]!);
  }
}
