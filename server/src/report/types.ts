// The report of one analysis: the JSON of ../shared/report-contract.md (version 1) plus the
// per-line aggregates that the editor features need. Sizes in bytes, lines 1-based.

import type { Device } from '../../../kernels/src';
import type { AnalysisFailure, OptimizerKind, Precision, Report } from '../../../protocol/report';

// The wire types are declared once, in protocol/report.ts (the client and the webview read them too).
export type {
  AnalysisFailure,
  Composition,
  InputReport,
  LayerReport,
  MeasuredLayer,
  OmittedArgumentReport,
  OptimizerKind,
  PeakTensor,
  Phase,
  Precision,
  Report,
  ReportSettings,
  Totals,
  TimelinePoint,
  UnknownReport,
} from '../../../protocol/report';

export { DEVICES, OPTIMIZERS, PRECISIONS } from '../../../common/settings';

/** What an analysis runs with; each field has a CLI flag and (most) a `memlens.*` setting. */
export interface AnalysisSettings {
  /** Python expression that builds the model; null: directive, the script's model (engine/discover.ts), or a guess. */
  readonly entry: string | null;
  /** Input specs (engine/specs.ts: `x:float32[B,3,224,224]`, tuples, dicts, `NAME=` keywords), one per forward argument; empty: directive, the script's call, guess. */
  readonly inputs: readonly string[];
  /**
   * How the model is called, as a Python call of `model` on the inputs by their names
   * (`model(input_ids=x, labels=x)`); null: the directive's `call=`, else `model(*inputs)`.
   */
  readonly call?: string | null;
  /** Binds the symbolic batch dimension `B`; null: the directive's `batch=`, else the script's batch, else 1. */
  readonly batch: number | null;
  readonly precision: Precision;
  readonly optimizer: OptimizerKind;
  readonly device: Device;
  /** torch release, e.g. "2.5"; selects version-dependent behaviour. */
  readonly torch: string;
  /** Bytes available on the device, or null for no budget. */
  readonly budgetBytes: number | null;
  /** A checkpoint plan (engine/checkpointPlan.ts: `layer3`, `blocks.*`, `features/4`, `class:Block`, `:selective`); empty: the directive's. */
  readonly checkpoint?: readonly string[];
  /** Gradient accumulation over this many microbatches of the batch; null/absent: the directive's, else 1. */
  readonly microbatch?: number | null;
  /** No checkpoint plan at all, not even the directive's (the timeline view's checkpoint switch off). */
  readonly noPlan?: boolean;
}

export const DEFAULT_TORCH = '2.14';

export const DEFAULT_SETTINGS: AnalysisSettings = {
  entry: null,
  inputs: [],
  batch: null,
  precision: 'fp32',
  optimizer: 'adam',
  device: 'cuda',
  torch: DEFAULT_TORCH,
  budgetBytes: null,
  checkpoint: [],
  microbatch: null,
};


/** Costs gathered on one source line of the analyzed file, for inlay hints and hovers. */
export interface LineCost {
  file: string;
  line: number;
  /** 'construct': the line builds layers; 'call': forward calls layers or ops on it. */
  role: 'construct' | 'call';
  /** Module paths constructed or called on this line (leaf modules, execution order). */
  modules: string[];
  /** Number of module instances (construct) or calls (call) on this line. */
  count: number;
  /**
   * How many times the line runs in one training step (a line of a block built 12 times, a call
   * in a loop): the figures are totals over them; per run they are divided by this.
   */
  repeats: number;
  /** Saved for backward by everything the line runs (a composite module's whole subtree). */
  savedBytes: number;
  paramBytes: number;
  gradBytes: number;
  optimizerBytes: number;
  outputShape: number[] | null;
  /** Modules whose parameters are owned by another module (tied weights): `lm_head` → `transformer.wte`. */
  sharedWith?: string[];
}

/** Where the entry model's class is defined, for the code lens. */
export interface ModelLocation {
  file: string;
  className: string;
  line: number;
}

/** A replacement in the analyzed file's text; positions 0-based, characters in UTF-16 units. */
export interface SourceEdit {
  startLine: number;
  startCharacter: number;
  endLine: number;
  endCharacter: number;
  newText: string;
}

/**
 * A change of the code that lowers the training-step peak (engine/fixes.ts), simulated: what the
 * analysis of the edited text will show. Offered as a code action on `line`.
 */
export interface FixSuggestion {
  kind: 'checkpoint' | 'checkpoint-sequential' | 'checkpoint-class' | 'autocast' | 'inplace' | 'plan';
  title: string;
  /** 0-based line the action belongs to: the call, the class, `def forward`. */
  line: number;
  /** The simulated training-step peak with the fix, and what it saves against the code as it is. */
  peakBytes: number;
  savedBytes: number;
  /** FLOPs the backward recomputes, as a fraction of the forward's. */
  recompute: number;
  /** Microbatches a plan runs the batch as (its directive's `microbatch=`), when more than 1. */
  microbatches?: number;
  edits: SourceEdit[];
}

/** "Fit the budget": the plan with the least recompute whose simulated peak fits (engine/planner.ts). */
export interface BudgetPlan {
  budgetBytes: number;
  /** Whether any plan fits; when not, `fix` is the lowest peak found. */
  fits: boolean;
  fix: FixSuggestion | null;
  /** Largest batch that fits the budget under the plan's checkpointing and precision (no microbatching). */
  maxBatch: number | null;
  /** What was tried, one line each (for the note and the CLI). */
  tried: string[];
}

/** Everything one analysis produced. */
export interface Analysis {
  report: Report;
  lines: LineCost[];
  model: ModelLocation | null;
  /** A fatal problem (no model found, syntax error at the entry…): the report is then empty. */
  error: AnalysisFailure | null;
  /** Milliseconds the analysis took. */
  ms: number;
  /** True when `error` stops the current text and the numbers are the last good analysis's. */
  stale?: boolean;
  /** The document version analyzed (set by the language server): fixes' edits apply to that text only. */
  version?: number;
  /** Code changes that lower the peak, simulated (when asked for: the language server's analyses). */
  fixes?: FixSuggestion[];
  /** The budget plan, when a budget is set and fixes were asked for. */
  plan?: BudgetPlan;
  /** The checkpoint plan simulated (the settings', else the directive's), as plan items. */
  planInForce?: string[];
  /** The block class the model repeats most (the timeline view's "checkpoint every block"), when there is one. */
  blockClass?: string | null;
}
