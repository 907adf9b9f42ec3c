// `memlens report --html OUT.html`: one self-contained page — the timeline view of the editor
// (webview/, its bundled script and styles inlined, the analysis as JSON beside it; what-if controls
// off) under a Content-Security-Policy that allows only those inline parts; and, for readers
// without scripts, the static rendering below (inline SVG: the stacked timeline, phases, peak, the
// per-layer table) inside <noscript>.

import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { Analysis } from './types';
import { timelineData } from './view';

import { COMPOSITION_LABELS, COMPOSITION_PARTS, byteTotals, compositionTotal, formatInput, formatOmitted, formatShape, layerLocation } from './table';
import { Composition, Phase, Report, TimelinePoint } from './types';
import { formatBytes, formatCount, formatPercent } from './units';

const CATEGORY_COLORS: Readonly<Record<keyof Composition, string>> = {
  params: '#4e79a7',
  grads: '#f28e2b',
  optimizer: '#e15759',
  activations: '#76b7b2',
  temporaries: '#59a14f',
};

const PHASE_COLORS: Readonly<Record<Phase, string>> = {
  forward: '#eaf1fb',
  backward: '#fdf1e3',
  optimizer: '#f1ecf8',
};

const WIDTH = 960;
const HEIGHT = 380;
const MARGIN = { left: 80, right: 20, top: 36, bottom: 44 };
/** Per-point hover titles make the file large; leave them out beyond this many points. */
const MAX_POINT_TITLES = 4000;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** Y-axis ticks at 1/2/5 steps of one binary unit, labelled "64 MiB". */
export function byteTicks(max: number): { value: number; label: string }[] {
  if (!(max > 0)) return [{ value: 0, label: '0 B' }];
  let unit = 0;
  while (max / 1024 ** unit >= 1024 && unit < BINARY_UNITS.length - 1) unit++;
  const scale = 1024 ** unit;
  const span = max / scale;
  const raw = span / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag) * scale;
  const ticks: { value: number; label: string }[] = [];
  for (let v = 0; v <= max * 1.0001 + step; v += step) {
    ticks.push({ value: v, label: `${+(v / scale).toPrecision(6)} ${BINARY_UNITS[unit]}` });
    if (v >= max) break;
  }
  return ticks;
}

interface PhaseRun {
  phase: Phase;
  start: number;
  end: number;
}

function phaseRuns(timeline: readonly TimelinePoint[]): PhaseRun[] {
  const runs: PhaseRun[] = [];
  timeline.forEach((p, i) => {
    const last = runs[runs.length - 1];
    if (last && last.phase === p.phase) last.end = i + 1;
    else runs.push({ phase: p.phase, start: i, end: i + 1 });
  });
  return runs;
}

/** Centred over its phase, but kept inside the chart when the phase is a sliver at an edge. */
function phaseLabel(phase: Phase, x0: number, x1: number): string {
  const half = 4 * phase.length;
  const centre = Math.min(Math.max((x0 + x1) / 2, MARGIN.left + half), WIDTH - MARGIN.right - half);
  return `<text class="phase" x="${centre.toFixed(1)}" y="${MARGIN.top - 8}" text-anchor="middle">${phase}</text>`;
}

