// Hover on a line that builds or calls layers: one table per module with its full breakdown.

import { Hover, MarkupKind } from 'vscode-languageserver';
import { formatShape } from '../report/table';
import { Analysis, LayerReport, LineCost } from '../report/types';
import { formatBytes, formatCount, formatPercent } from '../report/units';
import { bytesAtPeak, layersOf, lineCostsIn } from './costs';
import { hintLabel, repeats } from './inlayHints';
import { LineIndex } from './text';

/** More tables than this make a hover nobody reads; the rest is summarized in one line. */
const MAX_TABLES = 8;

function layerTable(analysis: Analysis, layer: LayerReport): string {
  const peak = analysis.report.totals.peakBytes;
  const rows: [string, string][] = [
    ['kind', layer.kind],
    ['params', formatCount(layer.params)],
    ['parameters', formatBytes(layer.paramBytes)],
    ['gradients', formatBytes(layer.gradBytes)],
    ['optimizer state', formatBytes(layer.optimizerBytes)],
    ['output', formatShape(layer.outputShape)],
    ['saved for backward', `${layer.unknowns > 0 ? '≥ ' : ''}${formatBytes(layer.savedBytes)}`],
    ['share of peak', `${formatPercent(bytesAtPeak(analysis, layer), peak)} of ${formatBytes(peak)}`],
  ];
  if (layer.calls > 1) rows.splice(1, 0, ['calls', String(layer.calls)]);
  if (layer.unknowns > 0) rows.push(['unknowns', `${layer.unknowns} (its figures are lower bounds)`]);
  if (layer.measured) {
    rows.push(['measured output', formatBytes(layer.measured.outputBytes)], ['measured peak', formatBytes(layer.measured.peakBytes)], ['measured time', `${layer.measured.ms.toFixed(2)} ms`]);
  }
  return [`| \`${layer.path || '(root)'}\` | |`, '|:--|--:|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
}

export function hoverMarkdown(analysis: Analysis, cost: LineCost): string {
  const layers = layersOf(analysis, cost);
  const parts = [`**Memlens** — ${hintLabel(cost)}`];
  const n = repeats(cost);
  if (n > 1) parts.push(`Totals over the ${n} times this line runs (${cost.count} ${cost.role === 'construct' ? 'modules built' : 'calls'}).`);
  parts.push(...layers.slice(0, MAX_TABLES).map((l) => layerTable(analysis, l)));
  if (layers.length > MAX_TABLES) parts.push(`… and ${layers.length - MAX_TABLES} more: ${layers.slice(MAX_TABLES).map((l) => `\`${l.path}\``).join(', ')}`);
  return parts.join('\n\n');
}

/** The hover for a 0-based line of `file`, or null when nothing is built or called there. */
export function hover(analysis: Analysis, file: string, text: LineIndex, line: number): Hover | null {
  const cost = lineCostsIn(analysis, file).find((c) => c.line - 1 === line);
  if (!cost) return null;
  return {
    contents: { kind: MarkupKind.Markdown, value: hoverMarkdown(analysis, cost) },
    range: text.lineRange(line),
  };
}
