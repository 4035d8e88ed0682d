// The density run as a picture: pods created, scheduled and Running over time, one SVG polyline
// each, with axes, a few ticks and the goal (all Running within the deadline) marked.
export interface ChartSeries {
  name: string;
  color: string;
  /** [seconds, count] */
  points: [number, number][];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function niceStep(range: number, ticks: number): number {
  const raw = range / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw || 1));
  const norm = raw / mag;
  return (norm < 1.5 ? 1 : norm < 3.5 ? 2 : norm < 7.5 ? 5 : 10) * mag;
}

export function renderChart(title: string, series: ChartSeries[], opts: { goalSeconds?: number; target?: number } = {}): string {
  const W = 800;
  const H = 420;
  const m = { l: 70, r: 20, t: 40, b: 50 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const all = series.flatMap((s) => s.points);
  const maxX = Math.max(1, opts.goalSeconds ?? 0, ...all.map((p) => p[0]));
  const maxY = Math.max(1, opts.target ?? 0, ...all.map((p) => p[1]));
  const x = (v: number) => m.l + (v / maxX) * pw;
  const y = (v: number) => m.t + ph - (v / maxY) * ph;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>`);
  const xs = niceStep(maxX, 8);
  for (let v = 0; v <= maxX + 1e-9; v += xs) {
    parts.push(`<line x1="${x(v)}" y1="${m.t}" x2="${x(v)}" y2="${m.t + ph}" stroke="#eee"/>`);
    parts.push(`<text x="${x(v)}" y="${m.t + ph + 16}" text-anchor="middle">${+v.toFixed(2)}</text>`);
  }
  const ys = niceStep(maxY, 6);
  for (let v = 0; v <= maxY + 1e-9; v += ys) {
    parts.push(`<line x1="${m.l}" y1="${y(v)}" x2="${m.l + pw}" y2="${y(v)}" stroke="#eee"/>`);
    parts.push(`<text x="${m.l - 6}" y="${y(v) + 4}" text-anchor="end">${Math.round(v)}</text>`);
  }
  parts.push(`<line x1="${m.l}" y1="${m.t + ph}" x2="${m.l + pw}" y2="${m.t + ph}" stroke="black"/>`);
  parts.push(`<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${m.t + ph}" stroke="black"/>`);
  parts.push(`<text x="${m.l + pw / 2}" y="${H - 12}" text-anchor="middle">seconds since the first controller was created</text>`);
  parts.push(`<text x="16" y="${m.t + ph / 2}" text-anchor="middle" transform="rotate(-90 16 ${m.t + ph / 2})">pods</text>`);
  if (opts.goalSeconds !== undefined) {
    parts.push(`<line x1="${x(opts.goalSeconds)}" y1="${m.t}" x2="${x(opts.goalSeconds)}" y2="${m.t + ph}" stroke="#c00" stroke-dasharray="6 4"/>`);
    // At the foot of the line: the legend sits at the top left.
    parts.push(`<text x="${x(opts.goalSeconds) + 4}" y="${m.t + ph - 6}" fill="#c00">goal ${opts.goalSeconds} s</text>`);
  }
  if (opts.target !== undefined) parts.push(`<line x1="${m.l}" y1="${y(opts.target)}" x2="${m.l + pw}" y2="${y(opts.target)}" stroke="#888" stroke-dasharray="2 3"/>`);
  series.forEach((s, i) => {
    const pts = s.points.map(([px, py]) => `${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts}"/>`);
    parts.push(`<rect x="${m.l + 12}" y="${m.t + 10 + i * 18}" width="14" height="4" fill="${s.color}"/>`);
    parts.push(`<text x="${m.l + 32}" y="${m.t + 16 + i * 18}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
