/**
 * Finds code points that scratchlm's GPT-2 pre-tokenizer classifies differently from tiktoken's
 * (Unicode table versions differ: Node's ICU vs the Rust regex crate). Prints the ranges for
 * NEWER_THAN_REFERENCE in src/tokenizer/pretokenize.ts; prints [] when they agree. About 10 s.
 *   node dist/bench/tokenizer-unicode.js
 * A letter or number c followed by "'s" splits as [c, 's]; an "other" c as [c', s].
 */
import { get_encoding } from 'tiktoken';
import { gpt2Tokenizer } from '../src/index.js';

const ours = gpt2Tokenizer();
const ref = get_encoding('gpt2');
const LN = /[\p{L}\p{N}]/u;
const ranges: [number, number][] = [];
for (let cp = 0; cp <= 0x10ffff; cp++) {
  if (cp >= 0xd800 && cp <= 0xdfff) continue;
  const s = String.fromCodePoint(cp) + "'s";
  const a = ours.encode(s);
  const b = ref.encode(s);
  if (!LN.test(String.fromCodePoint(cp)) && a.length === b.length) continue;
  if (a.length === b.length && a.every((x, i) => x === b[i])) continue;
  const last = ranges[ranges.length - 1];
  if (last && last[1] === cp - 1) last[1] = cp;
  else ranges.push([cp, cp]);
}
ref.free();
console.log(`Node ${process.version}, Unicode ${process.versions.unicode}: ${ranges.length} differing ranges`);
console.log(JSON.stringify(ranges.map(([a, b]) => [`0x${a.toString(16)}`, `0x${b.toString(16)}`])));
