// The report of one analysis as it crosses process boundaries: the JSON of
// ../shared/report-contract.md (version 1, with its extensions). Types only: the server, the
// client and the webview import them with `import type`; nothing here runs.

import type { Device, DType } from '../kernels/src/types';

export type { Device, DType };

export type Precision = 'fp32' | 'amp-fp16' | 'amp-bf16' | 'bf16';
export type OptimizerKind = 'none' | 'sgd' | 'momentum' | 'adam' | 'adamw';
export type Phase = 'forward' | 'backward' | 'optimizer';

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
  /**
   * Bytes of tensors a checkpointed region's recompute rebuilt that are alive here, by the
   * category they are counted in (part of `bytes.activations` and `bytes.temporaries`).
   */
  recomputedBytes?: { activations: number; temporaries: number };
  /** The op's file when it is not the report's (a layer defined in an imported file). */
  file?: string;
  /** The innermost module whose forward ran the op ("" the model itself); absent for the loss seed and the optimizer. */
  module?: string;
}

/** A tensor alive at the training-step peak (the report's `peakTensors`, largest first). */
export interface PeakTensor {
  bytes: number;
  category: keyof Composition;
  /** What it is: `conv2d output`, `layer1.0.conv1.weight`, `gradient of linear`. */
  what: string;
  shape: number[] | null;
  dtype: DType | null;
  /** The module whose forward made it, or that owns the parameter ("" the model itself). */
  module: string | null;
  /** Where it was made (the op's line), when known; `file` is absent when it is the report's. */
  line: number | null;
  file?: string;
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
  /** The largest tensors alive at the peak, largest first (at most 12). */
  peakTensors?: PeakTensor[];
  /** `memlens profile`: where ONNX Runtime ran the lowered forward, and what differed from the estimate. */
  profile?: {
    ep: string;
    providers: string[];
    onnxruntime: string;
    notes: string[];
    nodes: number;
    /** Layers whose measured output bytes differ from the estimate. */
    mismatches: string[];
    /** ONNX Runtime's arena peak over the forward, the estimate's forward peak of what an arena holds, and the comparison in words. */
    measuredPeakBytes: number;
    estimatedPeakBytes: number;
    comparison: string;
    /** The measured forward on the timeline's x axis (the view draws it over the estimate). */
    measured: { source: string; points: { x: number; bytes: number; op?: string; line?: number | null }[]; phases: { phase: Phase; start: number; end: number }[] } | null;
  };
}
