/** scratchlm embeddings --run RUN --out map.svg|.html [--groups SPEC] [--json] */
import { embeddingsSvg, escapeXml, htmlPage, lineChart, NO_SNAPSHOTS, runEmbeddings, ScratchError, writeAtomic } from '../../src/index.js';
import { defineCommand } from '../args.js';
import { checkOut, json, openCommand, RUN_FLAGS } from '../inspect-run.js';

export const spec = defineCommand({
  name: 'embeddings',
  summary: 'Token embedding maps at every snapshot the run took while training, with a cohesion score per snapshot.',
  flags: {
    out: { type: 'string', value: 'FILE', doc: 'write the maps to an .svg file (small multiples), or an .html page with the cohesion curve' },
    groups: { type: 'string', value: 'SPEC', doc: 'token groups for the cohesion score: "vowels=a,e,i,o,u;digits=0,1,2" (for characters also "aeiou|0123"); default lowercase / uppercase / digits / punctuation / whitespace' },
    ...RUN_FLAGS,
  },
  description: 'The 2-D PCA maps are turned onto one another (Procrustes) so they do not flip from one snapshot to the next. Cohesion: mean cosine similarity within groups minus between groups. --json prints {"tokens", "groups", "snapshots": [{"step", "cohesion", "within", "between", "points"}]}.',
  examples: ['npx scratchlm embeddings --run runs/brown --out map.html'],
});
export const specs = [spec];

export async function run(args: string[]): Promise<number> {
  const o = await openCommand(spec, args);
  if (!o) return 0;
  const { v: values, r } = o;
  const kind = checkOut(values.out);
  const e = runEmbeddings(r, values.groups);
  if (!e) throw new ScratchError(`${r.dir}: ${NO_SNAPSHOTS}`);
  if (values.out) {
    const svg = embeddingsSvg(e, `token embeddings of ${r.dir} over training (2-D PCA, aligned)`);
    if (kind === 'svg') writeAtomic(values.out, svg + '\n');
    else {
      const chart = lineChart([{ name: 'cohesion', points: e.result.snapshots.map((s) => [s.step, s.cohesion] as [number, number]), width: 2 }], { title: 'cohesion', xLabel: 'step', logX: true, dots: true, legend: false, width: 560, height: 240 });
      writeAtomic(values.out, htmlPage(`embeddings: ${r.dir}`, `<h1>Token embeddings of ${escapeXml(r.dir)} over training</h1>\n${chart}\n${svg}`));
    }
  }
  if (values.json) return json(e.result), 0;
  console.log(`${e.result.tokens} tokens; groups: ${e.result.groups.map((g) => `${g.name} (${g.tokens.length})`).join(', ')}`);
  console.log('  step      cohesion  within  between');
  for (const s of e.result.snapshots) console.log(`  ${String(s.step).padStart(7)}  ${s.cohesion.toFixed(4).padStart(8)}  ${s.within.toFixed(4)}  ${s.between.toFixed(4)}`);
  if (values.out) console.log(`wrote ${values.out}`);
  return 0;
}
