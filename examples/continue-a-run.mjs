// Continue a run where it stopped: a run folder from `npx scratchlm train --out DIR` or from model.save(DIR).
// GPT.load takes its latest checkpoint with the optimizer and data position, so fit() goes on exactly.
//   node examples/continue-a-run.mjs runs/my-text input.txt
import { existsSync, readFileSync } from 'node:fs';
import { GPT } from 'scratchlm';

const [dir = 'runs/continued', file = 'input.txt'] = process.argv.slice(2);
const text = readFileSync(file, 'utf8');
if (!existsSync(dir)) {
  // no run yet: make one of 200 steps, so there is something to continue
  const first = await GPT.create({ preset: 'baby', text });
  await first.fit(text, { steps: 200 });
  await first.save(dir);
}
const model = await GPT.load(dir);
console.log(`${dir}: at step ${model.step}`);
const r = await model.fit(text, { steps: 200 });
console.log(`now at step ${r.steps}, val loss ${r.valLoss?.toFixed(3)}`);
await model.save(dir);
