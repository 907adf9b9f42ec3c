// Hover on a line that builds or calls layers: one table per module with its full breakdown; a
// block repeated N times (blocks.0 … blocks.11) is one table marked ×N.

import { Hover, MarkupKind } from 'vscode-languageserver';
import { formatShape } from '../report/table';
import { Analysis, LayerReport, LineCost } from '../report/types';
import { formatBytes, formatCount, formatPercent } from '../report/units';
import { bytesAtPeak, layersOf, lineCostsIn } from './costs';
import { hintLabel, repeats } from './inlayHints';
import { LineIndex } from './text';

/** More tables than this make a hover nobody reads; the rest is summarized in one line. */
const MAX_TABLES = 8;

/**
 * Instances of one module of a repeated block (`layer1.0.conv1`, `layer2.0.conv1`;
 * `block1.attn.query`, `block2.attn.query`) share their kind and their own name.
 */
function repeatedName(layer: LayerReport): string {
  const own = layer.path.split('.').filter((p) => !/^\d+$/.test(p)).pop() ?? layer.path;
  return `${layer.kind}\u0000${own}`;
}

function layerTable(analysis: Analysis, layer: LayerReport, title: string, output: number[] | null): string {
  const peak = analysis.report.totals.peakBytes;
  const bound = layer.unknowns > 0 ? '≥ ' : '';
  const rows: [string, string][] = [
    ['kind', layer.kind],
    ['parameters', formatCount(layer.params)],
    ['parameter memory', formatBytes(layer.paramBytes)],
    ['gradient memory', formatBytes(layer.gradBytes)],
    ['optimizer state', formatBytes(layer.optimizerBytes)],
    ['output', formatShape(output ?? layer.outputShape)],
    ['saved for backward', `${bound}${formatBytes(layer.savedBytes)}`],
    ['share of peak', `${bound}${formatPercent(bytesAtPeak(analysis, layer), peak)} of ${formatBytes(peak)}`],
  ];
  if (layer.sharedWith) rows.splice(3, 0, ['weights', `shared with \`${layer.sharedWith}\` (counted there)`]);
  if (layer.calls > 1) rows.splice(1, 0, ['calls per step', String(layer.calls)]);
  if (layer.unknowns > 0) rows.push(['unknowns', `${layer.unknowns} (its figures are lower bounds)`]);
  if (layer.measured) {
    const m = layer.measured;
    const same = m.outputBytes === layer.outputBytes;
    rows.push(
      ['output, measured vs estimated', `${formatBytes(m.outputBytes)} vs ${formatBytes(layer.outputBytes)}${same ? ' (equal)' : ''}`],
      ['measured arena peak', formatBytes(m.peakBytes)],
      ['measured time', `${m.ms.toFixed(3)} ms`],
    );
  }
  return [`| ${title} | |`, '|:--|--:|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
}

export function hoverMarkdown(analysis: Analysis, cost: LineCost, usedBy?: string): string {
  const layers = layersOf(analysis, cost);
  const parts = [`**Memlens** — ${hintLabel(cost) || 'no memory of its own'}`];
  if (usedBy) parts.push(usedBy);
  const r = analysis.report;
  if (r.unreliable?.length) parts.push(`⚠ These figures may not be what you mean: ${r.unreliable.join('; ')}.`);
  else if (r.unknowns.length) parts.push(`Lower bounds: ${r.unknowns.length} value${r.unknowns.length === 1 ? '' : 's'} Memlens could not evaluate reach the numbers.`);
  const n = repeats(cost);
  if (n > 1) parts.push(`This line runs ${n} times per step; the hint is per run. Each table is one module.`);
  // One table per distinct module name; instances of a repeated block become one table ×N.
  const groups = new Map<string, LayerReport[]>();
  for (const l of layers) {
    const key = repeatedName(l);
    groups.set(key, [...(groups.get(key) ?? []), l]);
  }
  const tables = [...groups.values()];
  const single = layers.length === 1 ? cost.outputShape : null;
  parts.push(...tables.slice(0, MAX_TABLES).map((g) => {
    const first = g[0];
    const title = g.length > 1 ? `\`${first.path}\` … \`${g[g.length - 1].path}\` ×${g.length} (each)` : `\`${first.path || '(model)'}\``;
    return layerTable(analysis, first, title, single);
  }));
  if (tables.length > MAX_TABLES) parts.push(`… and ${tables.length - MAX_TABLES} more: ${tables.slice(MAX_TABLES).map((g) => `\`${g[0].path}\``).join(', ')}`);
  return parts.join('\n\n');
}

/** The hover for a 0-based line of `file`, or null when nothing is built or called there. */
export function hover(analysis: Analysis, file: string, text: LineIndex, line: number, usedBy?: string): Hover | null {
  const here = lineCostsIn(analysis, file).filter((c) => c.line - 1 === line);
  // A line that both calls and builds: the call (what a step runs there).
  const cost = here.find((c) => c.role === 'call') ?? here[0];
  if (!cost) return null;
  return {
    contents: { kind: MarkupKind.Markdown, value: hoverMarkdown(analysis, cost, usedBy) },
    range: text.lineRange(line),
  };
}
