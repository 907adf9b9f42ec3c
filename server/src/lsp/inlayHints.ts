// One inlay hint at the end of each line that builds layers or calls them in forward:
// "saved 1.50 MiB · weights 4.48 MiB ×4" (weights = parameters + gradients + optimizer state).

import { InlayHint, MarkupKind, Range } from 'vscode-languageserver';
import { formatShape } from '../report/table';
import { Analysis, LineCost } from '../report/types';
import { formatBytes } from '../report/units';
import { lineCostsIn, weightBytes } from './costs';
import { LineIndex } from './text';

/**
 * How many times the line runs: a block class built 4 times runs its lines 4 times, and a line
 * that calls conv1, bn1 and relu in each of them makes 12 calls but repeats 4 times. Counted as
 * the most times one module name (its last non-index path component) occurs on the line.
 */
export function repeats(cost: LineCost): number {
  const times = new Map<string, number>();
  for (const m of cost.modules) {
    const name = m.split('.').filter((part) => !/^\d+$/.test(part)).pop() ?? m;
    times.set(name, (times.get(name) ?? 0) + 1);
  }
  return Math.max(1, ...times.values());
}

export function hintLabel(cost: LineCost): string {
  const label = `saved ${formatBytes(cost.savedBytes)} · weights ${formatBytes(weightBytes(cost))}`;
  const n = repeats(cost);
  return n > 1 ? `${label} ×${n}` : label;
}

export function hintTooltip(cost: LineCost): string {
  const what = cost.role === 'construct' ? 'built on this line' : 'called on this line';
  const n = repeats(cost);
  const times = n > 1 ? ` (the line runs ${n} times; totals)` : '';
  const shown = cost.modules.slice(0, 6).map((m) => `\`${m}\``).join(', ') + (cost.modules.length > 6 ? ', …' : '');
  return [
    `**Memlens**: ${cost.count} module${cost.count === 1 ? '' : 's'} ${what}${times}`,
    '',
    `- saved for backward: ${formatBytes(cost.savedBytes)}`,
    `- parameters: ${formatBytes(cost.paramBytes)}`,
    `- gradients: ${formatBytes(cost.gradBytes)}`,
    `- optimizer state: ${formatBytes(cost.optimizerBytes)}`,
    ...(cost.outputShape ? [`- output: ${formatShape(cost.outputShape)}`] : []),
    ...(shown ? ['', shown] : []),
  ].join('\n');
}

/** Hints for the lines of `file` inside `range` (0-based LSP lines). */
export function inlayHints(analysis: Analysis, file: string, text: LineIndex, range: Range): InlayHint[] {
  const hints: InlayHint[] = [];
  const seen = new Set<number>();
  for (const cost of lineCostsIn(analysis, file)) {
    const line = cost.line - 1;
    if (line < range.start.line || line > range.end.line || line >= text.lineCount || seen.has(line)) continue;
    // A result carried over edits may point at a line emptied since: no hint on a blank line.
    if (text.lineText(line).trim() === '') continue;
    seen.add(line);
    hints.push({
      position: { line, character: text.lineText(line).length },
      label: hintLabel(cost),
      tooltip: { kind: MarkupKind.Markdown, value: hintTooltip(cost) },
      paddingLeft: true,
    });
  }
  return hints.sort((a, b) => a.position.line - b.position.line);
}
