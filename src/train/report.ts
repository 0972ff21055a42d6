/**
 * How a run reports itself, as text: the progress bar (a terminal), plain lines (a log file), and
 * the loss curve as an SVG picture (train and val loss against steps). Pure string functions.
 */

export interface ProgressInfo {
  iter: number; // steps done
  maxIters: number;
  loss: number;
  lr: number;
  tokensPerSec: number;
  /** Seconds left, estimated. */
  etaS: number;
  val?: number;
  /** The step `val` was measured at (the bar says `val 4.4700 @250`: it is not current). */
  valIter?: number;
}

/** Seconds as "4m52s" / "1h02m". */
export function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  s = Math.round(s);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

function stats(p: ProgressInfo): string {
  const val = p.val !== undefined ? ` val ${p.val.toFixed(4)}${p.valIter !== undefined ? ` @${p.valIter}` : ''}` : '';
  return `loss ${p.loss.toFixed(4)}${val} lr ${p.lr.toExponential(2)} ${Math.round(p.tokensPerSec)} tok/s ${formatDuration(p.etaS)} left`;
}

/** One line for a terminal, redrawn in place: [#####-----] 120/2000 loss ... */
export function progressBar(p: ProgressInfo, width = 80): string {
  const text = ` ${p.iter}/${p.maxIters} ${stats(p)}`;
  const barW = Math.max(10, Math.min(30, width - text.length - 3));
  const frac = p.maxIters > 0 ? Math.min(1, p.iter / p.maxIters) : 1;
  const full = Math.round(frac * barW);
  return `[${'#'.repeat(full)}${'-'.repeat(barW - full)}]${text}`.slice(0, Math.max(20, width - 1));
}

/** One plain line for logs: step 120/2000 loss ... */
export function progressLine(p: ProgressInfo): string {
  return `step ${p.iter}/${p.maxIters} ${stats(p)}`;
}

/** One point of a loss curve. */
export interface CurvePoint {
  iter: number;
  loss: number;
}

function niceStep(range: number, ticks: number): number {
  const raw = range / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const n = raw / mag;
  return (n < 1.5 ? 1 : n < 3 ? 2 : n < 7 ? 5 : 10) * mag;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The loss curve: train and val polylines, axes with ticks and labels, a legend. */
export function lossCurveSvg(train: readonly CurvePoint[], val: readonly CurvePoint[], title = 'loss'): string {
  const W = 720, H = 420, L = 60, R = 20, T = 36, Bm = 48;
  const pts = [...train, ...val].filter((p) => Number.isFinite(p.loss));
  const maxX = Math.max(1, ...pts.map((p) => p.iter));
  let minY = pts.length ? Math.min(...pts.map((p) => p.loss)) : 0;
  let maxY = pts.length ? Math.max(...pts.map((p) => p.loss)) : 1;
  if (maxY - minY < 1e-6) {
    minY -= 0.5;
    maxY += 0.5;
  }
  const ys = niceStep(maxY - minY, 6);
  minY = Math.floor(minY / ys) * ys;
  maxY = Math.ceil(maxY / ys) * ys;
  const xs = niceStep(maxX, 8);
  const px = (x: number) => L + ((W - L - R) * x) / maxX;
  const py = (y: number) => T + ((H - T - Bm) * (maxY - y)) / (maxY - minY);
  const line = (ps: readonly CurvePoint[], color: string, w: number) =>
    ps.length ? `<polyline fill="none" stroke="${color}" stroke-width="${w}" points="${ps.filter((p) => Number.isFinite(p.loss)).map((p) => `${px(p.iter).toFixed(1)},${py(p.loss).toFixed(1)}`).join(' ')}"/>` : '';
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${esc(title)}</text>`);
  for (let y = minY; y <= maxY + ys / 2; y += ys) {
    out.push(`<line x1="${L}" x2="${W - R}" y1="${py(y).toFixed(1)}" y2="${py(y).toFixed(1)}" stroke="#eee"/>`);
    out.push(`<text x="${L - 6}" y="${(py(y) + 4).toFixed(1)}" text-anchor="end">${+y.toFixed(6)}</text>`);
  }
  for (let x = 0; x <= maxX; x += xs) {
    out.push(`<line x1="${px(x).toFixed(1)}" x2="${px(x).toFixed(1)}" y1="${H - Bm}" y2="${H - Bm + 4}" stroke="black"/>`);
    out.push(`<text x="${px(x).toFixed(1)}" y="${H - Bm + 18}" text-anchor="middle">${x}</text>`);
  }
  out.push(`<line x1="${L}" x2="${W - R}" y1="${H - Bm}" y2="${H - Bm}" stroke="black"/><line x1="${L}" x2="${L}" y1="${T}" y2="${H - Bm}" stroke="black"/>`);
  out.push(`<text x="${(L + W - R) / 2}" y="${H - 10}" text-anchor="middle">step</text>`);
  out.push(`<text x="16" y="${(T + H - Bm) / 2}" text-anchor="middle" transform="rotate(-90 16 ${(T + H - Bm) / 2})">cross-entropy loss</text>`);
  out.push(line(train, '#1f77b4', 1));
  out.push(line(val, '#d62728', 2));
  out.push(`<rect x="${W - R - 110}" y="${T + 6}" width="100" height="40" fill="white" stroke="#ccc"/>`);
  out.push(`<line x1="${W - R - 102}" x2="${W - R - 82}" y1="${T + 20}" y2="${T + 20}" stroke="#1f77b4" stroke-width="2"/><text x="${W - R - 76}" y="${T + 24}">train</text>`);
  out.push(`<line x1="${W - R - 102}" x2="${W - R - 82}" y1="${T + 36}" y2="${T + 36}" stroke="#d62728" stroke-width="2"/><text x="${W - R - 76}" y="${T + 40}">val</text>`);
  out.push('</svg>');
  return out.filter(Boolean).join('\n') + '\n';
}
