/**
 * The playground page: the form, the live training view and the views that look inside the model.
 * Everything that computes runs in the training worker (worker.ts) through the library's public
 * API; this file only sends settings and draws what comes back.
 */
import { MODEL_SETTINGS_SCHEMA, PRESETS, TRAIN_CONFIG_SCHEMA, learningCurves, parseMetrics, parseSnapshotIndex, type LearningCurves } from 'scratchlm';
import { SNAPSHOT_INDEX, isSnapshotFile } from './model-files.js';
import { LossChart } from './chart.js';
import type { FromWorker, ModelFiles, ModelInfo, SampleSettings, Setup, ToWorker } from './protocol.js';
import { keepLast, lastKept } from './store.js';
import { $, el, fmt, setError, clearErrors } from './ui.js';
import { Tabs } from './tabs.js';

// ---- presets and settings ------------------------------------------------------------------
const EVAL = { evalInterval: 50, evalIters: 4 };
const PAGE_PRESETS: Record<string, Record<string, number | boolean>> = {
  tiny: { ...(PRESETS.baby as Record<string, number | boolean>), nLayer: 2, nHead: 2, nEmbd: 64, blockSize: 32, batchSize: 8, lr: 2e-3, warmupIters: 20, maxIters: 1000, ...EVAL },
  baby: { ...(PRESETS.baby as Record<string, number | boolean>), ...EVAL, evalInterval: 100 },
  shakespeare: { ...(PRESETS.shakespeare as Record<string, number | boolean>), evalInterval: 100, evalIters: 2 },
};
const PRESET_HELP: Record<string, string> = {
  tiny: 'tiny: 2 layers, 64 wide, block 32 (trains in seconds)',
  baby: "baby: the CLI's default (4 layers, 128 wide, block 64)",
  shakespeare: "shakespeare: nanoGPT's shakespeare_char (6 layers, 384 wide; slow in a tab)",
};
/** The settings the form shows, with their labels. */
const FIELDS: [key: string, label: string, step: string][] = [
  ['nLayer', 'layers', '1'], ['nHead', 'heads', '1'], ['nEmbd', 'width (nEmbd)', '1'], ['blockSize', 'block size', '1'],
  ['dropout', 'dropout', '0.05'], ['batchSize', 'batch size', '1'], ['maxIters', 'steps', '1'], ['lr', 'learning rate', 'any'],
  ['warmupIters', 'warm-up steps', '1'], ['evalInterval', 'steps between evaluations', '1'], ['seed', 'seed', '1'],
];

const presetSel = $<HTMLSelectElement>('preset');
for (const name of [...Object.keys(PAGE_PRESETS), 'custom']) presetSel.append(el('option', { value: name }, name === 'custom' ? 'custom' : PRESET_HELP[name]!));
const settingsBox = $('settings');
const inputs = new Map<string, HTMLInputElement>();
for (const [key, label, step] of FIELDS) {
  const input = el('input', { type: 'number', step, id: `set-${key}` });
  input.addEventListener('input', () => (presetSel.value = 'custom'));
  inputs.set(key, input);
  settingsBox.append(el('label', {}, label, input));
}
function applyPreset(name: string): void {
  const p = PAGE_PRESETS[name];
  if (!p) return;
  // keys a preset leaves out take the schema's default (as `scratchlm train` does)
  for (const [key, input] of inputs) input.value = String(p[key] ?? TRAIN_CONFIG_SCHEMA[key]?.default ?? MODEL_SETTINGS_SCHEMA[key]?.default);
}
presetSel.addEventListener('change', () => applyPreset(presetSel.value));
presetSel.value = 'tiny';
applyPreset('tiny');

function settings(): Record<string, number | boolean> {
  const base = { ...(PAGE_PRESETS[presetSel.value] ?? PAGE_PRESETS.baby!) };
  for (const [key, input] of inputs) {
    const v = Number(input.value);
    if (input.value.trim() === '' || !Number.isFinite(v)) throw new Error(`'${input.labels?.[0]?.textContent ?? key}' must be a number, got '${input.value}'`);
    base[key] = v;
  }
  base.lrDecayIters = base.maxIters as number; // decay over the whole run, as `--max-iters` alone does
  return base;
}

