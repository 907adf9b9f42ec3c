// Diagnostics of one analysis for one file: the peak over the budget (on the model class), what the
// engine could not evaluate (unknowns), and a fatal analysis error.

import { Diagnostic, DiagnosticSeverity } from 'vscode-languageserver';
import { Analysis } from '../report/types';
import type { ModuleClass } from './modelClasses';
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

/** The engine's advice without command-line flags (the editor has directives and code actions instead). */
export function forEditor(reason: string): string {
  return reason.replace(/\s*\n\s*/g, ' ').replace(/\s+or pass --[\w-]+/g, '').replace(/\s*\(?(?:pass|use) --[\w-]+[^)]*\)?/g, '');
}

/** The class a person would call the file's model: the first that no other module class of the file mentions. */
export function topClass(classes: readonly ModuleClass[], text: LineIndex): ModuleClass | undefined {
  const bodies = classes.map((c, i) => {
    const end = classes[i + 1]?.line ?? text.lineCount;
    return { name: c.name, body: Array.from({ length: end - c.line }, (_, k) => text.lineText(c.line + k)).join('\n') };
  });
  const used = (name: string) => bodies.some((b) => b.name !== name && new RegExp(`\\b${name}\\b`).test(b.body));
  return classes.find((c) => !used(c.name)) ?? classes[classes.length - 1];
}

export const NO_MODEL_CODE = 'no-model';

export function diagnostics(analysis: Analysis, file: string, text: LineIndex, classes: readonly ModuleClass[] = []): Diagnostic[] {
  const out: Diagnostic[] = [];
  const r = analysis.report;
  if (analysis.error?.code === 'no-model' && !analysis.stale) {
    // A file with no model (a utility module, a data script, a file of layer parts used elsewhere)
    // is not a problem. One whose model cannot be chosen gets one note, with a code action.
    const top = topClass(classes, text);
    if (!top) return out;
    out.push({
      range: text.lineRange(top.line),
      severity: DiagnosticSeverity.Information,
      source: DIAGNOSTIC_SOURCE,
      code: NO_MODEL_CODE,
      message: `Memlens could not choose this file's model (${forEditor(analysis.error.reason).replace(/^no model found: /, '').replace(/\.?\s*Add `# memlens:[^`]*`\.?$/, '')}). Use "Analyze this model…" to name it in a \`# memlens:\` directive.`,
    });
    return out;
  }
  if (analysis.error) {
    const here = sameFile(analysis.error.file, file);
    out.push({
      range: text.lineRange(here ? lineOf(text, analysis.error.line) : 0),
      severity: DiagnosticSeverity.Warning,
      source: DIAGNOSTIC_SOURCE,
      code: 'analysis-failed',
      message: `Memlens could not analyze this file: ${forEditor(analysis.error.reason)}${here ? '' : ` (${analysis.error.file}:${analysis.error.line})`}${analysis.stale ? '; showing the last good result' : ''}`,
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
  // PyTorch's own errors (a shape mismatch caught at a layer) first, as warnings; then what Memlens cannot read.
  const ordered = [...r.unknowns.filter((u) => u.kind === 'error'), ...r.unknowns.filter((u) => u.kind !== 'error')];
  for (const u of ordered) {
    if (!sameFile(u.file, file)) continue;
    const error = u.kind === 'error';
    out.push({
      range: text.lineRange(lineOf(text, u.line)),
      severity: error ? DiagnosticSeverity.Warning : DiagnosticSeverity.Information,
      source: DIAGNOSTIC_SOURCE,
      code: error ? 'pytorch-error' : 'unknown',
      message: error ? `PyTorch would raise here: ${forEditor(u.reason)} (the figures are lower bounds)` : `Memlens cannot evaluate this: ${forEditor(u.reason)}`,
    });
  }
  return out;
}
