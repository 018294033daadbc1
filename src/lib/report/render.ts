/**
 * Rendering the audit report: JSON (the report object), Markdown and one
 * self-contained HTML file (inline CSS and SVG, no script, nothing fetched:
 * a Content-Security-Policy of `default-src 'none'` says so to the browser).
 *
 * Markdown and HTML are rendered from the same list of sections, so they say
 * the same things; every figure sits next to how it was computed.
 */
import type { AuditReport } from './types.js';
import { esc, FONT_STACK } from './charts.js';
import { int, type Cell, type Section } from './blocks.js';
import { SECTIONS } from './sections/index.js';
import { escapeControls } from '../text.js';

/** The report's sections with their blocks, in order (the timeline has none: it is charted in others). */
export function reportSections(r: AuditReport): Section[] {
  return SECTIONS.flatMap((s) => s.render?.(r) ?? []);
}

/* ----------------------------------------------------------------------------------------------
 * Markdown
 * -------------------------------------------------------------------------------------------- */

/**
 * Plain text (every block's text is plain: the HTML form escapes it whole) as Markdown text: HTML
 * and entities escaped, and the characters that open code, links and images (`![x](url)` would
 * make a viewer fetch), so text from events shows as written and does nothing.
 */
const mdText = (s: string): string =>
  escapeControls(
    s
      .replace(/\r?\n/g, ' ')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/[\\`[\]|]/g, '\\$&'),
  );

/** A cell's text: lines of a list cell joined with `sep`, empty cells as –. */
const cellText = (v: Cell, sep: string): string =>
  v === null || v === undefined || v === '' ? '–' : Array.isArray(v) ? v.join(sep) || '–' : String(v);

const mdCell = (v: Cell): string => mdText(cellText(v, '; '));

function mdTable(head: string[], rows: Cell[][]): string {
  return [
    `| ${head.map(mdCell).join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`),
  ].join('\n');
}

export function renderMarkdown(r: AuditReport): string {
  const out: string[] = [
    `# ${r.report}`,
    '',
    mdText(
      `Window ${r.scope.since ?? '–'} → ${r.scope.until ?? '–'} · generated ${r.generated_at} · ${r.tool.name} ${r.tool.version}`,
    ),
    '',
    'Every figure states how it was computed. Charts are in the HTML form of this report (`--format html`).',
    '',
  ];
  reportSections(r).forEach((sec, i) => {
    out.push(`## ${i + 1}. ${mdText(sec.title)}`, '');
    for (const b of sec.blocks) {
      switch (b.kind) {
        case 'p':
          out.push(mdText(b.text), '');
          break;
        case 'status':
          out.push(
            `**${b.level === 'ok' ? 'OK' : b.level === 'bad' ? 'ATTENTION' : b.level === 'warn' ? 'NOTE' : 'INFO'}:** ${mdText(b.text)}`,
            '',
          );
          break;
        case 'kv':
          out.push(
            mdTable(
              ['figure', 'value', 'how it was computed'],
              b.rows.map(([k, v, h]) => [k, v, h ?? '']),
            ),
            '',
          );
          break;
        case 'table':
          if (b.title) out.push(`### ${mdText(b.title)}`, '');
          out.push(b.rows.length ? mdTable(b.head, b.rows) : '_none_', '');
          if (b.more) out.push(`_${mdText(b.more)}_`, '');
          if (b.note) out.push(`_${mdText(b.note)}_`, '');
          break;
        case 'chart':
          out.push(`_Chart "${mdText(b.title)}" (HTML report): ${mdText(b.caption)}_`, '');
          break;
      }
    }
  });
  return out.join('\n').replace(/\n+$/, '\n');
}

/* ----------------------------------------------------------------------------------------------
 * HTML
 * -------------------------------------------------------------------------------------------- */

const CSS = `
:root{--fg:#1d1d1f;--muted:#5f6368;--line:#dadce0;--ok:#1e7e34;--bad:#b3261e;--warn:#8a5a00;--bg:#fff}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 ${FONT_STACK};color:var(--fg);background:var(--bg);word-break:keep-all}
header{padding:24px 32px 12px;border-bottom:2px solid var(--fg)}
header h1{margin:0 0 8px;font-size:24px}
header dl{margin:0;display:grid;grid-template-columns:max-content minmax(0,1fr);gap:2px 12px;color:var(--muted)}
header dt{font-weight:600;color:var(--fg)}
header dd{margin:0;overflow-wrap:anywhere}
nav{padding:8px 32px;border-bottom:1px solid var(--line);font-size:13px;display:flex;flex-wrap:wrap;gap:4px 16px}
nav a{color:var(--fg);text-decoration:none;white-space:nowrap}
nav a:hover,nav a:focus{text-decoration:underline}
main{padding:0 32px 32px;max-width:1200px}
section{margin-top:28px;break-inside:auto;scroll-margin-top:12px}
h2{font-size:19px;border-bottom:1px solid var(--line);padding-bottom:4px;margin:0 0 12px;break-after:avoid}
h3{font-size:15px;margin:18px 0 6px;break-after:avoid;overflow-wrap:anywhere}
p,.status{overflow-wrap:anywhere}
.tw{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%;margin:6px 0 4px;font-size:13px}
th,td{border:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top;overflow-wrap:break-word}
td.w,table.kv td,code{overflow-wrap:anywhere}
td ul{margin:0;padding-left:1.1em}
th{background:#f3f4f6;font-weight:600}
td.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
table.kv td:first-child{width:22%;font-weight:600}
table.kv td:nth-child(2){width:30%}
table.kv td:nth-child(3),.note,.more,figcaption{color:var(--muted);font-size:12px}
.more{font-style:italic}
tr{break-inside:avoid}
.status{padding:8px 12px;border-left:5px solid;margin:8px 0;background:#f8f9fa}
.status.ok{border-color:var(--ok)}.status.bad{border-color:var(--bad)}.status.warn{border-color:var(--warn)}.status.info{border-color:var(--muted)}
figure{margin:12px 0;break-inside:avoid}
svg.chart{display:block;width:100%;max-width:720px;height:auto;border:1px solid var(--line)}
code{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,"DejaVu Sans Mono","Liberation Mono","Noto Sans Mono CJK KR","NanumGothicCoding",monospace;font-size:12px}
.empty{color:var(--muted);font-style:italic}
footer{padding:16px 32px;color:var(--muted);font-size:12px;border-top:1px solid var(--line);overflow-wrap:anywhere}
@media print{
  @page{margin:14mm}
  body{font-size:10.5pt}
  nav{display:none}
  header,main,footer{padding-left:0;padding-right:0}
  section{break-before:auto}
  .tw{overflow:visible}
  *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
  a{color:inherit;text-decoration:none}
}`;

/** A run this long without a place to break (a hash, an id) may break anywhere. */
const UNBROKEN = /[^\s/\-–—,;:._]{24,}/;

/**
 * Text with a break opportunity after `. _ / : , ;` before a letter (paths, field paths, snake_case
 * names; browsers break none of them there), copied as written.
 */
const breakable = (text: string): string => esc(text).replace(/([._/:,;])(?=[^\s\d])/g, '$1<wbr>');

/** One table cell: numbers right-aligned, list cells as lists, long names allowed to break. */
function hCell(v: Cell, numeric: boolean): string {
  const text = cellText(v, ' ');
  if (numeric) return `<td class="n">${esc(text)}</td>`;
  const cls = UNBROKEN.test(text) ? ' class="w"' : '';
  const body =
    Array.isArray(v) && v.length > 1
      ? `<ul>${v.map((x) => `<li>${breakable(x)}</li>`).join('')}</ul>`
      : breakable(text);
  return `<td${cls}>${body}</td>`;
}

/** Window, origin and chain head under the title, each with its label. */
function headerFacts(r: AuditReport): string {
  const head = r.integrity.chain_head;
  const facts: [string, string][] = [
    ['window', `${esc(`${r.scope.since ?? '–'} → ${r.scope.until ?? '–'}`)} (${esc(r.scope.basis)})`],
    ['generated', `${esc(r.generated_at)} by ${esc(`${r.tool.name} ${r.tool.version}`)}`],
    ['database', `<code>${esc(r.database)}</code>`],
    // `seq N: <code>hex</code>` right after the label: --anchor reads the head back from the report
    [
      'chain head',
      `seq ${int(head.seq)}: <code>${esc(head.chain)}</code> (sha256 hash chain; kcloud-log verify recomputes it)`,
    ],
  ];
  return `<dl>${facts.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

export function renderHtml(r: AuditReport): string {
  const secs = reportSections(r);
  const body: string[] = [];
  secs.forEach((sec, i) => {
    body.push(`<section id="${sec.id}"><h2>${i + 1}. ${esc(sec.title)}</h2>`);
    for (const b of sec.blocks) {
      switch (b.kind) {
        case 'p':
          body.push(`<p>${esc(b.text)}</p>`);
          break;
        case 'status':
          body.push(`<div class="status ${b.level}">${esc(b.text)}</div>`);
          break;
        case 'kv':
          body.push(
            `<div class="tw"><table class="kv"><thead><tr><th>figure</th><th>value</th><th>how it was computed</th></tr></thead><tbody>${b.rows
              .map(([k, v, h]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td><td>${esc(h ?? '')}</td></tr>`)
              .join('')}</tbody></table></div>`,
          );
          break;
        case 'table': {
          if (b.title) body.push(`<h3>${esc(b.title)}</h3>`);
          if (!b.rows.length) body.push('<p class="empty">none</p>');
          else {
            const numeric = new Set(b.numeric ?? []);
            body.push(
              `<div class="tw"><table><thead><tr>${b.head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${b.rows
                .map((row) => `<tr>${row.map((c, j) => hCell(c, numeric.has(j))).join('')}</tr>`)
                .join('')}</tbody></table></div>`,
            );
          }
          if (b.more) body.push(`<p class="more">${esc(b.more)}</p>`);
          if (b.note) body.push(`<p class="note">${esc(b.note)}</p>`);
          break;
        }
        case 'chart':
          body.push(
            `<figure><h3>${esc(b.title)}</h3>${b.svg}<figcaption>${esc(b.caption)}</figcaption></figure>`,
          );
          break;
      }
    }
    body.push('</section>');
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${esc(`${r.tool.name} ${r.tool.version}`)}">
<title>${esc(`${r.report} ${r.scope.since ?? ''} – ${r.scope.until ?? ''}`)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${esc(r.report)}</h1>${headerFacts(r)}</header>
<nav aria-label="sections">${secs.map((sec, i) => `<a href="#${sec.id}">${i + 1}. ${esc(sec.title)}</a>`).join('')}</nav>
<main>
${body.join('\n')}
</main>
<footer>Every figure states how it was computed. This file is self-contained: no scripts, nothing loaded from the network.${r.integrity.signature ? ` Signed with Ed25519 key ${esc(r.integrity.signature.key_id)}: the signature follows the closing html tag; check with <code>kcloud-log verify --report FILE --pub KEY.pub</code>.` : ''}</footer>
</body>
</html>
`;
}

export function renderJson(r: AuditReport): string {
  return JSON.stringify(r, null, 2) + '\n';
}
