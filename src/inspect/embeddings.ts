/**
 * Embeddings over training: the snapshots' rows as aligned 2-D maps with a cohesion score each
 * ("random at first, then alike tokens together", in the picture and in the number).
 */
import { ScratchError } from '../core/errors.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { cohesion, defaultGroups, parseGroups, type TokenGroup } from './cohesion.js';
import { alignedMaps } from './pca.js';
import { embeddingMapSvg, type MapFrame } from './svg.js';
import { tokenText } from './vocab.js';

/** One snapshot's embedding rows (as io/snapshot-files.ts reads them). */
export interface EmbeddingRows {
  step: number;
  ids: readonly number[];
  cols: number;
  data: ArrayLike<number>;
}

/** `scratchlm embeddings --json` prints exactly this. */
export interface EmbeddingsResult {
  /** How many token rows each snapshot holds. */
  tokens: number;
  groups: { name: string; tokens: string[] }[];
  snapshots: { step: number; cohesion: number; within: number; between: number }[];
}

/** The embedding snapshots of a run as aligned 2-D maps, one frame per snapshot, with the groups coloured. */
export interface EmbeddingsOverTraining {
  result: EmbeddingsResult;
  frames: MapFrame[];
  /** Row → group index (null: in no group). */
  groupOf: (number | null)[];
  groupNames: string[];
  tokens: string[];
}

/** Cohesion and aligned maps of every snapshot; `groups` as parseGroups takes it, or the default groups. */
export function embeddingsOverTraining(snaps: readonly EmbeddingRows[], tok: Tokenizer, groups?: string): EmbeddingsOverTraining {
  if (snaps.length === 0) throw new ScratchError('no embedding snapshots to draw');
  // rows every snapshot has (the same set unless a run was resumed with other settings)
  const common = snaps.slice(1).reduce((ids, s) => {
    const has = new Set(s.ids);
    return ids.filter((id) => has.has(id));
  }, [...snaps[0]!.ids]);
  const C = snaps[0]!.cols;
  const mats = snaps.map((s) => {
    const at = new Map(s.ids.map((id, r) => [id, r]));
    const m = new Float32Array(common.length * C);
    common.forEach((id, r) => {
      const src = at.get(id)!;
      for (let i = 0; i < C; i++) m[r * C + i] = s.data[src * C + i]!;
    });
    return m;
  });
  const tokens = common.map((id) => tokenText(tok, id));
  const gs: TokenGroup[] = groups ? parseGroups(groups, tokens, tok.kind) : defaultGroups(tokens, tok.kind);
  if (gs.length < 2) throw new ScratchError('the snapshot tokens fall into fewer than two default groups; give --groups "name=a,b;other=c,d"');
  const groupOf: (number | null)[] = tokens.map(() => null);
  gs.forEach((g, gi) => g.rows.forEach((r) => (groupOf[r] = gi)));
  const scores = mats.map((m) => cohesion(m, C, gs));
  const maps = alignedMaps(mats, common.length, C);
  const frames = snaps.map((s, i) => ({ step: s.step, points: maps[i]!, cohesion: scores[i]!.score }));
  return {
    result: {
      tokens: common.length,
      groups: gs.map((g) => ({ name: g.name, tokens: g.rows.map((r) => tokens[r]!) })),
      snapshots: snaps.map((s, i) => ({ step: s.step, cohesion: scores[i]!.score, within: scores[i]!.within, between: scores[i]!.between })),
    },
    frames,
    groupOf,
    groupNames: gs.map((g) => g.name),
    tokens,
  };
}

/** The small-multiples SVG of embeddingsOverTraining's maps. */
export function embeddingsSvg(e: EmbeddingsOverTraining, title?: string): string {
  // many rows: label the first 100 of them that belong to a group
  const labelRows = e.tokens.length > 120 ? e.tokens.map((_, i) => i).filter((i) => e.groupOf[i] !== null).slice(0, 100) : undefined;
  return embeddingMapSvg(e.frames, e.tokens, e.groupOf, e.groupNames, { title, labelRows });
}
