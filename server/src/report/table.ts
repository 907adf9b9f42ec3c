// The terminal report of `memlens report`: header, one row per layer, totals, the peak and what it
// is made of, and the unknowns. Plain text, aligned columns, human units.

import * as path from 'path';
import { formatBytes, formatCount, formatPercent } from './units';
import { Composition, InputReport, OmittedArgumentReport, Report } from './types';

export const COMPOSITION_PARTS: readonly (keyof Composition)[] = ['params', 'grads', 'optimizer', 'activations', 'temporaries'];

export const COMPOSITION_LABELS: Readonly<Record<keyof Composition, string>> = {
  params: 'parameters',
  grads: 'gradients',
  optimizer: 'optimizer state',
  activations: 'saved activations',
  temporaries: 'temporaries',
};

export function formatShape(shape: readonly number[] | null): string {
  return shape ? `[${shape.join(', ')}]` : '?';
}

export function formatInput(input: InputReport): string {
  return `${input.name}: ${input.dtype}${formatShape(input.shape)}${input.guessed ? ' (guessed)' : ''}`;
}

/** `targets not given: loss not included`. */
export function formatOmitted(o: OmittedArgumentReport): string {
  return `${o.name} not given: ${o.note}`;
}

export function compositionTotal(c: Composition): number {
  return COMPOSITION_PARTS.reduce((sum, part) => sum + c[part], 0);
}

/** Pads cells to column widths; 'r' columns are right-aligned (numbers). */
export function alignColumns(rows: readonly (readonly string[])[], align: readonly ('l' | 'r')[]): string[] {
  const widths = align.map((_, col) => Math.max(0, ...rows.map((r) => (r[col] ?? '').length)));
  return rows.map((r) =>
    align
      .map((a, col) => {
        const cell = r[col] ?? '';
        return a === 'r' ? cell.padStart(widths[col]) : cell.padEnd(widths[col]);
      })
      .join('  ')
      .trimEnd(),
  );
}

function settingsLine(report: Report): string {
  const s = report.settings;
  const checkpoint = s.checkpoint.length ? s.checkpoint.join(', ') : 'none';
  return `${s.precision} · ${s.optimizer} · ${s.device} · torch ${s.torch} · batch ${s.batch} · checkpoint ${checkpoint}`;
}

/** A layer's construction line; `blocks.py:7` when it is built in another file than the report's. */
export function layerLocation(report: Report, layer: { file: string; line: number }): string {
  if (layer.file === report.file) return String(layer.line);
  return `${path.relative(path.dirname(report.file), layer.file) || layer.file}:${layer.line}`;
}

function layerRows(report: Report): string[] {
  const header = ['layer', 'kind', 'line', 'params', 'output', 'saved'];
  const rows = report.layers.map((l) => [
    l.path || '(root)',
    l.kind + (l.calls > 1 ? ` ×${l.calls}` : ''),
    layerLocation(report, l),
    formatCount(l.params),
    formatShape(l.outputShape),
    formatBytes(l.savedBytes),
  ]);
  return alignColumns([header, ...rows], ['l', 'l', 'r', 'r', 'l', 'r']);
}

function budgetLines(report: Report): string[] {
  if (report.budgetBytes === null) return [];
  const peak = report.totals.peakBytes;
  const verdict = peak > report.budgetBytes ? `exceeded by ${formatBytes(peak - report.budgetBytes)}` : 'fits';
  const lines = [`budget ${formatBytes(report.budgetBytes)}: ${verdict}`];
  if (report.maxBatch !== null) lines.push(`largest batch that fits: ${report.maxBatch} as the code stands${report.budgetPlan?.maxBatch != null ? `, ${report.budgetPlan.maxBatch} with checkpointing` : ''}`);
  const plan = report.budgetPlan;
  if (plan && peak > report.budgetBytes) lines.push(plan.plan ? `${plan.fits ? 'plan that fits' : 'nothing fits; closest'}: ${plan.plan}` : `no plan fits (${plan.tried.join('; ')})`);
  return lines;
}

/** The whole terminal report, lines joined with "\n" (no trailing newline). */
export function renderTable(report: Report): string {
  const t = report.totals;
  const out: string[] = [];
  out.push(`memlens report  ${report.file}`);
  out.push(
    ...alignColumns(
      [
        ['entry', report.entry + (report.entryGuessed ? '  (guessed)' : '')],
        ['inputs', report.inputs.length ? report.inputs.map(formatInput).join(', ') : 'none'],
        ...report.omittedArguments.map((o): [string, string] => ['omitted', formatOmitted(o)]),
        ['settings', settingsLine(report)],
      ],
      ['l', 'l'],
    ),
  );
  out.push('');
  if (report.layers.length) out.push(...layerRows(report), '');

  const frozen = t.params - t.trainableParams;
  out.push(
    ...alignColumns(
      [
        ['params', `${formatCount(t.params)}${frozen > 0 ? ` (${formatCount(frozen)} frozen)` : ''}`],
        ...byteTotals(t),
      ],
      ['l', 'r'],
    ),
  );
  out.push('');
  out.push(`peak ${formatBytes(t.peakBytes)} during ${t.peakPhase}`);
  const parts = COMPOSITION_PARTS.map((p) => [
    `  ${COMPOSITION_LABELS[p]}`,
    formatBytes(t.peakComposition[p]),
    formatPercent(t.peakComposition[p], t.peakBytes),
  ]);
  out.push(...alignColumns(parts, ['l', 'r', 'r']));
  out.push(...budgetLines(report));
  if (report.unknowns.length) {
    out.push('', `unknowns (${report.unknowns.length})`);
    out.push(...report.unknowns.map((u) => `  ${u.file}:${u.line}  ${u.reason}`));
  }
  return out.join('\n');
}

/** The byte totals of a report, labelled as the terminal and HTML reports show them. */
export function byteTotals(t: Report['totals']): [string, string][] {
  return [
    ['parameters', formatBytes(t.paramBytes)],
    ['gradients', formatBytes(t.gradBytes)],
    ['optimizer state', formatBytes(t.optimizerBytes)],
    ['buffers', formatBytes(t.bufferBytes)],
    ['inputs', formatBytes(t.inputBytes)],
    ['saved activations', formatBytes(t.savedActivationBytes)],
  ];
}
