// Every message between the extension (client), the language server and the timeline webview,
// declared once. Types only: each side imports them with `import type` and spells a method name
// as a string literal, which the maps below check (`request('memlens/timeline', …)` only compiles
// with that request's params). Nothing here runs, so no side imports another's code.

import type { Composition, Device, OptimizerKind, Phase, Precision, Report } from './report';

// ---- language server ⇄ client (LSP custom messages) --------------------------------------------

/** `memlens/report`: the Report of the last analysis of an open document at the current settings. */
export interface ReportParams {
  uri: string;
  /** Also the plain-text table of the report (the "Show report" output channel). */
  text?: boolean;
}

/** null when the document is not open or the analysis failed (the failure is in its diagnostics). */
export type ReportResult = (Report & { text?: string }) | null;

/**
 * `memlens/timeline`: what the timeline view draws for a document — its current analysis, or
 * with `whatIf` the same text analyzed at other settings (the user's settings untouched).
 */
export interface TimelineParams {
  uri: string;
  whatIf?: WhatIf | null;
}

export type TimelineResult = TimelineData | null;

/**
 * `memlens/profile`: runs the document's forward for real in ONNX Runtime (a child process with a
 * time limit and a memory cap; trusted workspaces only) and keeps the measurements for its hovers,
 * its report and the timeline view. The server reports work-done progress (cancellable) when the
 * client supports it.
 */
export interface ProfileParams {
  uri: string;
  /** auto | cuda | webgpu | dml | coreml | cpu (memlens.profiler.executionProvider). */
  ep?: string;
}

export interface ProfileResult {
  ok: boolean;
  /** One line for the user: what ran where and how the measurement compares, or the finding. */
  message: string;
  /** oom | timeout | crash | error | untrusted | lowering | no-analysis, when not ok. */
  kind?: string;
  /** The execution providers that ran nodes (`CPUExecutionProvider`). */
  providers?: string[];
  /** Layers compared, and those whose measured output bytes differ from the estimate. */
  compared?: number;
  mismatches?: string[];
}

/**
 * `memlens/onnx`: an `.onnx` file's per-node memory report (its graph read without running it),
 * and with `profile` one profiled inference in ONNX Runtime (trusted workspaces only).
 */
export interface OnnxParams {
  /** The file's path on disk. */
  file: string;
  profile?: boolean;
  ep?: string;
}

export interface OnnxResult {
  ok: boolean;
  /** The report as text (the CLI's table), or the one-line reason it could not be read or run. */
  text: string;
  /** Forward peak and node count, for a title. */
  peakBytes?: number;
  nodes?: number;
}

/** The client's environment (initialization options and this notification). */
export interface EnvironmentParams {
  /** The Python extension's active interpreter, or null when there is none / no extension. */
  pythonPath?: string | null;
  trusted?: boolean;
  /** The onnxruntime-node package the profiler loads instead of the bundled one (the CUDA-capable copy "Install the CUDA Provider" made); null: the bundled one. */
  onnxRuntime?: string | null;
}

/** Sent by the server after each analysis it publishes diagnostics for. */
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

/** Requests the client sends the server: method → params and result. */
export interface ServerRequests {
  'memlens/report': { params: ReportParams; result: ReportResult };
  'memlens/timeline': { params: TimelineParams; result: TimelineResult };
  'memlens/profile': { params: ProfileParams; result: ProfileResult };
  'memlens/onnx': { params: OnnxParams; result: OnnxResult };
}

/** Notifications the client sends the server. */
export interface ServerNotifications {
  'memlens/environment': EnvironmentParams;
}

/** Notifications the server sends the client. */
export interface ClientNotifications {
  'memlens/summary': SummaryParams;
}

/**
 * Commands: those the server runs (workspace/executeCommand) and those the client registers,
 * some of which the server's code lenses carry.
 */
export interface Commands {
  /** Server: applies the budget plan of a document, [uri]. */
  'memlens.fitBudget': [uri: string];
  /** Client (palette): "Fit the budget" on the active editor. */
  'memlens.fitBudgetForEditor': [];
  /** Client: the text report in an output channel, [uri?]. */
  'memlens.showReport': [uri?: string];
  /** Client: opens the timeline view beside the editor, [uri?]. */
  'memlens.showTimeline': [uri?: string];
  /** Client: a profiling pass of the document in ONNX Runtime (trusted workspaces), [uri?]. */
  'memlens.profile': [uri?: string];
  /** Client: downloads the CUDA provider libraries (Linux x64), with consent. */
  'memlens.installCudaProvider': [];
}

