// The code lens on the model class: the training-step peak at the current settings and the
// largest batch that fits the budget.

import { CodeLens } from 'vscode-languageserver';
import { FIT_BUDGET_COMMAND, PROFILE_COMMAND, SHOW_REPORT_COMMAND, SHOW_TIMELINE_COMMAND } from '../protocol';
import { formatInput, formatOmitted } from '../report/table';
import { Analysis } from '../report/types';
import { MAX_BATCH_SHOWN, formatBytes, formatMaxBatch } from '../report/units';
import { sameFile } from './costs';
import { LineIndex } from './text';

export function lensTitle(analysis: Analysis): string {
  const r = analysis.report;
  const s = r.settings;
  // Unknowns that reach the numbers (an op or value the engine could not evaluate) leave out what
  // they stand for: the figures are lower bounds.
  const n = r.unknowns.length;
  const bound = n > 0 ? '≥ ' : '';
  const parts = [`Peak ${bound}${formatBytes(r.totals.peakBytes)} (${r.totals.peakPhase})`, `batch ${s.batch}`, s.precision, s.optimizer];
  if (r.maxBatch !== null && r.budgetBytes !== null) {
    const planned = analysis.plan?.maxBatch;
    const withPlan = planned !== undefined && planned !== null && planned > r.maxBatch ? ` (${n > 0 && planned <= MAX_BATCH_SHOWN ? '≤ ' : ''}${formatMaxBatch(planned)} with checkpointing)` : '';
    parts.push(`max batch ${n > 0 && r.maxBatch <= MAX_BATCH_SHOWN ? '≤ ' : ''}${formatMaxBatch(r.maxBatch)}${withPlan} fits ${formatBytes(r.budgetBytes)}`);
  }
  if (n > 0) parts.push(`${n} unknown${n === 1 ? '' : 's'}`);
  let title = parts.join(' · ');
  const guessed = r.inputs.filter((i) => i.guessed);
  if (r.entryGuessed) title += ` (guessed entry ${r.entry})`;
  if (guessed.length) title += ` (guessed input ${guessed.map(formatInput).map((t) => t.replace(' (guessed)', '')).join(', ')})`;
  for (const o of r.omittedArguments) title += ` (${formatOmitted(o)})`;
  if (r.unreliable?.length) title += ` (unreliable: ${r.unreliable[0]})`;
  if (analysis.stale) title += ' (last good result)';
  return title;
}

/**
 * The lens on the model: the peak and largest batch (the report on click), "Show timeline" (the
 * timeline view beside the editor); over the budget, "Fit
 * the budget" with what the plan reaches, when the analysis is of the text as it is (`current`).
 */
export function codeLenses(analysis: Analysis, file: string, text: LineIndex, uri: string, current = false): CodeLens[] {
  const model = analysis.model;
  if (!model || (analysis.error && !analysis.stale) || !sameFile(model.file, file) || model.line < 1 || model.line > text.lineCount) return [];
  const range = text.lineRange(model.line - 1);
  const lenses: CodeLens[] = [
    { range, command: { title: lensTitle(analysis), command: SHOW_REPORT_COMMAND, arguments: [uri] } },
    { range, command: { title: 'Show timeline', command: SHOW_TIMELINE_COMMAND, arguments: [uri] } },
    { range, command: { title: 'Profile', command: PROFILE_COMMAND, arguments: [uri] } },
  ];
  const plan = analysis.plan;
  if (current && plan?.fix && !analysis.stale) {
    const title = plan.fits ? `Fit the budget: peak ${formatBytes(plan.fix.peakBytes)}` : `Closest to the budget: peak ${formatBytes(plan.fix.peakBytes)}`;
    lenses.push({ range, command: { title, command: FIT_BUDGET_COMMAND, arguments: [uri] } });
  }
  return lenses;
}