function timelineSvg(report: Report): string {
  const timeline = report.timeline;
  if (!timeline.length) {
    return `<p class="empty">No timeline: the analysis recorded no events.</p>`;
  }
  const totals = timeline.map((p) => compositionTotal(p.bytes));
  const peakIndex = totals.reduce((best, v, i) => (v > totals[best] ? i : best), 0);
  const ticks = byteTicks(Math.max(...totals));
  const yMax = ticks[ticks.length - 1].value || 1;
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (i: number): number => MARGIN.left + (plotW * i) / timeline.length;
  const y = (b: number): number => MARGIN.top + plotH - (plotH * b) / yMax;
  const f = (v: number): string => v.toFixed(1);
  const parts: string[] = [];

  for (const run of phaseRuns(timeline)) {
    parts.push(
      `<rect x="${f(x(run.start))}" y="${MARGIN.top}" width="${f(x(run.end) - x(run.start))}" height="${plotH}" fill="${PHASE_COLORS[run.phase]}"/>`,
      phaseLabel(run.phase, x(run.start), x(run.end)),
    );
  }
  for (const t of ticks) {
    parts.push(
      `<line class="grid" stroke="#ddd" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${f(y(t.value))}" y2="${f(y(t.value))}"/>`,
      `<text class="tick" x="${MARGIN.left - 6}" y="${f(y(t.value) + 4)}" text-anchor="end">${t.label}</text>`,
    );
  }
  // Stacked as steps: point i holds from operation i to i+1. Colours are attributes, not CSS, so
  // the SVG also renders when cut out of the page.
  const below = timeline.map(() => 0);
  for (const part of COMPOSITION_PARTS) {
    const top = timeline.map((p, i) => below[i] + p.bytes[part]);
    if (top.every((v, i) => v === below[i])) continue;
    const upper: string[] = [];
    const lower: string[] = [];
    timeline.forEach((_, i) => {
      upper.push(`${f(x(i))},${f(y(top[i]))}`, `${f(x(i + 1))},${f(y(top[i]))}`);
      lower.push(`${f(x(i))},${f(y(below[i]))}`, `${f(x(i + 1))},${f(y(below[i]))}`);
    });
    parts.push(`<polygon fill="${CATEGORY_COLORS[part]}" fill-opacity="0.85" points="${[...upper, ...lower.reverse()].join(' ')}"><title>${COMPOSITION_LABELS[part]}</title></polygon>`);
    top.forEach((v, i) => (below[i] = v));
  }
  if (timeline.length <= MAX_POINT_TITLES) {
    timeline.forEach((p, i) => {
      const detail = COMPOSITION_PARTS.map((c) => `${COMPOSITION_LABELS[c]} ${formatBytes(p.bytes[c])}`).join('\n');
      const where = p.line !== null ? ` (line ${p.line})` : '';
      parts.push(`<rect class="hit" fill="#000" fill-opacity="0" x="${f(x(i))}" y="${MARGIN.top}" width="${f(x(i + 1) - x(i))}" height="${plotH}"><title>#${p.i} ${escapeHtml(p.phase)} ${escapeHtml(p.op)}${where}: ${formatBytes(totals[i])}\n${detail}</title></rect>`);
    });
  }
  const px = (x(peakIndex) + x(peakIndex + 1)) / 2;
  const py = y(totals[peakIndex]);
  const peak = timeline[peakIndex];
  const anchor = px > WIDTH - 220 ? 'end' : 'start';
  parts.push(
    `<line class="peak" stroke="#b00020" stroke-dasharray="4 3" x1="${f(px)}" x2="${f(px)}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}"/>`,
    `<circle cx="${f(px)}" cy="${f(py)}" r="4" fill="#b00020"/>`,
    `<text class="peak-label" fill="#b00020" font-weight="600" x="${f(px + (anchor === 'start' ? 8 : -8))}" y="${f(Math.max(MARGIN.top + 14, py - 8))}" text-anchor="${anchor}">peak ${formatBytes(totals[peakIndex])} (${peak.phase}, ${escapeHtml(peak.op)})</text>`,
  );
  parts.push(
    `<line stroke="#888" x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}"/>`,
    `<line stroke="#888" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH}"/>`,
    `<text class="tick" x="${MARGIN.left}" y="${HEIGHT - 24}">0</text>`,
    `<text class="tick" x="${WIDTH - MARGIN.right}" y="${HEIGHT - 24}" text-anchor="end">${timeline.length}</text>`,
    `<text class="axis-label" x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 8}" text-anchor="middle">operations of one training step</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="memory timeline">${parts.join('')}</svg>`;
}

function legend(): string {
  const items = COMPOSITION_PARTS.map(
    (p) => `<span class="key"><span class="swatch sw-${p}"></span>${COMPOSITION_LABELS[p]}</span>`,
  );
  return `<div class="legend">${items.join('')}</div>`;
}

function summary(report: Report): string {
  const t = report.totals;
  const rows: [string, string][] = [
    ['params', formatCount(t.params)],
    ...byteTotals(t),
    ['peak', `${formatBytes(t.peakBytes)} (${t.peakPhase})`],
    ...COMPOSITION_PARTS.map((p): [string, string] => [
      `\u2003${COMPOSITION_LABELS[p]}`,
      `${formatBytes(t.peakComposition[p])} (${formatPercent(t.peakComposition[p], t.peakBytes)})`,
    ]),
  ];
  if (report.budgetBytes !== null) rows.push(['budget', formatBytes(report.budgetBytes)]);
  if (report.maxBatch !== null) rows.push(['largest batch that fits', String(report.maxBatch)]);
  return `<table class="summary">${rows.map(([k, v]) => `<tr><th>${k}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>`;
}

function layerTable(report: Report): string {
  const head = ['layer', 'kind', 'line', 'params', 'output', 'saved'].map((h) => `<th>${h}</th>`).join('');
  const rows = report.layers.map(
    (l) =>
      `<tr><td>${escapeHtml(l.path || '(root)')}</td><td>${escapeHtml(l.kind)}${l.calls > 1 ? ` ×${l.calls}` : ''}</td><td class="n">${escapeHtml(layerLocation(report, l))}</td>` +
      `<td class="n">${formatCount(l.params)}</td><td>${formatShape(l.outputShape)}</td><td class="n">${formatBytes(l.savedBytes)}</td></tr>`,
  );
  return `<table class="layers"><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function unknownList(report: Report): string {
  if (!report.unknowns.length) return '';
  const items = report.unknowns.map((u) => `<li><code>${escapeHtml(u.file)}:${u.line}</code> ${escapeHtml(u.reason)}</li>`);
  return `<h2>Unknowns (${report.unknowns.length})</h2><ul>${items.join('')}</ul>`;
}

const CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;background:#fff}
h1{font-size:18px;margin:0 0 4px}h2{font-size:15px;margin:24px 0 8px}
.meta{color:#555;margin-bottom:12px}
svg text{font:11px system-ui,sans-serif;fill:#444}
svg .phase{font-weight:600;fill:#555}svg .hit:hover{fill-opacity:.08}
.legend{margin:6px 0 0 80px}.key{margin-right:16px;white-space:nowrap}
.swatch{display:inline-block;width:12px;height:12px;margin-right:5px;vertical-align:-1px}
table{border-collapse:collapse}th,td{padding:2px 10px;text-align:left}
.layers td.n{text-align:right;font-variant-numeric:tabular-nums}
.layers thead th{border-bottom:1px solid #999}.layers tbody tr:nth-child(even){background:#f6f6f6}
.summary th{font-weight:normal;color:#555}
${COMPOSITION_PARTS.map((p) => `.sw-${p}{background:${CATEGORY_COLORS[p]}}`).join('')}
`;

/** The static page, titled with the report's file (no scripts): the <noscript> part of the view's page. */
export function renderStaticHtml(report: Report): string {
  const s = report.settings;
  const inputs = report.inputs.map(formatInput).join(', ') || 'none';
  const omitted = report.omittedArguments.map((o) => ` (${escapeHtml(formatOmitted(o))})`).join('');
  const meta = `${escapeHtml(report.entry)}${report.entryGuessed ? ' (guessed)' : ''} · inputs ${escapeHtml(inputs)}${omitted} · ` +
    `${s.precision} · ${s.optimizer} · ${s.device} · torch ${escapeHtml(s.torch)} · batch ${s.batch}`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Memlens: ${escapeHtml(report.file)}</title><style>${CSS}</style></head>
<body>
<h1>Memlens: ${escapeHtml(report.file)}</h1>
<div class="meta">${meta}</div>
${timelineSvg(report)}
${legend()}
<h2>Totals</h2>
${summary(report)}
<h2>Layers (${report.layers.length})</h2>
${layerTable(report)}
${unknownList(report)}
</body></html>
`;
}

/** The webview bundle's files: next to the bundled CLI (dist/), or in dist/ of the checkout under tsc's out/. */
function viewAsset(name: string): string {
  const candidates = [path.join(__dirname, name), path.join(__dirname, '..', '..', '..', '..', 'dist', name)];
  for (const c of candidates) if (fs.existsSync(c)) return fs.readFileSync(c, 'utf8');
  throw new Error(`the timeline view's ${name} is missing next to the CLI (build it: npm run build)`);
}

/**
 * The view's script, its licence notices inline (the bundler moves them to a file beside it, which a
 * standalone page does not have), safe inside a <script> element.
 */
function viewScript(): string {
  let script = viewAsset('webview.js');
  const pointer = script.match(/^\/\*! For license information please see (\S+) \*\//);
  if (pointer) script = `/*!\n${viewAsset(pointer[1]).replace(/\*\//g, '* /')}\n*/${script.slice(pointer[0].length)}`;
  return script.replace(/<\/script/gi, '<\\/script');
}

/** JSON that can sit inside a <script> element: no `<` (so no `</script>`), no line separators. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/**
 * The whole page: the editor's timeline view over this analysis, self-contained (no remote
 * resources; CSP `default-src 'none'` with a nonce for the inlined script and styles).
 */
export function renderHtml(analysis: Analysis): string {
  const report = analysis.report;
  const nonce = crypto.randomBytes(18).toString('base64');
  const csp = `default-src 'none'; img-src data:; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'`;
  const data = timelineData(analysis, { uri: null, version: null }, null, null);
  const fallback = renderStaticHtml(report);
  const staticBody = fallback.slice(fallback.indexOf('<body>') + 6, fallback.lastIndexOf('</body>'));
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Memlens: ${escapeHtml(report.file)}</title>
<style nonce="${nonce}">${viewAsset('uPlot.min.css')}</style>
<style nonce="${nonce}">${viewAsset('webview.css')}</style>
</head>
<body class="standalone">
<div id="app" role="main"></div>
<noscript><style nonce="${nonce}">${CSS}</style>${staticBody}</noscript>
<script id="memlens-data" type="application/json">${scriptJson(data)}</script>
<script nonce="${nonce}">${viewScript()}</script>
</body></html>
`;
}