// ---- data ----------------------------------------------------------------------------------
const paste = $<HTMLTextAreaElement>('paste');
const upload = $<HTMLInputElement>('upload');
const dataChoice = () => (document.querySelector<HTMLInputElement>('input[name=data]:checked')?.value ?? 'builtin');
for (const r of document.querySelectorAll<HTMLInputElement>('input[name=data]')) {
  r.addEventListener('change', () => {
    paste.hidden = dataChoice() !== 'paste';
    upload.hidden = dataChoice() !== 'file';
  });
}
const tokSel = $<HTMLSelectElement>('tokenizer');
const vocab = $<HTMLInputElement>('vocab');
tokSel.addEventListener('change', () => (vocab.disabled = tokSel.value !== 'bpe'));

let corpus: Promise<string> | null = null;
async function trainingText(): Promise<{ text: string; source: string }> {
  const choice = dataChoice();
  if (choice === 'paste') return { text: paste.value, source: 'pasted text' };
  if (choice === 'file') {
    const f = upload.files?.[0];
    if (!f) throw new Error('choose a text file first');
    return { text: await f.text(), source: f.name };
  }
  corpus ??= fetch(new URL('corpus.txt', document.baseURI)).then((r) => {
    if (!r.ok) throw new Error(`the built-in corpus could not be loaded (${r.status} ${r.statusText})`);
    return r.text();
  });
  return { text: await corpus, source: 'Brown corpus excerpt' };
}

// ---- the worker ----------------------------------------------------------------------------
const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'scratchlm-training' });
const send = (m: ToWorker, transfer: Transferable[] = []) => worker.postMessage(m, transfer);
worker.onerror = (e) => setError(`the training worker failed: ${e.message || 'it could not be loaded'}`);

const cores = navigator.hardwareConcurrency || 2;
const threadSel = $<HTMLSelectElement>('threads');
const isolated = globalThis.crossOriginIsolated === true;
for (let t = 1; t <= Math.min(cores, 16); t++) threadSel.append(el('option', { value: String(t) }, String(t)));
threadSel.value = String(isolated ? Math.min(cores, 4) : 1);
threadSel.disabled = !isolated;
const requested = new URLSearchParams(location.search).get('threads');
if (requested && isolated) threadSel.value = requested;
threadSel.addEventListener('change', () => send({ type: 'init', threads: Number(threadSel.value) }));
send({ type: 'init', threads: Number(threadSel.value) });

// ---- training view -------------------------------------------------------------------------
const chart = new LossChart($('chart'));
const buildBtn = $<HTMLButtonElement>('build');
const pauseBtn = $<HTMLButtonElement>('pause');
const saveBtn = $<HTMLButtonElement>('save');
let running = false;
let model: ModelInfo | null = null;
const recent: number[] = [];

function setStat(id: string, text: string, value?: number): void {
  const d = $(id);
  d.textContent = text;
  if (value !== undefined) d.dataset.value = String(value);
}

buildBtn.addEventListener('click', async () => {
  clearErrors();
  try {
    const { text, source } = await trainingText();
    const setup: Setup = { text, source, tokenizer: tokSel.value as 'char' | 'bpe', vocabSize: Number(vocab.value), settings: settings(), sampleEvery: Math.max(1, Number($<HTMLInputElement>('sample-every').value) || 100) };
    pendingCurves = null;
    clearCurves('page');
    $('sample').textContent = '';
    pendingTrain = true;
    send({ type: 'setup', setup });
  } catch (e) {
    setError((e as Error).message);
  }
});
let pendingTrain = false;
/** A loaded run's own learning curves (its metrics.jsonl), shown once the worker has the model. */
let pendingCurves: LearningCurves | null = null;
pauseBtn.addEventListener('click', () => {
  clearErrors();
  send({ type: running ? 'pause' : 'train' });
});

function showModel(info: ModelInfo): void {
  model = info;
  const c = info.config;
  $('model-info').textContent = `${info.name}: ${fmt(info.params)} parameters, ${c.nLayer} layers × ${c.nHead} heads, width ${c.nEmbd}, block ${c.blockSize}; ${info.tokenizer} tokenizer with ${info.vocabSize} ids` +
    (info.trainTokens ? `; ${fmt(info.trainTokens)} training tokens, ${fmt(info.valTokens)} validation` : '; loaded (build a new model to train)');
  $('model-info').dataset.params = String(info.params);
  saveBtn.disabled = false;
  pauseBtn.disabled = info.trainTokens === 0;
  pauseBtn.textContent = info.iter > 0 ? 'Resume' : 'Start';
  tabs.modelChanged(info);
}

