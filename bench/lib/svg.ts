/**
 * @module bench/lib/svg — the report's plots, written as SVG text by our own code (no plotting
 * dependency): grouped horizontal bars with min–max whiskers, and lines over a log or linear x
 * axis. Pure functions: data in, a standalone SVG document out.
 */

/** One bar: its value and, when measured over rounds, the min–max of the rounds. */
export interface Bar { series: string; value: number; min?: number; max?: number; label?: string }
/** A group of bars side by side (one figure, a bar per target). */
export interface BarGroup { label: string; bars: Bar[]; note?: string }

/** Colours per series name; anything else takes the next of the fallbacks. */
const COLOURS: Record<string, string> = {
  Fulcrum: '#1f77b4', 'Octavia 11': '#d62728', 'by hand': '#7f7f7f', floor: '#7f7f7f', 'goal met': '#2ca02c', 'goal not met': '#ff7f0e',
};
const FALLBACK = ['#2ca02c', '#9467bd', '#8c564b', '#e377c2'];

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function colourOf(series: string, order: string[]): string {
  if (COLOURS[series]) return COLOURS[series];
  if (!order.includes(series)) order.push(series);
  return FALLBACK[order.indexOf(series) % FALLBACK.length]!;
}

/** A number as a short tick label: 0.5, 12, 1.2k, 3M. */
export function shortNumber(x: number): string {
  if (!Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a >= 1e6) return `${+(x / 1e6).toPrecision(2)}M`;
  if (a >= 1e4) return `${+(x / 1e3).toPrecision(3)}k`;
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1).replace(/\.0$/, '');
  return `${+x.toPrecision(2)}`;
}

/** Ticks for an axis from lo to hi: powers of ten (with 2 and 5 when the range is short) on a log axis, round steps on a linear one. */
function ticks(lo: number, hi: number, isLog: boolean): number[] {
  if (isLog) {
    const out: number[] = [];
    const span = Math.log10(hi / lo);
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
      for (const m of span < 2.5 ? [1, 2, 5] : [1]) {
        const v = m * 10 ** e;
        if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
      }
    }
    return out;
  }
  const raw = (hi - lo) / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

/**
 * Horizontal bars, one group per figure, one bar per series, with min–max whiskers, on a log x
 * axis (Fulcrum and Octavia differ by one to three orders of magnitude) or a linear one from 0.
 */
