/**
 * Pictures as SVG strings (they open in any browser, and inline into one HTML report): line
 * charts, attention heatmaps of every layer and head, and embedding maps as small multiples.
 * Pure functions of the data; no fonts, scripts or links to fetch.
 */
import type { AttentionResult } from './attention.js';
import type { HeadReport } from './heads.js';

/** Escapes text for SVG and HTML (exported as escapeXml). */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A token as a short visible label: spaces as ·, newlines as ⏎, tabs as ⇥. */
export function showToken(s: string, max = 8): string {
  const v = s.replace(/ /g, '·').replace(/\n/g, '⏎').replace(/\t/g, '⇥').replace(/\r/g, '␍');
  return [...v].length > max ? [...v].slice(0, max - 1).join('') + '…' : v;
}

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];

function f(x: number): string {
  return (Math.round(x * 10) / 10).toString();
}

function niceStep(range: number, ticks: number): number {
  const raw = range / ticks || 1;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const n = raw / mag;
  return (n < 1.5 ? 1 : n < 3 ? 2 : n < 7 ? 5 : 10) * mag;
}

/** One line of a chart: its name, colour, points and style. */
export interface Series {
  name: string;
  color?: string;
  points: readonly (readonly [number, number])[];
  width?: number;
  dash?: boolean;
}

/** Options of `lineChart`: title, axis labels, size. */
export interface ChartOptions {
  title: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
  yMin?: number;
  yMax?: number;
  /** x on a log(1 + x) axis (training steps: the early ones matter). */
  logX?: boolean;
  /** Draw each point as a dot too. */
  dots?: boolean;
  legend?: boolean;
}

/** A line chart with axes, ticks, a title and a legend. */
export function lineChart(series: readonly Series[], o: ChartOptions): string {
  const W = o.width ?? 640, H = o.height ?? 320, L = 56, R = o.legend === false ? 16 : 150, T = 30, B = 42;
  const pts = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p[1]));
  const tx = (x: number) => (o.logX ? Math.log10(1 + Math.max(0, x)) : x);
  const xs = pts.map((p) => tx(p[0]));
  const minX = xs.length ? Math.min(...xs) : 0;
  let maxX = xs.length ? Math.max(...xs) : 1;
  if (maxX <= minX) maxX = minX + 1;
  let minY = o.yMin ?? (pts.length ? Math.min(...pts.map((p) => p[1])) : 0);
  let maxY = o.yMax ?? (pts.length ? Math.max(...pts.map((p) => p[1])) : 1);
  if (maxY - minY < 1e-9) (minY -= 0.5), (maxY += 0.5);
  const ys = niceStep(maxY - minY, 5);
  if (o.yMin === undefined) minY = Math.floor(minY / ys) * ys;
  if (o.yMax === undefined) maxY = Math.ceil(maxY / ys) * ys;
  const px = (x: number) => L + ((W - L - R) * (tx(x) - minX)) / (maxX - minX);
  const py = (y: number) => T + ((H - T - B) * (maxY - y)) / (maxY - minY);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11" class="chart">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${L + (W - L - R) / 2}" y="18" text-anchor="middle" font-size="13">${esc(o.title)}</text>`);
  for (let y = minY; y <= maxY + ys / 2; y += ys) {
    out.push(`<line x1="${L}" x2="${W - R}" y1="${f(py(y))}" y2="${f(py(y))}" stroke="#eee"/><text x="${L - 5}" y="${f(py(y) + 4)}" text-anchor="end">${+y.toFixed(4)}</text>`);
  }
  const ticks: number[] = [];
  if (o.logX) {
    const top = 10 ** maxX - 1;
    for (let v = 0; v <= top * 1.0001; v = v === 0 ? 1 : v * 10) ticks.push(v);
    if (ticks[ticks.length - 1]! < top * 0.7) ticks.push(Math.round(top));
  } else {
    const step = niceStep(maxX - minX, 6);
    for (let v = Math.ceil(minX / step) * step; v <= maxX + 1e-9; v += step) ticks.push(v);
  }
  for (const v of ticks) {
    out.push(`<line x1="${f(px(v))}" x2="${f(px(v))}" y1="${H - B}" y2="${H - B + 4}" stroke="black"/><text x="${f(px(v))}" y="${H - B + 16}" text-anchor="middle">${+v.toFixed(4)}</text>`);
  }
  out.push(`<line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="black"/><line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="black"/>`);
  if (o.xLabel) out.push(`<text x="${L + (W - L - R) / 2}" y="${H - 8}" text-anchor="middle">${esc(o.xLabel)}${o.logX ? ' (log scale)' : ''}</text>`);
  if (o.yLabel) out.push(`<text x="14" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(T + H - B) / 2})">${esc(o.yLabel)}</text>`);
  series.forEach((s, i) => {
    const c = s.color ?? PALETTE[i % PALETTE.length]!;
    const p = s.points.filter((q) => Number.isFinite(q[1]));
    if (p.length) {
      out.push(`<polyline class="series" fill="none" stroke="${c}" stroke-width="${s.width ?? 1.5}"${s.dash ? ' stroke-dasharray="4 3"' : ''} points="${p.map((q) => `${f(px(q[0]))},${f(py(q[1]))}`).join(' ')}"/>`);
      if (o.dots) for (const q of p) out.push(`<circle cx="${f(px(q[0]))}" cy="${f(py(q[1]))}" r="2.5" fill="${c}"/>`);
    }
  });
  if (o.legend !== false) {
    series.slice(0, 14).forEach((s, i) => {
      const c = s.color ?? PALETTE[i % PALETTE.length]!;
      const y = T + 8 + i * 15;
      out.push(`<line x1="${W - R + 8}" x2="${W - R + 26}" y1="${y}" y2="${y}" stroke="${c}" stroke-width="2"${s.dash ? ' stroke-dasharray="4 3"' : ''}/><text x="${W - R + 30}" y="${y + 4}">${esc(s.name.length > 20 ? s.name.slice(0, 19) + '…' : s.name)}</text>`);
    });
  }
  out.push('</svg>');
  return out.join('\n');
}

