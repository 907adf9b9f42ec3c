// The report of one analysis: the JSON of ../shared/report-contract.md (version 1) plus the
// per-line aggregates that the editor features need. Sizes in bytes, lines 1-based.

import type { Device, DType } from '../../../kernels/src';

export type Precision = 'fp32' | 'amp-fp16' | 'amp-bf16' | 'bf16';
export type OptimizerKind = 'none' | 'sgd' | 'momentum' | 'adam' | 'adamw';
export type Phase = 'forward' | 'backward' | 'optimizer';

export const PRECISIONS: readonly Precision[] = ['fp32', 'amp-fp16', 'amp-bf16', 'bf16'];
export const OPTIMIZERS: readonly OptimizerKind[] = ['none', 'sgd', 'momentum', 'adam', 'adamw'];
export const DEVICES: readonly Device[] = ['cuda', 'cpu', 'mps'];

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

export interface InputReport {
  /** `x`; inside a tuple, list or dict argument: `hidden[0]`, `batch['input_ids']`. */
  name: string;
  dtype: DType;
  shape: number[];
  guessed: boolean;
  // Extensions of the contract, present only when they apply:
  /** The forward argument a tensor inside a tuple, list or dict belongs to (`hidden`). */
  argument?: string;
  /** Its place in that argument: tuple and list positions, dict keys (`[0]`, `['input_ids']`). */
  index?: (number | string)[];
  /** True when the argument is passed by keyword (`labels=…`, `**batch`). */
  keyword?: boolean;
}

/** An optional forward argument that a training step passes and this analysis leaves out. */
export interface OmittedArgumentReport {
  /** The parameter of forward (`targets`, `labels`, `attention_mask`). */
  name: string;
  /** What leaving it out leaves out of the numbers: `loss not included`. */
  note: string;
}

export interface Composition {
  params: number;
  grads: number;
  optimizer: number;
  activations: number;
  temporaries: number;
}

export interface Totals {
  params: number;
  trainableParams: number;
  paramBytes: number;
  gradBytes: number;
  optimizerBytes: number;
  bufferBytes: number;
  inputBytes: number;
  savedActivationBytes: number;
  peakBytes: number;
  peakPhase: Phase;
  peakComposition: Composition;
}

export interface MeasuredLayer {
  outputBytes: number;
  peakBytes: number;
  ms: number;
}

export interface LayerReport {
  /** Its parameters are another module's (tied weights: `lm_head.weight is wte.weight`): that module's path. */
  sharedWith?: string;
  path: string;
  kind: string;
  file: string;
  line: number;
  callLine: number | null;
  params: number;
  outputShape: number[] | null;
  outputBytes: number;
  savedBytes: number;
  /**
   * Its bytes alive at the training-step peak: parameters, the gradients and optimizer state that
   * exist then, and its saved activations not yet freed by backward (its share of the peak).
   */
  atPeakBytes: number;
  measured: MeasuredLayer | null;
  // Extensions of the contract (allowed: "extend it freely").
  /** False for a container module row that holds saved bytes of functional ops run directly in it. */
  leaf: boolean;
  /** How many times forward called this module. */
  calls: number;
  /** 1-based columns of where it is built (`line`) and first called (`callLine`), when known. */
  column?: number;
  callColumn?: number;
  paramBytes: number;
  gradBytes: number;
  optimizerBytes: number;
  /** Unknowns met while this layer (or a layer inside it) ran: its figures are then lower bounds. */
  unknowns: number;
}

export interface UnknownReport {
  file: string;
  line: number;
  reason: string;
  /** The layer (qualified module name) whose forward was running when it was met, if any ("" for the model itself). */
  module?: string;
  /** 'error': PyTorch would raise there (a shape mismatch caught at a layer); the model as written does not run. */
  kind?: 'error';
  /** 1-based column of what could not be evaluated, when known. */
  column?: number;
}

/** Why an analysis produced no report; `code` 'no-model' when the file builds and names no model. */
export interface AnalysisFailure extends UnknownReport {
  code?: 'no-model';
}

export interface TimelinePoint {
  i: number;
  phase: Phase;
  op: string;
  line: number | null;
  bytes: Composition;
  // Extensions of the contract, present only when they apply:
  /** The op re-ran in backward to rebuild a checkpointed region's saved tensors. */
  recompute?: true;
  /** With gradient accumulation: 1 for the first microbatch, 2 for each later one (all alike). */
  microbatch?: number;
}

export interface ReportSettings {
  precision: Precision;
  optimizer: OptimizerKind;
  device: Device;
  torch: string;
  checkpoint: string[];
  batch: number;
  // Extensions of the contract:
  /** Microbatches per optimizer step (gradient accumulation); absent when 1. */
  microbatch?: number;
}

/** The JSON printed by `memlens report --json` (report-contract.md, version 1). */
export interface Report {
  version: 1;
  file: string;
  entry: string;
  entryGuessed: boolean;
  inputs: InputReport[];
  /**
   * Optional forward arguments a training step passes (targets, labels, `y`, a mask) that neither
   * the script nor the input settings give: the numbers leave out what they would cost.
   */
  omittedArguments: OmittedArgumentReport[];
  settings: ReportSettings;
  totals: Totals;
  layers: LayerReport[];
  unknowns: UnknownReport[];
  /**
   * Unknowns that cannot reach the numbers (imported files' module-level code: version checks,
   * optional dependencies, registries), counted and shown nowhere else.
   */
  unknownsOutsideModel: number;
  timeline: TimelinePoint[];
  /** Largest batch whose peak fits `budgetBytes`, when inputs have a batch dimension and a budget is set. */
  maxBatch: number | null;
  budgetBytes: number | null;
  /**
   * Why the figures, though computed, may not be what the user means (mid-edit text that still
   * builds): a tensor with a zero-size dimension, an empty layer container, a shape error PyTorch
   * would raise. Absent when there is none.
   */
  unreliable?: string[];
  /** Settings that could not be applied as given (a checkpoint plan item matching no module call). */
  warnings?: string[];
  /**
   * With a budget (and fixes asked for): the largest batch under the lowest-peak checkpointing, and
   * the plan with the least recompute that fits (engine/fit.ts), described.
   */
  budgetPlan?: { fits: boolean; plan: string | null; peakBytes: number | null; maxBatch: number | null; tried: string[] };
}

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
}
