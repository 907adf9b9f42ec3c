// What the interpreter needs from its surroundings: the workspace's files and the modelled
// library (torch, the standard library), kept apart so the interpreter stays Python-only.

import type { Tree } from '../python/parser';
import type { Args, InstanceV, Loc, Value } from './values';

/** Reads workspace files for imports: absolute path → text, or undefined when missing. */
export interface ModuleSource {
  readFile(absPath: string): string | undefined;
  /** A parsed tree for a file the caller already parsed (the open document). */
  treeFor?(absPath: string): Tree | undefined;
  /**
   * Folders of the user's Python environment searched for installed packages after the
   * workspace (site-packages, dist-packages, `.pth` entries), in import order.
   */
  readonly libraryPaths?: readonly string[];
}

/** What the torch model library gives the interpreter (kept apart so the core stays Python-only). */
export interface Library {
  /** A modelled module by dotted name (`torch`, `torch.nn`, `math`…), or undefined. */
  module(name: string): Value | undefined;
  builtins: Map<string, Value>;
  /** Binary operator where an operand is a tensor; undefined when neither is. */
  tensorBinary(op: string, a: Value, b: Value, at: Loc): Value | undefined;
  tensorUnary(op: string, a: Value, at: Loc): Value | undefined;
  tensorAttr(t: Value, name: string, at: Loc): Value | undefined;
  tensorSubscript(t: Value, index: Value, at: Loc): Value | undefined;
  /** `t[index] = value` on a tensor: a write into its storage. */
  tensorSetitem(t: Value, index: Value, value: Value, at: Loc): void;
  /** `self.x = value` on an nn.Module instance: registers parameters, buffers and submodules. */
  moduleSetattr(self: InstanceV, name: string, value: Value, at: Loc): boolean;
  moduleGetattr(self: InstanceV, name: string, at: Loc): Value | undefined;
  /** Calls an nn.Module instance (runs forward under hooks). */
  callModule(self: InstanceV, a: Args, at: Loc): Value | undefined;
  /** Called for every new instance before `__init__` runs (nn.Module instances get their registries). */
  onInstantiate(self: InstanceV, at: Loc): void;
  /**
   * A variable stopped referring to `v` (rebound, or its frame returned): tensors it held were
   * alive until now, whatever their last use.
   */
  unbound(v: Value): void;
  /**
   * `obj.attr = v`: an object now refers to `v` (`self.last_hidden = h`); tensors it holds outlive
   * the forward that made them.
   */
  stored(v: Value): void;
  /** The attribute that referred to `v` was rebound: it is held no longer than by variables. */
  unstored(v: Value): void;
  /** The qualified name of the innermost module whose forward is running (null outside forward). */
  runningModule?(): string | null;
  /** Enters/leaves a `with` context manager the library models (no_grad, autocast). */
  enterContext(v: Value, at: Loc): (() => void) | undefined;
}

/** One value the analysis could not compute: where, and why. */
export interface UnknownEntry {
  file: string;
  line: number;
  /** 1-based column, when the place is a piece of syntax. */
  column?: number;
  reason: string;
  /** The qualified name of the innermost module whose forward was running, when one was. */
  module?: string | null;
  /** 'error': PyTorch itself would raise here (a shape mismatch at a layer), not merely a value Memlens cannot read. */
  kind?: 'error';
}