/** White → dark blue for a probability in [0, 1] (square root: small weights stay visible). */
function heat(p: number): string {
  const t = Math.sqrt(Math.min(1, Math.max(0, p)));
  const c = (a: number, b: number) => Math.round(a + (b - a) * t);
  return `rgb(${c(255, 8)},${c(255, 48)},${c(255, 107)})`;
}

/** One short line of a head's scores. */
export function scoreLine(h: HeadReport): string {
  const s = h.scores;
  return `prev ${s.previous.toFixed(2)} first ${s.first.toFixed(2)} self ${s.self.toFixed(2)} ind ${s.induction.toFixed(2)} H ${h.entropy.toFixed(2)}`;
}

/** Heatmaps of every layer (rows) and head (columns) over the prompt's tokens, with each head's label and scores. */
export function attentionSvg(r: AttentionResult, title = `attention over ${JSON.stringify(r.prompt.length > 60 ? r.prompt.slice(0, 59) + '…' : r.prompt)}`): string {
  const nLayer = r.weights.length, nHead = r.weights[0]?.length ?? 0, T = r.tokens.length;
  const cell = Math.max(3, Math.min(18, Math.floor(240 / Math.max(1, T))));
  const labels = T <= 48;
  const lab = labels ? 46 : 6;
  const size = cell * T;
  const panelW = Math.max(size + lab, 230), panelH = size + lab + 34;
  const W = 20 + nHead * (panelW + 16), H = 40 + nLayer * (panelH + 12) + 20;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="10" class="attention">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="20" y="20" font-size="14">${esc(title)}</text>`);
  out.push(`<text x="20" y="34" fill="#555">rows: query position (reading), columns: key position (read); darker = more attention (square-root scale)</text>`);
  const byKey = new Map(r.heads.map((h) => [`${h.layer}.${h.head}`, h]));
  for (let l = 0; l < nLayer; l++) {
    for (let h = 0; h < nHead; h++) {
      const x0 = 20 + h * (panelW + 16), y0 = 44 + l * (panelH + 12);
      const gx = x0 + lab, gy = y0 + lab;
      const hr = byKey.get(`${l}.${h}`);
      out.push(`<g class="head" data-layer="${l}" data-head="${h}">`);
      out.push(`<rect x="${gx}" y="${gy}" width="${size}" height="${size}" fill="white" stroke="#999"/>`);
      const m = r.weights[l]![h]!;
      for (let q = 0; q < T; q++) for (let k = 0; k <= q; k++) {
        const p = m[q]![k]!;
        if (p < 0.004) continue; // invisible: leave it out (files stay small)
        out.push(`<rect x="${gx + k * cell}" y="${gy + q * cell}" width="${cell}" height="${cell}" fill="${heat(p)}"><title>${esc(`${showToken(r.tokens[q]!)} → ${showToken(r.tokens[k]!)}: ${p.toFixed(3)}`)}</title></rect>`);
      }
      if (labels) {
        for (let t = 0; t < T; t++) {
          out.push(`<text x="${gx - 3}" y="${gy + t * cell + cell * 0.75}" text-anchor="end" font-size="${Math.min(10, cell)}">${esc(showToken(r.tokens[t]!, 6))}</text>`);
          const tx = gx + t * cell + cell * 0.7;
          out.push(`<text x="${tx}" y="${gy - 3}" font-size="${Math.min(10, cell)}" transform="rotate(-90 ${tx} ${gy - 3})">${esc(showToken(r.tokens[t]!, 6))}</text>`);
        }
      }
      out.push(`<text x="${x0}" y="${gy + size + 13}" font-weight="bold">L${l} H${h}: ${esc(hr ? hr.label.replace(/ \(.*/, '') : '')}</text>`);
      if (hr) out.push(`<text x="${x0}" y="${gy + size + 26}" fill="#444">${esc(scoreLine(hr))}</text>`);
      out.push('</g>');
    }
  }
  out.push('</svg>');
  return out.join('\n');
}

/** One frame of an embedding map: the step, the 2-D points and the cohesion score. */
export interface MapFrame {
  step: number;
  /** (rows, 2) aligned coordinates. */
  points: Float64Array;
  cohesion: number | null;
}

/**
 * Embedding maps as small multiples: one panel per snapshot, points coloured by group, labelled
 * with their tokens (all of them for up to 120 rows, else the `labelRows` given).
 */
export function embeddingMapSvg(frames: readonly MapFrame[], tokens: readonly string[], group: readonly (number | null)[], groupNames: readonly string[], opts: { title?: string; columns?: number; labelRows?: readonly number[] } = {}): string {
  const cols = Math.min(opts.columns ?? 4, Math.max(1, frames.length));
  const P = 280, pad = 14;
  const rowsN = Math.ceil(frames.length / cols);
  const W = cols * (P + pad) + pad, H = 60 + rowsN * (P + 30) + 10;
  const label = new Set(opts.labelRows ?? (tokens.length <= 120 ? tokens.map((_, i) => i) : []));
  // one scale for every panel: the maps are aligned, so distances compare across steps
  let ext = 0;
  for (const fr of frames) for (const v of fr.points) ext = Math.max(ext, Math.abs(v));
  ext = ext || 1;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="9" class="embeddings">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${pad}" y="20" font-size="14">${esc(opts.title ?? 'token embeddings over training (2-D PCA, each map turned onto the one before)')}</text>`);
  groupNames.forEach((g, i) => {
    const x = pad + i * 110;
    out.push(`<circle cx="${x + 5}" cy="38" r="4" fill="${PALETTE[i % PALETTE.length]}"/><text x="${x + 13}" y="41" font-size="11">${esc(g)}</text>`);
  });
  frames.forEach((fr, i) => {
    const x0 = pad + (i % cols) * (P + pad), y0 = 54 + Math.floor(i / cols) * (P + 30);
    out.push(`<g class="frame" data-step="${fr.step}">`);
    out.push(`<rect x="${x0}" y="${y0 + 16}" width="${P}" height="${P}" fill="#fcfcfc" stroke="#bbb"/>`);
    out.push(`<text x="${x0}" y="${y0 + 11}" font-size="12">step ${fr.step}${fr.cohesion !== null ? ` · cohesion ${fr.cohesion.toFixed(3)}` : ''}</text>`);
    const sx = (v: number) => x0 + P / 2 + (v / ext) * (P / 2 - 14);
    const sy = (v: number) => y0 + 16 + P / 2 - (v / ext) * (P / 2 - 14);
    for (let r = 0; r < tokens.length; r++) {
      const g = group[r];
      const c = g === null || g === undefined ? '#bbbbbb' : PALETTE[g % PALETTE.length]!;
      const x = sx(fr.points[2 * r]!), y = sy(fr.points[2 * r + 1]!);
      out.push(`<circle class="pt" cx="${f(x)}" cy="${f(y)}" r="2.6" fill="${c}"><title>${esc(showToken(tokens[r]!, 20))}</title></circle>`);
      if (label.has(r)) out.push(`<text x="${f(x + 3.5)}" y="${f(y + 3)}" fill="${c}">${esc(showToken(tokens[r]!, 6))}</text>`);
    }
    out.push('</g>');
  });
  out.push('</svg>');
  return out.join('\n');
}

/** A self-contained HTML page around one or more SVG pictures (no scripts, no network). */
export function htmlPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:sans-serif;margin:24px;max-width:1400px;color:#222}h1{font-size:22px}h2{font-size:17px;margin-top:32px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}th{background:#f4f4f4}td.l,th.l{text-align:left}
pre{background:#f6f6f6;padding:12px;white-space:pre-wrap;font-size:13px}.note{color:#555;font-size:13px}svg{max-width:100%;height:auto}</style></head>
<body>
${body}
</body></html>
`;
}
