// Train a small GPT on a text file of your own, watch the loss, then sample from it.
//   node examples/train-on-your-text.mjs input.txt
import { readFileSync } from 'node:fs';
import { GPT } from 'scratchlm';

const file = process.argv[2] ?? 'input.txt';
const text = readFileSync(file, 'utf8');
const model = await GPT.create({ preset: 'baby', text }); // a character tokenizer built from the text
console.log(`${file}: ${text.length} characters, ${model.tokenizer.vocabSize} distinct; kernels ${model.backend.name}`);
const result = await model.fit(text, {
  steps: 1000,
  onStep: (s) => s.step % 100 === 0 && console.log(`step ${s.step}/${s.lastStep}  loss ${s.loss.toFixed(3)}  ${Math.round(s.tokensPerSec)} tokens/s`),
});
console.log(`val loss ${result.valLoss?.toFixed(3)} after ${result.steps} steps`);
console.log(await model.generate('\n', { maxTokens: 300 }));
await model.save('runs/my-text'); // then: npx scratchlm sample --run runs/my-text
