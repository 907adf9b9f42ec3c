// Diagnostics of one analysis for one file: the peak over the budget (on the model class), what the
// engine could not evaluate (unknowns), and a fatal analysis error.

import { Diagnostic, DiagnosticSeverity } from 'vscode-languageserver';
import { Analysis } from '../report/types';
import { formatBytes } from '../report/units';
import { sameFile } from './costs';
import { LineIndex } from './text';

export const DIAGNOSTIC_SOURCE = 'memlens';

export function overBudgetMessage(peak: number, phase: string, budget: number): string {
  return `Training-step peak ${formatBytes(peak)} (${phase}) exceeds the memory budget ${formatBytes(budget)} by ${formatBytes(peak - budget)}`;
}

function lineOf(text: LineIndex, line1: number): number {
  return Math.max(0, Math.min(text.lineCount - 1, line1 - 1));
}

export function diagnostics(analysis: Analysis, file: string, text: LineIndex): Diagnostic[] {
  const out: Diagnostic[] = [];
  const r = analysis.report;
  if (analysis.error) {
    const here = sameFile(analysis.error.file, file);
    out.push({
      range: text.lineRange(here ? lineOf(text, analysis.error.line) : 0),
      severity: DiagnosticSeverity.Warning,
      source: DIAGNOSTIC_SOURCE,
      code: 'analysis-failed',
      message: `Memlens could not analyze this file: ${analysis.error.reason}${here ? '' : ` (${analysis.error.file}:${analysis.error.line})`}${analysis.stale ? '; showing the last good result' : ''}`,
    });
    return out;
  }
  if (r.budgetBytes !== null && r.totals.peakBytes > r.budgetBytes) {
    const model = analysis.model && sameFile(analysis.model.file, file) ? analysis.model.line : 1;
    out.push({
      range: text.lineRange(lineOf(text, model)),
      severity: DiagnosticSeverity.Warning,
      source: DIAGNOSTIC_SOURCE,
      code: 'peak-over-budget',
      message: overBudgetMessage(r.totals.peakBytes, r.totals.peakPhase, r.budgetBytes),
    });
  }
  for (const u of r.unknowns) {
    if (!sameFile(u.file, file)) continue;
    out.push({
      range: text.lineRange(lineOf(text, u.line)),
      severity: DiagnosticSeverity.Information,
      source: DIAGNOSTIC_SOURCE,
      code: 'unknown',
      message: `Memlens cannot evaluate this: ${u.reason}`,
    });
  }
  return out;
}
