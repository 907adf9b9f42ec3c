// torch.nn layers as kernel rules: what a constructor registers (parameters, buffers, child
// modules, attributes) and what forward runs. The interpreter keeps the module bookkeeping
// (registration order, qualified names, calls of child modules); rules see plain values.
import type { KernelArgs } from './args';
import type { DType, Graph, KResult, Tensor } from './types';

/**
 * A child module a layer constructs: another layer by class name (a ChildSpec among its
 * arguments is built first), a module it was given (None: registered as None; not a module: an
 * attribute), or a ModuleList of `count` deep copies of a given module (`_get_clones`).
 */
export type ChildSpec =
  | { readonly layer: string; readonly args: readonly unknown[]; readonly kwargs?: Readonly<Record<string, unknown>> }
  | { readonly given: unknown }
  | { readonly clones: unknown; readonly count: number };

/** What a layer's constructor registers, in registration order (named_parameters() order follows it). */
export interface LayerState {
  /** Parameters; a null shape registers the name as None (`bias=False`). */
  readonly params?: readonly (readonly [string, readonly number[] | null])[];
  /** Buffers with their dtype; a null shape registers None. */
  readonly buffers?: readonly (readonly [string, readonly number[] | null, DType])[];
  /** Attributes set besides the constructor's arguments (`kernel_size` as a tuple, `head_dim`). */
  readonly attrs?: readonly (readonly [string, unknown])[];
  readonly children?: readonly (readonly [string, ChildSpec])[];
}

/** One call of a layer's forward. */
export interface LayerForward {
  /** Constructor arguments (bound by the catalog's signature), as the instance holds them now. */
  readonly cfg: KernelArgs;
  readonly training: boolean;
  readonly args: readonly unknown[];
  readonly kwargs: Readonly<Record<string, unknown>>;
  param(name: string): Tensor | null;
  buffer(name: string): Tensor | null;
  /** Runs a registered child module, by name or dotted path (`layers.0`); the interpreter records the call under its name. */
  callChild(name: string, args: readonly unknown[], kwargs?: Readonly<Record<string, unknown>>): KResult;
  childParam(child: string, name: string): Tensor | null;
  /** Calls a callable the layer holds (an `activation=` module or function). */
  callValue(fn: unknown, args: readonly unknown[]): KResult;
  /**
   * Registers parameters, buffers and attributes now (a lazy module's first forward materializes
   * what its constructor left uninitialized); `param`/`buffer` see them at once.
   */
  initialize(state: LayerState): void;
}

export interface LayerRule {
  /** The constructor's registrations; throws (KernelError or Error) on arguments torch rejects. */
  build(cfg: KernelArgs): LayerState;
  forward(g: Graph, c: LayerForward): KResult;
  /** Attributes a `copy.deepcopy` leaves different from the original (torch `__setstate__` quirks). */
  deepcopied?(cfg: KernelArgs, isModule: (v: unknown) => boolean): readonly (readonly [string, unknown])[];
}
