// One inlay hint at the end of each line of forward that calls layers or ops (and, with
// `memlens.inlayHints.onConstruction`, of each line that builds them): "saved 1.50 MiB · weights
// 4.48 MiB", per run — "saved 12 × 36.0 MiB" on a line a block repeated 12 times runs (weights =
// parameters + gradients + optimizer state).

import { InlayHint, MarkupKind, Range } from 'vscode-languageserver';
import { formatShape } from '../report/table';
import { Analysis, LineCost } from '../report/types';
import { formatBytes } from '../report/units';
import { lineCostsIn, sameFile, weightBytes } from './costs';
import { LineIndex } from './text';

/** Which figures the hints show and where (`memlens.inlayHints.*`). */
export interface HintOptions {
  saved: boolean;
  weights: boolean;
  /** Hints on the lines that build layers too (their figures are on hover either way). */
  onConstruction: boolean;
}

export const DEFAULT_HINT_OPTIONS: HintOptions = { saved: true, weights: true, onConstruction: false };

/** Longest label, as rust-analyzer caps its hints; the tooltip has everything. */
export const MAX_LABEL = 64;

/** How many times the line runs per step (see LineCost.repeats). */
export function repeats(cost: LineCost): number {
  return Math.max(1, cost.repeats ?? 1);
}

/** `3.00 MiB`, or `12 × 3.00 MiB` per run when the line runs 12 times. */
function perRun(total: number, n: number): string {
  return n > 1 ? `${n} × ${formatBytes(total / n)}` : formatBytes(total);
}

/** The hint text: per-run figures, the multiplier written out; '' when the line costs nothing shown. */
export function hintLabel(cost: LineCost, options: HintOptions = DEFAULT_HINT_OPTIONS): string {
  const n = repeats(cost);
  const parts: string[] = [];
  if (options.saved && cost.savedBytes > 0) parts.push(`saved ${perRun(cost.savedBytes, n)}`);
  const weights = weightBytes(cost);
  if (options.weights && weights > 0) parts.push(`weights ${perRun(weights, n)}`);
  if (options.weights && cost.sharedWith?.length) parts.push(`weights shared with ${cost.sharedWith.map((m) => `\`${m}\``).join(', ')}`);
  const label = parts.join(' · ');
  return label.length > MAX_LABEL ? `${label.slice(0, MAX_LABEL - 1)}…` : label;
}

export function hintTooltip(cost: LineCost): string {
  const what = cost.role === 'construct' ? 'built on this line' : 'called on this line';
  const n = repeats(cost);
  const times = n > 1 ? ` — the line runs ${n} times per step; figures per run, totals ×${n}` : '';
  const shown = cost.modules.slice(0, 6).map((m) => `\`${m}\``).join(', ') + (cost.modules.length > 6 ? ', …' : '');
  const fig = (bytes: number) => (n > 1 ? `${formatBytes(bytes / n)} per run (${formatBytes(bytes)} in all)` : formatBytes(bytes));
  return [
    `**Memlens**: ${cost.count} module${cost.count === 1 ? '' : 's'} ${what}${times}`,
    '',
    `- saved for backward: ${fig(cost.savedBytes)}`,
    `- parameters: ${fig(cost.paramBytes)}`,
    `- gradients: ${fig(cost.gradBytes)}`,
    `- optimizer state: ${fig(cost.optimizerBytes)}`,
    ...(cost.sharedWith?.length ? [`- weights shared with ${cost.sharedWith.map((m) => `\`${m}\``).join(', ')} (counted there)`] : []),
    ...(cost.outputShape ? [`- output: ${formatShape(cost.outputShape)}`] : []),
    ...(shown ? ['', shown] : []),
  ].join('\n');
}

/** Hints for the lines of `file` inside `range` (0-based LSP lines). */
export function inlayHints(analysis: Analysis, file: string, text: LineIndex, range: Range, options: HintOptions = DEFAULT_HINT_OPTIONS): InlayHint[] {
  const hints: InlayHint[] = [];
  const seen = new Set<number>();
  // Call lines first: a line that both builds and calls (a one-line Sequential in forward) shows its call.
  // The line that built a library's model carries the whole model (its layers are the library's lines).
  const modelLine = analysis.model && sameFile(analysis.model.file, file) ? analysis.model.line : -1;
  const costs = lineCostsIn(analysis, file).filter((c) => c.role === 'call' || options.onConstruction || c.line === modelLine).sort((a, b) => (a.role === b.role ? 0 : a.role === 'call' ? -1 : 1));
  for (const cost of costs) {
    const line = cost.line - 1;
    if (line < range.start.line || line > range.end.line || line >= text.lineCount || seen.has(line)) continue;
    // A result carried over edits may point at a line emptied since: no hint on a blank line.
    if (text.lineText(line).trim() === '') continue;
    const label = hintLabel(cost, options);
    // A line that costs nothing (a reshape, a parameter-free layer that saves nothing) gets no hint.
    if (!label) continue;
    seen.add(line);
    hints.push({
      position: { line, character: text.lineText(line).length },
      label,
      tooltip: { kind: MarkupKind.Markdown, value: hintTooltip(cost) },
      paddingLeft: true,
    });
  }
  return hints.sort((a, b) => a.position.line - b.position.line);
}
