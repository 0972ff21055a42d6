// Load GPT-2-format weights (a Hugging Face folder: config.json + model.safetensors, with its
// tokenizer.json or GPT-2's own vocabulary) and look inside: next-token probabilities, the logit
// lens, attention heads. Without a folder it makes a small one to show the way.
//   node examples/gpt2-weights-inspect.mjs path/to/gpt2-folder
import { readFileSync } from 'node:fs';
import { GPT, saveHfGpt2 } from 'scratchlm';
import { saveTokenizer } from 'scratchlm/node';

let dir = process.argv[2];
if (!dir) {
  const text = readFileSync('input.txt', 'utf8');
  const model = await GPT.create({ preset: 'baby', text });
  await model.fit(text, { steps: 300 });
  dir = 'hf-example';
  saveHfGpt2(model, dir); // the Hugging Face layout: config.json + model.safetensors
  saveTokenizer(model.tokenizer, `${dir}/tokenizer.json`);
}
const model = await GPT.load(dir);
console.log(`${dir}: ${model.config.nLayer} layers, ${model.config.nHead} heads, vocabulary ${model.config.vocabSize}`);
const next = model.next('The king', { top: 5 });
console.log('next:', next.top.map((t) => `${JSON.stringify(t.token)} ${(100 * t.prob).toFixed(1)}%`).join(', '));
const lens = model.lens('The king', { top: 1 });
for (const l of lens.layers) console.log(`after ${l.name.padEnd(10)} → ${JSON.stringify(l.token)} (${(100 * l.prob).toFixed(1)}%)`);
const att = model.attention('The king and the queen');
for (const h of att.heads) console.log(`layer ${h.layer} head ${h.head}: ${h.label}`);
