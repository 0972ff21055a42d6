/**
 * TensorBoard event files: the writer's checksums against the published CRC-32C check value and an
 * independent implementation (@aws-crypto/crc32c), and `train --tensorboard DIR` read back here by
 * a decoder of its own (TFRecord framing + protobuf wire format, written from the format's
 * documentation, not from src/io/tensorboard.ts): every metrics.jsonl number is in the event file
 * at its step, and a resumed run starts a new file with a SessionLog START at the resume step.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32c as awsCrc32c } from '@aws-crypto/crc32c';
import { CLI, SHARED } from './paths.js';
import { crc32c, maskedCrc32c, TensorBoardWriter } from '../src/io/tensorboard.js';

/** Protobuf wire format → { field: [values] } (varint as bigint, fixed64/32 as bytes, length-delimited as bytes). */
function fields(b: Uint8Array): Map<number, (bigint | Uint8Array)[]> {
  const out = new Map<number, (bigint | Uint8Array)[]>();
  let i = 0;
  const varint = (): bigint => {
    let x = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = b[i++]!;
      x |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return x;
    }
  };
  while (i < b.length) {
    const key = Number(varint());
    const field = key >> 3;
    const wire = key & 7;
    let v: bigint | Uint8Array;
    if (wire === 0) v = varint();
    else if (wire === 1) (v = b.slice(i, i + 8)), (i += 8);
    else if (wire === 5) (v = b.slice(i, i + 4)), (i += 4);
    else if (wire === 2) {
      const n = Number(varint());
      v = b.slice(i, i + n);
      i += n;
    } else throw new Error(`wire type ${wire}`);
    if (!out.has(field)) out.set(field, []);
    out.get(field)!.push(v);
  }
  assert.equal(i, b.length, 'message ends on a field boundary');
  return out;
}

const mask = (c: number) => ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;

interface Event { wallTime: number; step: number; fileVersion?: string; scalars?: Record<string, number>; sessionStatus?: number }

/** An event file → its events, checking every record's length and data checksums with the independent CRC. */
function readEvents(path: string): Event[] {
  const buf = readFileSync(path);
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const events: Event[] = [];
  for (let off = 0; off < buf.length; ) {
    const len = Number(v.getBigUint64(off, true));
    assert.equal(v.getUint32(off + 8, true), mask(awsCrc32c(buf.subarray(off, off + 8))), 'length checksum');
    const data = buf.subarray(off + 12, off + 12 + len);
    assert.equal(v.getUint32(off + 12 + len, true), mask(awsCrc32c(data)), 'data checksum');
    off += 16 + len;
    const f = fields(data);
    const dbl = f.get(1)![0] as Uint8Array;
    const ev: Event = { wallTime: new DataView(dbl.buffer, dbl.byteOffset).getFloat64(0, true), step: Number(f.get(2)?.[0] ?? 0n) };
    if (f.has(3)) ev.fileVersion = new TextDecoder().decode(f.get(3)![0] as Uint8Array);
    if (f.has(5)) {
      ev.scalars = {};
      for (const val of fields(f.get(5)![0] as Uint8Array).get(1) ?? []) {
        const vf = fields(val as Uint8Array);
        const fl = vf.get(2)![0] as Uint8Array;
        ev.scalars[new TextDecoder().decode(vf.get(1)![0] as Uint8Array)] = new DataView(fl.buffer, fl.byteOffset).getFloat32(0, true);
      }
    }
    if (f.has(7)) ev.sessionStatus = Number(fields(f.get(7)![0] as Uint8Array).get(1)?.[0] ?? 0n);
    events.push(ev);
  }
  return events;
}

test('CRC-32C: the published check value, and equal to an independent implementation on random bytes', () => {
  assert.equal(crc32c(new TextEncoder().encode('123456789')), 0xe3069283);
  let x = 12345;
  for (const n of [0, 1, 7, 8, 255, 4096]) {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
    assert.equal(crc32c(b), awsCrc32c(b), `${n} bytes`);
    assert.equal(maskedCrc32c(b), mask(awsCrc32c(b)));
  }
});