/** Empties the chart, the figures and the evaluations table for curves from `source`. */
function clearCurves(source: 'page' | 'run'): void {
  chart.reset();
  recent.length = 0;
  for (const id of ['s-step', 's-loss', 's-val', 's-tps', 's-lr']) setStat(id, '–');
  $('evals').querySelector('tbody')!.replaceChildren();
  $('chart').dataset.source = source;
  $('curves-note').textContent = '';
}

/** One evaluation: the chart's val point, the val figure and a row of the table. */
function addEval(iter: number, train: number, val: number): void {
  chart.addVal(iter, val);
  setStat('s-val', `${val.toFixed(3)} @${iter}`, val);
  $('evals').querySelector('tbody')!.append(el('tr', { 'data-iter': String(iter), 'data-train': String(train), 'data-val': String(val) }, el('td', {}, String(iter)), el('td', {}, train.toFixed(4)), el('td', {}, val.toFixed(4))));
}

/** A CLI run's curves from its metrics.jsonl: the loss chart, the evaluations table and the probe curves. */
function showRunCurves(c: LearningCurves): void {
  clearCurves('run');
  for (const [iter, loss] of c.train) chart.addTrain(iter, loss);
  for (const e of c.evals) addEval(e.iter, e.train, e.val);
  const lastTrain = c.train.at(-1);
  if (lastTrain) {
    setStat('s-step', `${lastTrain[0] + 1} (the run's)`, lastTrain[0] + 1);
    setStat('s-loss', lastTrain[1].toFixed(3), lastTrain[1]);
  }
  $('chart').dataset.points = String(c.train.length + c.evals.length);
  $('curves-note').textContent = `The curves are the run's own (its metrics.jsonl): ${c.train.length} logged steps, ${c.evals.length} evaluations${c.probes.length ? `, ${c.probes.length} probes` : ''}.`;
  tabs.runProbes(c.probes, c.probePoints);
}

const handlers: { [K in FromWorker['type']]?: (m: Extract<FromWorker, { type: K }>) => void } = {
  ready: (m) => {
    $('engine').textContent = m.note;
    $('engine').dataset.threads = String(m.threads);
    $('engine').dataset.backend = m.backend;
    document.body.dataset.ready = '1';
  },
  status: (m) => ($('model-info').textContent = m.text),
  model: (m) => {
    showModel(m.info);
    if (pendingCurves) showRunCurves(pendingCurves);
    pendingCurves = null;
    if (pendingTrain) {
      pendingTrain = false;
      send({ type: 'train' });
    }
  },
  step: (m) => {
    chart.addTrain(m.iter, m.loss);
    recent.push(m.tokensPerSec);
    if (recent.length > 10) recent.shift();
    const tps = recent.reduce((a, b) => a + b, 0) / recent.length;
    setStat('s-step', `${m.iter + 1} / ${model?.maxIters ?? '?'}`, m.iter + 1);
    setStat('s-loss', m.loss.toFixed(3), m.loss);
    setStat('s-tps', fmt(Math.round(tps)), tps);
    setStat('s-lr', m.lr.toExponential(2), m.lr);
  },
  eval: (m) => addEval(m.iter, m.train, m.val),
  sample: (m) => {
    $('sample').textContent = m.text;
    $('sample-step').textContent = `(at step ${m.iter})`;
    $('sample').dataset.step = String(m.iter);
  },
  state: (m) => {
    running = m.running;
    pauseBtn.textContent = m.running ? 'Pause' : m.done ? 'Done' : 'Resume';
    pauseBtn.disabled = m.done;
    buildBtn.disabled = m.running;
    document.body.dataset.training = m.running ? 'running' : m.done ? 'done' : 'paused';
    tabs.trainingChanged(m.running);
  },
  saved: (m) => void saved(m.files),
  error: (m) => {
    pendingTrain = false;
    if (m.id !== undefined) tabs.failed(m.id, m.message);
    setError(m.message);
  },
};
worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const m = e.data;
  (handlers[m.type] as ((x: FromWorker) => void) | undefined)?.(m);
  tabs.message(m);
};

// ---- save and load -------------------------------------------------------------------------
saveBtn.addEventListener('click', () => {
  clearErrors();
  send({ type: 'save' });
});

