/** scratchlm attention --run RUN --prompt TEXT --out attn.svg|.html [--json] */
import { attentionMaps, attentionSvg, htmlPage, runHeadsOverTime, writeAtomic, escapeXml, lineChart, type HeadReport } from '../../src/index.js';
import { defineCommand } from '../args.js';
import { checkOut, json, openCommand, printNotes, q, RUN_FLAGS } from '../inspect-run.js';

export const spec = defineCommand({
  name: 'attention',
  summary: 'Attention heatmaps of every layer and head over a prompt, and the scores that name what each head does.',
  flags: {
    prompt: { type: 'string', value: 'TEXT', doc: 'the text whose attention is drawn' },
    out: { type: 'string', value: 'FILE', doc: 'write the heatmaps to an .svg file, or an .html page with the head scores over training' },
    seed: { type: 'int', min: 0, max: 0xffffffff, value: 'S', default: 0, doc: 'seed of the repeated random sequence the induction score reads' },
    ...RUN_FLAGS,
  },
  description: "Per head, TransformerLens's head-detector scores: previous token, first token (sink), self, induction (on a repeated random token sequence), mean entropy and a one-line label. With snapshots in the run, the same scores at every snapshot too. --json prints {\"heads\": [{\"layer\", \"head\", \"scores\": {\"previous\", \"first\", \"self\", \"induction\"}, \"entropy\", \"label\"}], \"overTraining\": [...]}.",
  examples: ['npx scratchlm attention --run runs/brown --prompt "He opened the door" --out attn.html'],
});
export const specs = [spec];

export async function run(args: string[]): Promise<number> {
  const o = await openCommand(spec, args, 'prompt');
  if (!o) return 0;
  const { v: values, r, text: prompt } = o;
  const kind = checkOut(values.out);
  const res = attentionMaps(r.model, r.tokenizer, prompt, { seed: values.seed });
  printNotes(res.notes);
  const over = runHeadsOverTime(r.dir);
  if (values.out) {
    const svg = attentionSvg(res);
    if (kind === 'svg') writeAtomic(values.out, svg + '\n');
    else {
      const charts = over.length
        ? (['previous', 'induction', 'first', 'self'] as const).map((k) =>
            lineChart(over[over.length - 1]!.heads.map((h) => ({ name: `L${h.layer} H${h.head}`, points: over.map((s) => [s.step, s.heads.find((x) => x.layer === h.layer && x.head === h.head)?.scores[k] ?? NaN] as [number, number]) })), { title: `${k} score over training`, xLabel: 'step', yMin: 0, yMax: 1, logX: true, dots: true, width: 560, height: 260 }),
          ).join('\n')
        : '<p class="note">This run has no snapshots, so no scores over training.</p>';
      writeAtomic(values.out, htmlPage(`attention: ${r.dir}`, `<h1>Attention of ${escapeXml(r.dir)}</h1>\n${svg}\n<h2>Head scores over training</h2>\n${charts}`));
    }
  }
  if (values.json) return json({ ...res, overTraining: over }), 0;
  console.log(`heads over ${q(res.prompt)} (${res.tokens.length} tokens):`);
  console.log('  layer head  previous  first   self   induction  entropy  label');
  for (const h of res.heads) {
    const s = h.scores;
    console.log(`  ${String(h.layer).padStart(5)} ${String(h.head).padStart(4)}  ${s.previous.toFixed(3).padStart(8)} ${s.first.toFixed(3).padStart(6)} ${s.self.toFixed(3).padStart(6)} ${s.induction.toFixed(3).padStart(10)} ${h.entropy.toFixed(3).padStart(8)}  ${h.label}`);
  }
  if (over.length) {
    const best = (k: 'previous' | 'induction', hs: readonly HeadReport[]) => Math.max(...hs.map((h) => h.scores[k]));
    console.log(`over training (best head): ${over.map((s) => `step ${s.step}: previous ${best('previous', s.heads).toFixed(2)} induction ${best('induction', s.heads).toFixed(2)}`).join('; ')}`);
  }
  if (values.out) console.log(`wrote ${values.out}`);
  return 0;
}