test('TensorBoardWriter: a file TensorBoard finds (events.out.tfevents.*), version first, scalars as float32, non-finite left out', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scratchlm-tb-'));
  const tb = new TensorBoardWriter(join(dir, 'logs'), { startStep: 7 });
  tb.scalars(7, { 'train/loss': 2.5, 'train/lr': 6e-4, bad: NaN });
  tb.scalars(8, { 'train/loss': 2.25 });
  tb.close();
  const files = readdirSync(join(dir, 'logs'));
  assert.equal(files.length, 1);
  assert.match(files[0]!, /^events\.out\.tfevents\.\d+\./);
  const ev = readEvents(join(dir, 'logs', files[0]!));
  assert.equal(ev[0]!.fileVersion, 'brain.Event:2');
  assert.deepEqual([ev[1]!.step, ev[1]!.sessionStatus], [7, 1]);
  assert.deepEqual(ev.slice(2).map((e) => [e.step, e.scalars]), [[7, { 'train/loss': 2.5, 'train/lr': Math.fround(6e-4) }], [8, { 'train/loss': 2.25 }]]);
  assert.ok(Math.abs(ev[2]!.wallTime - Date.now() / 1000) < 600);
  assert.throws(() => new TensorBoardWriter(join(dir, 'logs', files[0]!, 'sub')), /--tensorboard .*: cannot write an event file there/);
});

test('train --tensorboard DIR: every metrics.jsonl number at its step; --resume starts a new file at the resume step', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scratchlm-tbcli-'));
  const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir });
  const shk = join(SHARED, 'data', 'tinyshakespeare.txt');
  writeFileSync(join(dir, 'text.txt'), existsSync(shk) ? readFileSync(shk, 'utf8').slice(0, 20000) : 'the king said to his lord and queen. '.repeat(600));
  assert.equal(cli(['prepare', 'text.txt', '--tokenizer', 'char', '--out', 'data']).status, 0);
  const tiny = ['--n-layer', '1', '--n-head', '2', '--n-embd', '16', '--block-size', '16', '--batch-size', '4', '--eval-interval', '3', '--eval-iters', '2', '--warmup-iters', '1'];
  const a = cli(['train', '--data', 'data', '--out', 'runs/tb', ...tiny, '--max-iters', '6', '--tensorboard', 'runs/tb/tb', '--kernels', 'ref']);
  assert.equal(a.status, 0, a.stderr);
  const b = cli(['train', '--out', 'runs/tb', '--resume', '--max-iters', '9', '--tensorboard', 'runs/tb/tb', '--kernels', 'ref']);
  assert.equal(b.status, 0, b.stderr);
  const files = readdirSync(join(dir, 'runs/tb/tb')).sort((x, y) => Number(x.split('.').at(-1)) - Number(y.split('.').at(-1)) || x.localeCompare(y));
  assert.equal(files.length, 2, files.join(', '));
  const [first, second] = files.map((f) => readEvents(join(dir, 'runs/tb/tb', f)));
  assert.deepEqual([first![1]!.sessionStatus, first![1]!.step], [1, 0]);
  assert.deepEqual([second![1]!.sessionStatus, second![1]!.step], [1, 6]);
  // what TensorBoard shows: each file's points, the later file replacing steps ≥ its START
  const shown = new Map<string, number>();
  for (const evs of [first!, second!]) {
    const start = evs[1]!.step;
    for (const k of [...shown.keys()]) if (Number(k.split(' ')[0]) >= start) shown.delete(k);
    for (const e of evs) for (const [tag, val] of Object.entries(e.scalars ?? {})) shown.set(`${e.step} ${tag}`, val);
  }
  const metrics = readFileSync(join(dir, 'runs/tb/metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  // the documented tags (README, Training): a logged step's under train/, an evaluation's under eval/
  const STEP: Record<string, string> = { train_loss: 'train/loss', lr: 'train/lr', grad_norm: 'train/grad_norm', ms: 'train/ms', tokens_per_s: 'train/tokens_per_s' };
  const EVAL: Record<string, string> = { train_loss: 'eval/train_loss', val_loss: 'eval/val_loss' };
  const expected = new Map<string, number>();
  for (const r of metrics) {
    const tags = r.eval ? EVAL : STEP;
    for (const [k, v] of Object.entries(r)) if (tags[k] && typeof v === 'number') expected.set(`${r.iter} ${tags[k]}`, Math.fround(v));
  }
  assert.equal(metrics.filter((r) => !r.eval).length, 9);
  assert.deepEqual(new Map([...shown].sort()), new Map([...expected].sort()));
  for (const t of ['train/loss', 'train/lr', 'train/grad_norm', 'train/ms', 'train/tokens_per_s', 'eval/train_loss', 'eval/val_loss']) assert.ok([...shown.keys()].some((k) => k.endsWith(` ${t}`)), t);
});
