/** Draws an attention pattern (rows: queries, columns: keys, values 0..1) on a canvas. */

/** 0 → white, 1 → dark blue, on a square-root scale (so weights of broad heads stay visible). */
function color(v: number): string {
  const t = Math.sqrt(Math.max(0, Math.min(1, v)));
  const r = Math.round(255 - t * (255 - 30)), g = Math.round(255 - t * (255 - 64)), b = Math.round(255 - t * (255 - 175));
  return `rgb(${r},${g},${b})`;
}

export function drawHeatmap(canvas: HTMLCanvasElement, w: number[][], labels: string[] | null, size: number): void {
  const T = w.length;
  const pad = labels ? Math.min(70, 8 + 7 * Math.max(...labels.map((l) => l.length))) : 0;
  const cell = Math.max(1, Math.floor((size - pad) / Math.max(1, T)));
  const dpr = window.devicePixelRatio || 1;
  const px = pad + cell * T;
  canvas.width = px * dpr;
  canvas.height = px * dpr;
  canvas.style.width = `${px}px`;
  canvas.style.height = `${px}px`;
  const g = canvas.getContext('2d')!;
  g.scale(dpr, dpr);
  g.fillStyle = '#fff';
  g.fillRect(0, 0, px, px);
  for (let q = 0; q < T; q++) {
    for (let k = 0; k <= q && k < w[q]!.length; k++) {
      g.fillStyle = color(w[q]![k]!);
      g.fillRect(pad + k * cell, pad + q * cell, cell, cell);
    }
  }
  if (!labels) return;
  g.fillStyle = '#374151';
  g.font = `${Math.min(12, Math.max(8, cell - 2))}px ui-monospace, monospace`;
  g.textBaseline = 'middle';
  g.textAlign = 'right';
  labels.forEach((l, i) => g.fillText(l, pad - 4, pad + (i + 0.5) * cell));
  g.save();
  g.textAlign = 'left';
  labels.forEach((l, i) => {
    g.save();
    g.translate(pad + (i + 0.5) * cell, pad - 4);
    g.rotate(-Math.PI / 2);
    g.fillText(l, 0, 0);
    g.restore();
  });
  g.restore();
}
