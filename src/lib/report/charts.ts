/**
 * Inline SVG charts for the HTML report: no script, no fonts or images from
 * anywhere, fixed viewBox so they scale on screen and print.
 */

/**
 * The report's fonts: each system's UI font, then fonts with Korean (and other CJK) glyphs on
 * Linux, Windows and macOS, then the generic family. Nothing is fetched: a missing font is skipped.
 */
export const FONT_STACK =
  'system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans CJK KR","Noto Sans KR","Source Han Sans KR","NanumGothic","Malgun Gothic","Apple SD Gothic Neo",sans-serif';

export const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export interface Series {
  name: string;
  color: string;
  values: (number | null)[];
}

const W = 720;
const H = 260;
const M = { top: 28, right: 64, bottom: 46, left: 64 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;

/** Round tick values covering 0..max. */
export function niceTicks(max: number, count = 4): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  const ticks: number[] = [];
  for (let v = 0; v < max + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

export const shortNum = (v: number): string => {
  const a = Math.abs(v);
  if (a >= 1e9) return `${Number((v / 1e9).toFixed(1))}G`;
  if (a >= 1e6) return `${Number((v / 1e6).toFixed(1))}M`;
  if (a >= 1e4) return `${Number((v / 1e3).toFixed(1))}k`;
  return String(Number(v.toFixed(a < 10 ? 2 : 1)));
};

function frame(
  id: string,
  title: string,
  body: string,
  legend: { name: string; color: string }[] = [],
): string {
  const leg = legend
    .map(
      (l, i) =>
        `<g transform="translate(${M.left + i * 190},8)"><rect width="12" height="12" fill="${l.color}"/><text x="17" y="10" class="lg">${esc(l.name)}</text></g>`,
    )
    .join('');
  return `<svg class="chart" id="${esc(id)}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-labelledby="${esc(id)}-t">
<title id="${esc(id)}-t">${esc(title)}</title>
<style>.ax{stroke:#888;stroke-width:1}.gr{stroke:#e3e3e3;stroke-width:1}text{font:11px ${FONT_STACK};fill:#333}.lg{font-size:12px}</style>
<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>
${leg}${body}
</svg>`;
}

function yAxis(ticks: number[], max: number, side: 'left' | 'right', label: string, grid: boolean): string {
  const x = side === 'left' ? M.left : M.left + PW;
  const out: string[] = [`<line class="ax" x1="${x}" y1="${M.top}" x2="${x}" y2="${M.top + PH}"/>`];
  for (const t of ticks) {
    const y = M.top + PH - (t / max) * PH;
    if (grid)
      out.push(
        `<line class="gr" x1="${M.left}" y1="${y.toFixed(1)}" x2="${M.left + PW}" y2="${y.toFixed(1)}"/>`,
      );
    out.push(
      `<text x="${side === 'left' ? x - 6 : x + 6}" y="${(y + 4).toFixed(1)}" text-anchor="${side === 'left' ? 'end' : 'start'}">${esc(shortNum(t))}</text>`,
    );
  }
  const lx = side === 'left' ? 14 : W - 10;
  out.push(
    `<text transform="translate(${lx},${M.top + PH / 2}) rotate(-90)" text-anchor="middle">${esc(label)}</text>`,
  );
  return out.join('');
}

/** Labels under the x axis: at band centres (buckets), or at band left edges with a tick (bins). */
function xLabels(labels: string[], band: number, atEdges = false): string {
  const every = Math.max(1, Math.ceil(labels.length / 8));
  const out: string[] = [
    `<line class="ax" x1="${M.left}" y1="${M.top + PH}" x2="${M.left + PW}" y2="${M.top + PH}"/>`,
  ];
  labels.forEach((l, i) => {
    if (i % every !== 0) return;
    const x = M.left + band * (i + (atEdges ? 0 : 0.5));
    if (atEdges)
      out.push(
        `<line class="ax" x1="${x.toFixed(1)}" y1="${M.top + PH}" x2="${x.toFixed(1)}" y2="${M.top + PH + 4}"/>`,
      );
    out.push(`<text x="${x.toFixed(1)}" y="${M.top + PH + 16}" text-anchor="middle">${esc(l)}</text>`);
  });
  return out.join('');
}

function noData(id: string, title: string): string {
  return frame(
    id,
    title,
    `<rect x="${M.left}" y="${M.top}" width="${PW}" height="${PH}" fill="#fafafa" stroke="#ddd"/><text x="${W / 2}" y="${H / 2}" text-anchor="middle">no data in the scope</text>`,
  );
}

/** Histogram: one bar per bin, optional vertical markers (e.g. p50/p95/p99). */
export function histogramSvg(
  id: string,
  title: string,
  bins: { label: string; count: number; from: number; to: number | null }[],
  markers: { label: string; value: number | null }[],
  xLabel: string,
): string {
  if (!bins.length || bins.every((b) => b.count === 0)) return noData(id, title);
  const max = Math.max(...bins.map((b) => b.count));
  const ticks = niceTicks(max);
  const top = ticks[ticks.length - 1]!;
  const band = PW / bins.length;
  const bars = bins
    .map((b, i) => {
      const h = (b.count / top) * PH;
      return `<rect class="bar" x="${(M.left + band * i + 1).toFixed(1)}" y="${(M.top + PH - h).toFixed(1)}" width="${Math.max(1, band - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="#1565c0"><title>${esc(`${b.label}: ${b.count}`)}</title></rect>`;
    })
    .join('');
  // Markers at their position on the binned axis (linear within the closed bins).
  const last = bins[bins.length - 1]!;
  const span = last.to ?? last.from + (bins[0]!.to ?? 1) - bins[0]!.from;
  const marks = markers
    .filter((m) => m.value !== null)
    .map((m, i) => {
      const x = M.left + Math.min(1, m.value! / span) * PW;
      return `<line x1="${x.toFixed(1)}" y1="${M.top}" x2="${x.toFixed(1)}" y2="${M.top + PH}" stroke="#c62828" stroke-dasharray="4 3"/><text x="${(x + 3).toFixed(1)}" y="${M.top + 12 + i * 13}" fill="#c62828">${esc(m.label)}</text>`;
    })
    .join('');
  return frame(
    id,
    title,
    yAxis(ticks, top, 'left', 'decisions', true) +
      bars +
      xLabels(
        bins.map((b) => b.label),
        band,
        true,
      ) +
      marks +
      `<text x="${M.left + PW / 2}" y="${H - 6}" text-anchor="middle">${esc(xLabel)}</text>`,
  );
}

/** Bars on the left axis and a line on the right axis over the same buckets. */
export function barLineSvg(
  id: string,
  title: string,
  labels: string[],
  bars: Series,
  line: Series,
  xLabel: string,
): string {
  const bmax = Math.max(0, ...bars.values.map((v) => v ?? 0));
  const lmax = Math.max(0, ...line.values.map((v) => v ?? 0));
  if (!labels.length || (bmax === 0 && lmax === 0)) return noData(id, title);
  const bt = niceTicks(bmax || 1);
  const lt = niceTicks(lmax || 1);
  const btop = bt[bt.length - 1]!;
  const ltop = lt[lt.length - 1]!;
  const band = PW / labels.length;
  const rects = bars.values
    .map((v, i) => {
      const h = ((v ?? 0) / btop) * PH;
      return `<rect class="bar" x="${(M.left + band * i + band * 0.15).toFixed(1)}" y="${(M.top + PH - h).toFixed(1)}" width="${Math.max(1, band * 0.7).toFixed(1)}" height="${h.toFixed(1)}" fill="${bars.color}"><title>${esc(`${labels[i]}: ${v ?? 0} ${bars.name}`)}</title></rect>`;
    })
    .join('');
  const pts: string[] = [];
  const segs: string[] = [];
  line.values.forEach((v, i) => {
    const x = M.left + band * (i + 0.5);
    if (v === null) {
      if (pts.length) segs.push(pts.splice(0).join(' '));
      return;
    }
    pts.push(`${x.toFixed(1)},${(M.top + PH - (v / ltop) * PH).toFixed(1)}`);
  });
  if (pts.length) segs.push(pts.join(' '));
  const lines = segs
    .map((s) =>
      s.includes(' ')
        ? `<polyline class="line" points="${s}" fill="none" stroke="${line.color}" stroke-width="2"/>`
        : `<circle class="line" cx="${s.split(',')[0]}" cy="${s.split(',')[1]}" r="3" fill="${line.color}"/>`,
    )
    .join('');
  return frame(
    id,
    title,
    yAxis(bt, btop, 'left', bars.name, true) +
      yAxis(lt, ltop, 'right', line.name, false) +
      rects +
      lines +
      xLabels(labels, band) +
      `<text x="${M.left + PW / 2}" y="${H - 6}" text-anchor="middle">${esc(xLabel)}</text>`,
    [bars, line],
  );
}

/** Side-by-side bars per bucket, one per series, on one axis. */
export function groupedBarsSvg(
  id: string,
  title: string,
  labels: string[],
  series: Series[],
  yLabel: string,
  xLabel: string,
): string {
  const max = Math.max(0, ...series.flatMap((s) => s.values.map((v) => v ?? 0)));
  if (!labels.length || max === 0) return noData(id, title);
  const ticks = niceTicks(max);
  const top = ticks[ticks.length - 1]!;
  const band = PW / labels.length;
  const bw = (band * 0.8) / series.length;
  const rects = labels
    .map((l, i) =>
      series
        .map((s, k) => {
          const v = s.values[i] ?? 0;
          const h = (v / top) * PH;
          return `<rect class="bar" x="${(M.left + band * i + band * 0.1 + bw * k).toFixed(1)}" y="${(M.top + PH - h).toFixed(1)}" width="${Math.max(1, bw).toFixed(1)}" height="${h.toFixed(1)}" fill="${s.color}"><title>${esc(`${l}: ${s.name} ${shortNum(v)}`)}</title></rect>`;
        })
        .join(''),
    )
    .join('');
  return frame(
    id,
    title,
    yAxis(ticks, top, 'left', yLabel, true) +
      rects +
      xLabels(labels, band) +
      `<text x="${M.left + PW / 2}" y="${H - 6}" text-anchor="middle">${esc(xLabel)}</text>`,
    series,
  );
}