function download(name: string, bytes: Uint8Array): void {
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>]));
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function saved(files: ModelFiles): Promise<void> {
  for (const [name, bytes] of Object.entries(files)) download(name, bytes);
  await keep(model?.name ?? 'model', files);
}

async function keep(name: string, files: ModelFiles): Promise<void> {
  try {
    await keepLast({ name, savedAt: new Date().toISOString(), files });
    await showRestore();
  } catch (e) {
    setError(`the model could not be kept in this browser's storage (IndexedDB): ${(e as Error).message}`);
  }
}

function loadFiles(files: ModelFiles, name: string): void {
  clearErrors();
  const metrics = files['metrics.jsonl'];
  pendingCurves = metrics ? learningCurves(parseMetrics(new TextDecoder().decode(metrics))) : null;
  const copy: ModelFiles = {};
  for (const [k, v] of Object.entries(files)) copy[k] = v.slice();
  send({ type: 'load', files: copy, name });
  void keep(name, files);
}

async function readPicked(list: FileList | null): Promise<{ files: ModelFiles; name: string }> {
  const files: ModelFiles = {};
  let folder = '';
  for (const f of Array.from(list ?? [])) {
    const rel = (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name;
    const parts = rel.split('/');
    // the folder's own files and its snapshots/ (embeddings over training); no other sub-folders
    const snapshot = isSnapshotFile(f.name) && (parts.length === 1 || (parts.length === 3 && parts[1] === 'snapshots'));
    if (parts.length > 2 && !snapshot) continue;
    if (parts.length >= 2) folder = parts[0]!;
    // the optimizer's moments are not needed to use a model
    if (f.name.endsWith('.optim.safetensors')) continue;
    files[snapshot ? `snapshots/${f.name}` : f.name] = new Uint8Array(await f.arrayBuffer());
  }
  return { files, name: folder || 'picked files' };
}
for (const id of ['load-files', 'load-folder']) {
  const input = $<HTMLInputElement>(id);
  input.addEventListener('change', async () => {
    const { files, name } = await readPicked(input.files);
    loadFiles(files, name);
    input.value = '';
  });
}

const restoreBtn = $<HTMLButtonElement>('restore');
async function showRestore(): Promise<void> {
  const k = await lastKept().catch(() => null);
  restoreBtn.hidden = !k;
  if (k) restoreBtn.textContent = `Restore last model (${k.name}, ${new Date(k.savedAt).toLocaleString()})`;
}
restoreBtn.addEventListener('click', async () => {
  const k = await lastKept();
  if (k) loadFiles(k.files, k.name);
});
void showRestore();

/** A run served by `scratchlm serve` (its files under /runs/<folder>/, see the README). */
$<HTMLFormElement>('remote-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  clearErrors();
  const path = $<HTMLInputElement>('remote').value.trim().replace(/^\/+|\/+$/g, '');
  if (!path) return setError('type the run folder to open, for example runs/brown');
  try {
    const files: ModelFiles = {};
    const get = async (name: string, required: boolean) => {
      const r = await fetch(`/runs/${encodeURI(path)}/${name.split('/').map(encodeURIComponent).join('/')}`);
      if (r.ok) files[name] = new Uint8Array(await r.arrayBuffer());
      else if (required) throw new Error(`${path}/${name}: ${r.status} ${r.statusText}`);
      return r.ok;
    };
    const meta = (await get('best.json', false)) ? 'best.json' : (await get('latest.json', false)) ? 'latest.json' : null;
    if (meta) {
      const m = JSON.parse(new TextDecoder().decode(files[meta])) as { files?: { weights?: string } };
      if (m.files?.weights) await get(m.files.weights, true);
      await get('metrics.jsonl', false); // the run's learning curves
      // the run's embedding snapshots over training, when it took them
      if (await get(SNAPSHOT_INDEX, false)) {
        for (const e of parseSnapshotIndex(new TextDecoder().decode(files[SNAPSHOT_INDEX]))) await get(`snapshots/${e.file}`, false);
      }
    } else {
      for (const n of ['model.safetensors', 'config.json', 'tokenizer.json']) await get(n, n !== 'tokenizer.json');
    }
    loadFiles(files, path);
  } catch (err) {
    setError(`could not open ${path} from this server: ${(err as Error).message}`);
  }
});

// ---- views ---------------------------------------------------------------------------------
const tabs = new Tabs($('tabs'), $('panels'), send);
export type { SampleSettings };