export type CommandId = keyof Commands;

// ---- the timeline view's data ------------------------------------------------------------------

/**
 * Settings the view's what-if controls change for its own analyses. Absent fields keep the
 * settings in force; `checkpoint` false drops the checkpoint plan of the settings (the code's own
 * checkpoint calls stay), true applies `checkpointPlan` of the controls.
 */
export interface WhatIf {
  batch?: number;
  precision?: Precision;
  optimizer?: OptimizerKind;
  device?: Device;
  checkpoint?: boolean;
  microbatch?: number;
}

/** What the what-if controls offer for this document. */
export interface WhatIfControls {
  /** The batch the analysis bound (the controls' starting value). */
  batch: number;
  /** The plan the checkpoint switch applies (the settings', else the budget plan's), as plan items; empty: none to apply. */
  checkpointPlan: string[];
  /** Whether the checkpoint plan is in force in the data shown. */
  checkpointOn: boolean;
  microbatch: number;
}

/** A series measured by a profiler, drawn over the estimate (the profiling issue fills it). */
export interface MeasuredSeries {
  /** What measured it: `onnxruntime 1.30 cpu`. */
  source: string;
  /** Live bytes after each measured event, placed on the estimate's x axis (timeline index). */
  points: { x: number; bytes: number; op?: string; line?: number | null }[];
  /** The measured run's own phase marks (a forward-only profile has just one). */
  phases: { phase: Phase; start: number; end: number }[];
}

/** One analysis as the timeline view draws it. */
export interface TimelineData {
  /** The document (null on the standalone page). */
  uri: string | null;
  /** The document version analyzed (null on the standalone page). */
  version: number | null;
  report: Report;
  /** The model class and where it is defined, when known. */
  model: { className: string; line: number } | null;
  /** Unknowns reach the numbers: every figure is a lower bound. */
  bound: boolean;
  /** The current text does not build: these are the last good analysis's numbers. */
  stale: boolean;
  /** Why the view shows no numbers (no model, a fatal error), with where. */
  error: { reason: string; file: string; line: number } | null;
  /** The overrides this analysis ran with; null: the settings in force. */
  whatIf: WhatIf | null;
  /** null: the controls are off (the standalone page). */
  controls: WhatIfControls | null;
  /** Milliseconds the analysis took. */
  ms: number;
  measured?: MeasuredSeries | null;
}

// ---- webview ⇄ extension -----------------------------------------------------------------------

/** Messages the webview posts to the extension. */
export type FromWebview =
  | { type: 'ready' }
  /** Reveal a source line (1-based) in the editor; `file` absent: the view's document. */
  | { type: 'reveal'; file?: string; line: number }
  /**
   * Recompute at these overrides (null: back to the settings in force) for the document `uri` the
   * view shows (a message for another document is ignored); answered by `data` with the same `seq`.
   */
  | { type: 'whatIf'; uri: string | null; whatIf: WhatIf | null; seq: number }
  /** Write the overrides into the user's memlens.* settings (workspace) for the document `uri`. */
  | { type: 'applySettings'; uri: string | null; whatIf: WhatIf };

/** Messages the extension posts to the webview. */
/**
 * `seq`: the what-if request the message answers or follows (every message after a what-if carries
 * its seq, so a refresh that replaces the answer also ends the wait for it).
 */
export type ToWebview =
  | { type: 'data'; data: TimelineData; seq?: number }
  /** Nothing to show: no Python editor, or the document has no analysis yet. */
  | { type: 'empty'; message: string }
  | { type: 'busy'; busy: boolean }
  | { type: 'error'; message: string; seq?: number };

/** What the webview persists (vscode.setState) and the serializer restores on reload. */
export interface WebviewState {
  uri: string | null;
  whatIf: WhatIf | null;
  /** Layer table: sort column and direction, filter text, selected layer path. */
  sort?: { key: string; descending: boolean };
  filter?: string;
  selected?: string | null;
}

/** The categories stacked in the chart, bottom up. */
export type Category = keyof Composition;
