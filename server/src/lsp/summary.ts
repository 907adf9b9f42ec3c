// The status bar's figures for one document: what the code lens says, cut to what fits in the
// status bar (peak, precision, batch), with the rest in its tooltip.

import type { DocumentSummary } from '../protocol';
import { Analysis } from '../report/types';
import { MAX_BATCH_SHOWN, formatBytes, formatMaxBatch } from '../report/units';

/** The summary of an analysis, or null when there is no model to report. */
export function documentSummary(analysis: Analysis | null): DocumentSummary | null {
  // A fatal error leaves an empty report; a model read from a library has no location but a report.
  if (!analysis || (analysis.error && !analysis.stale)) return null;
  const r = analysis.report;
  const s = r.settings;
  const unknowns = r.unknowns.length;
  // As in the code lens: unknowns leave out what they stand for, so the peak is a lower bound.
  const peak = `${unknowns > 0 ? '≥ ' : ''}${formatBytes(r.totals.peakBytes)}`;
  const stale = !!analysis.stale;
  const tooltip = [
    `Memlens: training-step peak ${peak} during ${r.totals.peakPhase}`,
    `precision ${s.precision} · optimizer ${s.optimizer} · batch ${s.batch}`,
    r.budgetBytes === null
      ? 'no memory budget set (memlens.budget)'
      : `budget ${formatBytes(r.budgetBytes)}: ${r.totals.peakBytes > r.budgetBytes ? 'exceeded' : 'fits'}${r.maxBatch !== null ? ` · largest batch that fits ${unknowns > 0 && r.maxBatch <= MAX_BATCH_SHOWN ? '≤ ' : ''}${formatMaxBatch(r.maxBatch)}` : ''}`,
  ];
  if (unknowns > 0) tooltip.push(`${unknowns} unknown${unknowns === 1 ? '' : 's'}: see the file's problems`);
  if (r.unreliable?.length) tooltip.push(`unreliable: ${r.unreliable.join('; ')}`);
  if (stale) tooltip.push('last good result: the current text stops the model from building');
  tooltip.push('Click for the memory report');
  return {
    peakBytes: r.totals.peakBytes,
    peakPhase: r.totals.peakPhase,
    precision: s.precision,
    optimizer: s.optimizer,
    batch: s.batch,
    budgetBytes: r.budgetBytes,
    maxBatch: r.maxBatch,
    unknowns,
    stale,
    text: `${peak} · ${s.precision} · B=${s.batch}${stale ? ' (last good)' : ''}`,
    tooltip: tooltip.join('\n'),
  };
}
