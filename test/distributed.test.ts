/**
 * Beyond one machine (issue 14): a scratchlm run exported as a Hugging Face GPT-2 folder, trained
 * further in plain PyTorch with torchrun --nproc_per_node 2 (DistributedDataParallel, gloo, CPU)
 * by examples/torch_ddp_continue.py on scratchlm's token files, and read back: the loss at the
 * hand-over is the same on both sides, training went on to a lower loss, and scratchlm loads,
 * samples from and inspects the folder PyTorch wrote. Skipped (saying why) without python3-torch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CLI, REPO } from './paths.js';
import { TokenFile, loadRun, noGrad, refBackend } from '../src/index.js';
import { torchrunCommand } from './torch-python.js';

const run = torchrunCommand();
const B = 4;
const T = 16;

/** scratchlm's loss on the hand-over batch: windows 0, T, 2T, ... of val.bin (as the script takes them). */
function handoverLoss(folder: string, dataDir: string): number {
  const { model } = loadRun(folder, { backend: refBackend }); // as sample and eval read a Hugging Face folder
  const val = TokenFile.open(join(dataDir, 'val.bin'));
  const x = new Int32Array(B * T);
  const y = new Int32Array(B * T);
  const buf = new Int32Array(T + 1);
  for (let b = 0; b < B; b++) {
    val.read(b * T, T + 1, buf);
    x.set(buf.subarray(0, T), b * T);
    y.set(buf.subarray(1), b * T);
  }
  val.close();
  model.train(null);
  return noGrad(() => model.forward(x, B, T, { targets: y }).loss!.data[0]!);
}

test('export → torchrun DDP (2 processes, gloo) → back into scratchlm: hand-over loss equal, training went on', { skip: typeof run === 'string' ? run : false, timeout: 300_000 }, (t) => {
  const torchrun = run as string[];
  const dir = mkdtempSync(join(tmpdir(), 'scratchlm-ddp-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8' });
  const words = ['the', 'king', 'said', 'to', 'his', 'lord', 'and', 'queen', 'of', 'night', 'a', 'fair', 'day'];
  let s = '';
  for (let i = 0; s.length < 40000; i++) s += words[(i * 7 + (i >> 3)) % words.length] + (i % 11 === 10 ? '.\n' : ' ');
  writeFileSync(join(dir, 'text.txt'), s);
  const p = cli(['prepare', 'text.txt', '--out', 'data']);
  assert.equal(p.status, 0, p.stderr);
  const tr = cli(['train', '--data', 'data', '--out', 'run', '--n-layer', '2', '--n-head', '2', '--n-embd', '32', '--block-size', String(T), '--batch-size', '8', '--max-iters', '150', '--eval-interval', '150', '--lr', '3e-3', '--eval-iters', '2', '--sample-tokens', '0', '--bias', '--dropout', '0']);
  assert.equal(tr.status, 0, tr.stderr);
  const e = cli(['export', '--run', 'run', '--hf', 'hf']);
  assert.equal(e.status, 0, e.stderr);
  assert.match(e.stdout, /^hf: GPT-2 with 2 layers, 2 heads, 32 wide, context 16/);

  const port = String(29500 + (process.pid % 1000));
  const script = resolve(REPO, 'examples/torch_ddp_continue.py');
  const started = Date.now();
  // --monitor_interval 1: the launcher notices the workers' exit within a second (default 5)
  const r = spawnSync(torchrun[0]!, [...torchrun.slice(1), '--nproc_per_node', '2', '--master_port', port, '--monitor_interval', '1', script, '--hf', 'hf', '--data', 'data', '--out', 'hf-more', '--steps', '40', '--batch-size', String(B), '--lr', '1e-3'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: '1' },
    timeout: 240_000,
  });
  const took = `${((Date.now() - started) / 1000).toFixed(0)} s${r.error ? ` (${r.error.message})` : ''}`;
  assert.equal(r.status, 0, `torchrun exited with ${r.status} after ${took}\n${r.stdout}\n${r.stderr}`);
  t.diagnostic(`torchrun took ${took}`);
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, number>);
  const start = lines.find((l) => 'handover_loss' in l);
  const end = lines.find((l) => 'final_loss' in l);
  assert.ok(start && end, r.stdout);
  assert.equal(start.world_size, 2);

  const ours = handoverLoss(join(dir, 'hf'), join(dir, 'data'));
  const diff = Math.abs(ours - start.handover_loss!);
  t.diagnostic(`hand-over loss: scratchlm ${ours.toFixed(7)}, PyTorch ${start.handover_loss!.toFixed(7)} (|diff| ${diff.toExponential(2)}); after 40 DDP steps on 2 processes: ${end.final_loss!.toFixed(4)}`);
  assert.ok(diff <= 1e-4, `hand-over loss differs by ${diff}`);
  // a model that learned something is handed over (uniform over 20 ids would be ln 20 = 3.0) ...
  assert.ok(start.handover_loss! < Math.log(20) - 0.5, `the exported model is barely trained: ${start.handover_loss}`);
  // ... and training went on to lower it, with both replicas equal (DDP averaged the gradients)
  assert.ok(end.final_loss! < start.handover_loss! - 0.05, `training did not lower the loss: ${start.handover_loss} → ${end.final_loss}`);
  const ranks = lines.find((l) => 'rank_losses' in l)?.rank_losses as unknown as number[];
  assert.equal(ranks.length, 2);
  assert.equal(ranks[0], ranks[1], `the replicas differ: ${ranks}`);

  // back in scratchlm: the same loss PyTorch measured on the folder it wrote ...
  const backLoss = handoverLoss(join(dir, 'hf-more'), join(dir, 'data'));
  assert.ok(Math.abs(backLoss - end.final_loss!) <= 1e-4, `scratchlm reads the trained folder at loss ${backLoss}, PyTorch had ${end.final_loss}`);
  // ... the CLI samples from it and evaluates it ...
  const sm = cli(['sample', '--run', 'hf-more', '--prompt', 'the ', '--max-tokens', '20', '--seed', '1']);
  assert.equal(sm.status, 0, sm.stderr);
  assert.ok(sm.stdout.startsWith('the ') && sm.stdout.length > 'the '.length, sm.stdout);
  const ev = cli(['eval', '--run', 'hf-more', '--data', 'data', '--batches', '2']);
  assert.equal(ev.status, 0, ev.stderr);
  assert.match(ev.stdout, /val {3}loss \d+\.\d{4}/);
  // ... and inspects it (the inspection commands take a Hugging Face folder as --run)
  const json = (args: string[]) => {
    const r = cli([...args, '--json']);
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  const next = json(['next', '--run', 'hf-more', '--prompt', 'the king said']) as { top: { prob: number }[] };
  assert.equal(next.top.length, 10);
  for (let i = 1; i < next.top.length; i++) assert.ok(next.top[i]!.prob <= next.top[i - 1]!.prob);
  const att = json(['attention', '--run', 'hf-more', '--prompt', 'the king said']) as { weights: number[][][][] };
  assert.equal(att.weights.length, 2); // layers
  assert.equal(att.weights[0]!.length, 2); // heads
  for (const row of att.weights[1]![1]!) assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
  const lens = json(['lens', '--run', 'hf-more', '--prompt', 'the king said']) as { layers: unknown[] };
  assert.equal(lens.layers.length, 3); // the embedding and after each block
});