export function barChart(o: { title: string; unit: string; groups: BarGroup[]; isLog?: boolean; width?: number }): string {
  const width = o.width ?? 760;
  const labelW = 250;
  // Room for the longest value label right of the longest bar.
  const right = Math.min(260, 16 + 6.2 * Math.max(6, ...o.groups.flatMap((g) => g.bars.map((b) => (b.label ?? shortNumber(b.value)).length))));
  const barH = 14;
  const gap = 10;
  const top = 44;
  const plotW = width - labelW - right;
  const seriesOrder: string[] = [];
  const all = o.groups.flatMap((g) => g.bars.flatMap((b) => [b.value, b.min ?? b.value, b.max ?? b.value])).filter((v) => Number.isFinite(v) && (!o.isLog || v > 0));
  const isLog = o.isLog ?? false;
  let lo = isLog ? 10 ** Math.floor(Math.log10(Math.min(...all))) : 0;
  let hi = isLog ? 10 ** Math.ceil(Math.log10(Math.max(...all))) : Math.max(...all) * 1.1;
  if (!(hi > lo)) { lo = isLog ? 0.1 : 0; hi = isLog ? 10 : 1; }
  const x = (v: number): number => labelW + (isLog
    ? (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))
    : (v - lo) / (hi - lo)) * plotW;
  const groupH = (g: BarGroup): number => g.bars.length * barH + gap + (g.note ? 12 : 0);
  const height = top + o.groups.reduce((a, g) => a + groupH(g), 0) + 40;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="8" y="18" font-size="14" font-weight="bold">${esc(o.title)}</text>`,
  ];
  const axisY = height - 34;
  for (const t of ticks(lo, hi, isLog)) {
    parts.push(`<line x1="${x(t).toFixed(1)}" y1="${top - 6}" x2="${x(t).toFixed(1)}" y2="${axisY}" stroke="#ddd"/>`,
      `<text x="${x(t).toFixed(1)}" y="${axisY + 13}" text-anchor="middle" fill="#444">${shortNumber(t)}</text>`);
  }
  parts.push(`<text x="${labelW + plotW / 2}" y="${axisY + 28}" text-anchor="middle" fill="#444">${esc(o.unit)}${isLog ? ' (log scale)' : ''}</text>`);
  let y = top;
  for (const g of o.groups) {
    parts.push(`<text x="${labelW - 8}" y="${(y + (g.bars.length * barH) / 2 + 4).toFixed(1)}" text-anchor="end">${esc(g.label)}</text>`);
    for (const b of g.bars) {
      const c = colourOf(b.series, seriesOrder);
      if (Number.isFinite(b.value)) {
        parts.push(`<rect x="${labelW}" y="${y + 1}" width="${Math.max(1, x(b.value) - labelW).toFixed(1)}" height="${barH - 2}" fill="${c}" fill-opacity="0.85"/>`);
        if (b.min !== undefined && b.max !== undefined && b.max > b.min) {
          const my = y + barH / 2;
          parts.push(`<path d="M${x(b.min).toFixed(1)} ${my}H${x(b.max).toFixed(1)}M${x(b.min).toFixed(1)} ${my - 4}V${my + 4}M${x(b.max).toFixed(1)} ${my - 4}V${my + 4}" stroke="#000" stroke-width="1"/>`);
        }
        parts.push(`<text x="${(Math.max(x(b.value), x(b.max ?? b.value)) + 4).toFixed(1)}" y="${y + barH - 3}" fill="#222">${esc(b.label ?? shortNumber(b.value))}</text>`);
      } else {
        parts.push(`<text x="${labelW + 4}" y="${y + barH - 3}" fill="#888">not measured</text>`);
      }
      y += barH;
    }
    if (g.note) {
      parts.push(`<text x="${labelW}" y="${y + 10}" fill="#555" font-style="italic">${esc(g.note)}</text>`);
      y += 12;
    }
    y += gap;
  }
  // Legend, top right.
  const series = [...new Set(o.groups.flatMap((g) => g.bars.map((b) => b.series)))];
  let lx = width - 10;
  for (const s of [...series].reverse()) {
    const w = 16 + s.length * 6.2;
    lx -= w;
    parts.push(`<rect x="${lx.toFixed(1)}" y="26" width="10" height="10" fill="${colourOf(s, seriesOrder)}"/>`,
      `<text x="${(lx + 13).toFixed(1)}" y="35">${esc(s)}</text>`);
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** One point of a line: x, y and the min–max of y over rounds. */
export interface Point { x: number; y: number; min?: number; max?: number }
export interface Series { name: string; points: Point[]; isDashed?: boolean; colour?: string }

/** Lines with markers and min–max whiskers; log x and/or y. */
export function lineChart(o: { title: string; xLabel: string; yLabel: string; series: Series[]; isLogX?: boolean; isLogY?: boolean; width?: number; height?: number }): string {
  const width = o.width ?? 620;
  const height = o.height ?? 320;
  const longest = Math.max(...o.series.map((x) => x.name.length));
  const m = { left: 64, right: 44 + longest * 6.4, top: 36, bottom: 46 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const seriesOrder: string[] = [];
  const pts = o.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.y));
  const xs = pts.map((p) => p.x);
  const ys = pts.flatMap((p) => [p.y, p.min ?? p.y, p.max ?? p.y]).filter((v) => Number.isFinite(v) && (!o.isLogY || v > 0));
  const isLogX = o.isLogX ?? false;
  const isLogY = o.isLogY ?? false;
  const xlo = isLogX ? 10 ** Math.floor(Math.log10(Math.min(...xs))) : 0;
  const xhi = isLogX ? 10 ** Math.ceil(Math.log10(Math.max(...xs))) : Math.max(...xs) * 1.05;
  const ylo = isLogY ? 10 ** Math.floor(Math.log10(Math.min(...ys))) : Math.min(0, ...ys) * 1.1;
  const yhi = isLogY ? 10 ** Math.ceil(Math.log10(Math.max(...ys))) : Math.max(...ys) * 1.1 || 1;
  const sx = (v: number): number => m.left + (isLogX ? Math.log10(v / xlo) / Math.log10(xhi / xlo) : (v - xlo) / (xhi - xlo)) * pw;
  const sy = (v: number): number => m.top + ph - (isLogY ? Math.log10(Math.max(v, ylo) / ylo) / Math.log10(yhi / ylo) : (v - ylo) / (yhi - ylo)) * ph;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="8" y="18" font-size="14" font-weight="bold">${esc(o.title)}</text>`,
  ];
  for (const t of ticks(xlo, xhi, isLogX)) {
    parts.push(`<line x1="${sx(t).toFixed(1)}" y1="${m.top}" x2="${sx(t).toFixed(1)}" y2="${m.top + ph}" stroke="#eee"/>`,
      `<text x="${sx(t).toFixed(1)}" y="${m.top + ph + 14}" text-anchor="middle" fill="#444">${shortNumber(t)}</text>`);
  }
  for (const t of ticks(ylo, yhi, isLogY)) {
    parts.push(`<line x1="${m.left}" y1="${sy(t).toFixed(1)}" x2="${m.left + pw}" y2="${sy(t).toFixed(1)}" stroke="#eee"/>`,
      `<text x="${m.left - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end" fill="#444">${shortNumber(t)}</text>`);
  }
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`,
    `<text x="${m.left + pw / 2}" y="${height - 10}" text-anchor="middle" fill="#444">${esc(o.xLabel)}${isLogX ? ' (log)' : ''}</text>`,
    `<text transform="translate(14 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle" fill="#444">${esc(o.yLabel)}${isLogY ? ' (log)' : ''}</text>`);
  let ly = m.top + 8;
  for (const s of o.series) {
    const c = s.colour ?? colourOf(s.name, seriesOrder);
    const ok = s.points.filter((p) => Number.isFinite(p.y));
    if (ok.length > 0) {
      parts.push(`<path d="${ok.map((p, i) => `${i === 0 ? 'M' : 'L'}${sx(p.x).toFixed(1)} ${sy(p.y).toFixed(1)}`).join('')}" fill="none" stroke="${c}" stroke-width="2"${s.isDashed ? ' stroke-dasharray="5 4"' : ''}/>`);
    }
    for (const p of ok) {
      if (p.min !== undefined && p.max !== undefined && p.max > p.min) {
        parts.push(`<path d="M${sx(p.x).toFixed(1)} ${sy(p.min).toFixed(1)}V${sy(p.max).toFixed(1)}" stroke="${c}" stroke-width="1"/>`);
      }
      parts.push(`<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3.5" fill="${c}"/>`);
    }
    parts.push(`<line x1="${m.left + pw + 10}" y1="${ly}" x2="${m.left + pw + 28}" y2="${ly}" stroke="${c}" stroke-width="2"${s.isDashed ? ' stroke-dasharray="5 4"' : ''}/>`,
      `<text x="${m.left + pw + 32}" y="${ly + 4}">${esc(s.name)}</text>`);
    ly += 16;
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
