// A GPT trained and sampled in the browser: the same API as in Node. There is no file system, so
// the model's checkpoint goes out as bytes (model.toFiles({ checkpoint: true }): keep them in
// IndexedDB or offer a download) and GPT.fromFiles(files) continues training exactly from them.
import { GPT } from 'scratchlm';

const out = document.querySelector('#out');
document.querySelector('#go').addEventListener('click', async () => {
  const text = document.querySelector('#text').value.repeat(20);
  const model = await GPT.create({ preset: 'baby', text, nLayer: 2, blockSize: 32 });
  await model.fit(text, { steps: 200, onStep: (s) => (out.textContent = `step ${s.step}: loss ${s.loss.toFixed(3)}`) });
  out.textContent += '\n' + (await model.generate('To be', { maxTokens: 200 }));
  // Uint8Arrays: config.json, model.safetensors, tokenizer.json, settings.json, checkpoint.json, optimizer.safetensors
  const files = model.toFiles({ checkpoint: true });
  const again = await GPT.fromFiles(files);
  const r = await again.fit(text, { steps: 50 }); // continues where the first fit stopped: same optimizer state, same batches
  out.textContent += `\nreloaded from ${Object.keys(files).length} files (kernels ${again.backend.name}) and trained on to step ${r.steps}: loss ${r.loss.toFixed(3)}`;
});
