// A GPT trained and sampled in the browser: the same API as in Node (no file system: keep the
// model with model.toFiles(), e.g. in IndexedDB, and bring it back with GPT.fromFiles(files)).
import { GPT } from 'scratchlm';

const out = document.querySelector('#out');
document.querySelector('#go').addEventListener('click', async () => {
  const text = document.querySelector('#text').value.repeat(20);
  const model = await GPT.create({ preset: 'baby', text, nLayer: 2, blockSize: 32 });
  await model.fit(text, { steps: 200, onStep: (s) => (out.textContent = `step ${s.step}: loss ${s.loss.toFixed(3)}`) });
  out.textContent += '\n' + (await model.generate('To be', { maxTokens: 200 }));
  const files = model.toFiles(); // Uint8Arrays: config.json, model.safetensors, tokenizer.json, settings.json
  const again = await GPT.fromFiles(files);
  out.textContent += `\n(reloaded from ${Object.keys(files).length} files: ${again.config.nLayer} layers)`;
});
