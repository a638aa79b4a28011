// A line chart as hand-written SVG (no plotting package on the device side of the repo, and the
// benches need only lines, points, axes and a legend). Used by the benches that plot.
export interface Series {
  readonly label: string;
  readonly color: string;
  /** [x, y] points in data units; drawn in order. */
  readonly points: readonly (readonly [number, number])[];
  readonly dashed?: boolean;
}

export interface Chart {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  readonly xTicks: readonly number[];
  /** y range and tick step (data units); y tick labels are formatted by `yFormat`. */
  readonly y: { readonly min: number; readonly max: number; readonly step: number };
  readonly yFormat?: (v: number) => string;
  /** Log-scale x axis (ticks must be > 0). */
  readonly xLog?: boolean;
}

export function lineChart(c: Chart): string {
  const W = 640, H = 380, L = 64, R = 180, T = 34, B = 50;
  const fx = (v: number) => (c.xLog ? Math.log10(v) : v);
  const x0 = fx(Math.min(...c.xTicks)), x1 = fx(Math.max(...c.xTicks));
  const x = (v: number) => L + ((W - L - R) * (fx(v) - x0)) / (x1 - x0 || 1);
  const y = (v: number) => T + (H - T - B) * (1 - (v - c.y.min) / (c.y.max - c.y.min || 1));
  const fmt = c.yFormat ?? ((v: number) => String(v));
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${(L + W - R) / 2}" y="18" text-anchor="middle">${esc(c.title)}</text>`,
    `<line x1="${L}" y1="${y(c.y.min)}" x2="${W - R}" y2="${y(c.y.min)}" stroke="black"/>`,
    `<line x1="${L}" y1="${y(c.y.min)}" x2="${L}" y2="${y(c.y.max)}" stroke="black"/>`];
  for (let v = c.y.min; v <= c.y.max + 1e-9; v += c.y.step) {
    parts.push(`<line x1="${L}" y1="${y(v).toFixed(1)}" x2="${W - R}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`,
      `<text x="${L - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${esc(fmt(v))}</text>`);
  }
  for (const v of c.xTicks) parts.push(`<text x="${x(v).toFixed(1)}" y="${y(c.y.min) + 16}" text-anchor="middle">${v}</text>`);
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">${esc(c.xLabel)}</text>`,
    `<text x="14" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(T + H - B) / 2})">${esc(c.yLabel)}</text>`);
  c.series.forEach((s, i) => {
    const pts = s.points.map(([a, b]) => `${x(a).toFixed(1)},${y(b).toFixed(1)}`).join(" ");
    parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,4"' : ""} points="${pts}"/>`);
    for (const [a, b] of s.points) parts.push(`<circle cx="${x(a).toFixed(1)}" cy="${y(b).toFixed(1)}" r="3" fill="${s.color}"/>`);
    parts.push(`<line x1="${W - R + 12}" y1="${T + 10 + 18 * i}" x2="${W - R + 36}" y2="${T + 10 + 18 * i}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,4"' : ""}/>`,
      `<text x="${W - R + 42}" y="${T + 14 + 18 * i}">${esc(s.label)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
}
