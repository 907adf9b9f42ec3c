// Custom messages between the extension (client) and the language server, declared once.
// Plain method names and payload types, so the client and the server can bind them with their own
// copies of vscode-jsonrpc.

import type { OptimizerKind, Phase, Precision, Report } from './report/types';

/**
 * Sent by the client (the "Show report" command, later the timeline webview): the Report of the
 * last analysis of an open document at the current settings; null when the document is not open
 * or the analysis failed (the failure is in the document's diagnostics).
 */
export const REPORT_REQUEST = 'memlens/report';

export interface ReportParams {
  uri: string;
}

export type ReportResult = Report | null;

/** The command a code lens carries; the client handles it (the server only names it). */
export const SHOW_REPORT_COMMAND = 'memlens.showReport';

/**
 * The server's command (workspace/executeCommand) that applies the budget plan of a document:
 * arguments [uri]. The client's palette command (FIT_BUDGET_EDITOR_COMMAND) runs it on the active
 * editor; the "Fit the budget" code lens and code action run it too.
 */
export const FIT_BUDGET_COMMAND = 'memlens.fitBudget';
export const FIT_BUDGET_EDITOR_COMMAND = 'memlens.fitBudgetForEditor';

/**
 * Sent by the client (initialization options and this notification): the Python interpreter the
 * user chose in VS Code's Python extension (its environments API), and whether the workspace is
 * trusted. The server reads installed libraries from that environment (engine/pythonEnv.ts); it
 * asks the interpreter for `sys.path` only when the workspace is trusted.
 */
export const ENVIRONMENT_NOTIFICATION = 'memlens/environment';

export interface EnvironmentParams {
  /** The Python extension's active interpreter, or null when there is none / no extension. */
  pythonPath?: string | null;
  trusted?: boolean;
}

/**
 * Sent by the server after each analysis it publishes diagnostics for: the figures the client's
 * status bar item shows for that document (peak, precision, batch; phase, optimizer, budget and
 * largest batch in its tooltip). `summary` is null when the file has no model to report (no model
 * found, a fatal error, an installed library's file): the item is then hidden.
 */
export const SUMMARY_NOTIFICATION = 'memlens/summary';

export interface SummaryParams {
  uri: string;
  /** The document version analyzed. */
  version: number;
  summary: DocumentSummary | null;
}

export interface DocumentSummary {
  peakBytes: number;
  peakPhase: Phase;
  precision: Precision;
  optimizer: OptimizerKind;
  batch: number;
  budgetBytes: number | null;
  maxBatch: number | null;
  /** Unknowns that reach the numbers: the peak is a lower bound (and max batch an upper one). */
  unknowns: number;
  /** The numbers are the last good analysis's (the current text stops the model from building). */
  stale: boolean;
  /** The status bar text without its icon: `1.21 GiB · fp32 · B=8`, `≥ 1.21 GiB · …` with unknowns. */
  text: string;
  /** One line per figure: phase, optimizer, budget, largest batch, unknowns. */
  tooltip: string;
}
