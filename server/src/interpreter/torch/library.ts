import { Catalog, DType, PythonEntry, Tensor, atenRow, catalogFor, existsIn } from '../../../../kernels/src';
import type { Library, Interpreter } from '../interpreter';
import { Tracer } from '../tracer';
import {
  Args, ClassV, InstanceV, Loc, ModuleV, NONE, Value, builtin, builtinMethodOf, classAttr, mro, nativeOf, unknown,
} from '../values';
import { ScriptData, dataModules } from './data';
import { checkpointModules } from './checkpoint';
import { einopsModules } from './einops';
import { visionModules } from './vision';
import { catalogNamespaces } from './namespaces';
import { MODULE_CLASS, cloneModule, makeModuleState, moduleGetattr, moduleSetattr, nnClasses } from './nn';
import { runRule } from './ops';
import { optimModules } from './optim';
import { runtimeNames } from './runtime';
import { pythonBuiltins } from '../stdlib/builtins';
import { pythonModules } from '../stdlib/standardModules';
import { scriptModules } from '../stdlib/scriptModules';
import { tensorAttr, tensorBinary, tensorSetitem, tensorSubscript, tensorUnary } from './tensor';

/** One call of an nn.Module during forward. */
export interface ModuleCall {
  readonly module: InstanceV;
  readonly path: string;
  /** The user-code line of the call (`self.conv1(x)`), or of the container call that ran it. */
  readonly line: Loc;
  readonly firstOp: number;
  lastOp: number;
  output: Value;
  /** The module whose forward made the call ("" for the root's, null outside any forward). */
  readonly caller: string | null;
}

export interface LibrarySettings {
  /** dtype of parameters and of float tensors created by the model (bf16 for pure bf16). */
  readonly paramDtype: DType;
}

/**
 * The modelled torch of one release (and the bits of the standard library model files use):
 * namespaces built from that release's catalog, ops run by the op table (kernels/src/table.ts).
 */
/** The catalogued names each release has, by release (`2.14`). */
const releaseEntries = new Map<string, [string, PythonEntry][]>();

export class TorchLibrary implements Library {
  interp!: Interpreter;
  readonly builtins: Map<string, Value>;
  private readonly libModules: Map<string, Value>;
  readonly catalog: Catalog;
  /** torch.nn classes torch.nn does not export but layers build (MultiheadAttention's `out_proj`). */
  readonly internalClasses = new Map<string, ClassV>();
  /** Qualified names of module instances, assigned once the root model is known. */
  readonly paths = new Map<InstanceV, string>();
  readonly calls: ModuleCall[] = [];
  /** The DataLoaders a script made (their batches are its model's inputs). */
  readonly data = new ScriptData(this);

  constructor(readonly tracer: Tracer, readonly settings: LibrarySettings) {
    this.catalog = catalogFor(tracer.ctx.torch);
    this.builtins = pythonBuiltins(this);
    this.libModules = new Map([...pythonModules(this), ...scriptModules(this), ...this.torchModules(), ...einopsModules(this), ...Object.entries(visionModules(this))]);
    this.addRegistrationApis();
  }

  /** The catalogued entry of `name` in the selected release, if it exists there. */
  entry(name: string): PythonEntry | undefined {
    const e = Object.prototype.hasOwnProperty.call(this.catalog.python, name) ? this.catalog.python[name] : undefined;
    return e && existsIn(name, this.tracer.ctx.torch) ? e : undefined;
  }

  /** Every catalogued name of the selected release (the list made once per release). */
  entries(): readonly [string, PythonEntry][] {
    const release = this.tracer.ctx.torch;
    const key = `${release[0]}.${release[1]}`;
    let list = releaseEntries.get(key);
    if (!list) releaseEntries.set(key, (list = Object.entries(this.catalog.python).filter(([name]) => existsIn(name, release))));
    return list;
  }

  private torchModules(): Map<string, Value> {
    const spaces = catalogNamespaces(this);
    const runtime = runtimeNames(this);
    const F = this.ns('torch.nn.functional', Object.fromEntries(spaces.get('torch.nn.functional')!));
    const nnEntries = Object.fromEntries(nnClasses(this));
    const init = runtime.modules['torch.nn.init'];
    const nn = this.ns('torch.nn', { ...nnEntries, functional: F, init });
    nn.attrs.set('modules', this.ns('torch.nn.modules', nnEntries));
    const sub = (name: string) => this.ns(name, Object.fromEntries(spaces.get(name)!));
    const [linalg, special, fft] = [sub('torch.linalg'), sub('torch.special'), sub('torch.fft')];
    const data = dataModules(this);
    (data['torch.utils'] as ModuleV).attrs.set('_pytree', runtime.modules['torch.utils._pytree']);
    const ckpt = checkpointModules(this);
    (data['torch.utils'] as ModuleV).attrs.set('checkpoint', ckpt['torch.utils.checkpoint']);
    const optim = optimModules(this);
    const torch = this.ns('torch', { ...Object.fromEntries(spaces.get('torch')!), ...runtime.torch, nn, linalg, special, fft, utils: data['torch.utils'], optim: optim['torch.optim'], ops: ckpt['torch.ops'] });
    for (const [name, mod] of Object.entries(runtime.modules)) if (name.split('.').length === 2) torch.attrs.set(name.split('.')[1], mod);
    return new Map<string, Value>([
      ['torch', torch], ['torch.nn', nn], ['torch.nn.functional', F], ['torch.nn.modules', nn.attrs.get('modules')!],
      ['torch.linalg', linalg], ['torch.special', special], ['torch.fft', fft],
      ...Object.entries(runtime.modules), ...Object.entries(data), ...Object.entries(optim), ...Object.entries(ckpt),
    ]);
  }

  /**
   * torch APIs that only register or log (API-usage logging, FX tracing leaves, ONNX export
   * symbolics): library code calls them at import time; they change nothing a training step holds.
   */
  private addRegistrationApis(): void {
    const torch = this.libModules.get('torch');
    if (torch?.k !== 'module') return;
    const identity = (name: string) => builtin(name, (a) => a.pos[0] ?? NONE);
    const nothing = (name: string) => builtin(name, () => NONE);
    const add = (dotted: string, entries: Record<string, Value>) => {
      const short = dotted.slice('torch.'.length);
      if (this.libModules.has(dotted) || torch.attrs.has(short.split('.')[0]) && !short.includes('.')) return;
      const mod = this.ns(dotted, entries);
      this.libModules.set(dotted, mod);
      const parent = this.libModules.get(dotted.slice(0, dotted.lastIndexOf('.')));
      if (parent?.k === 'module') parent.attrs.set(short.slice(short.lastIndexOf('.') + 1), mod);
    };
    add('torch._C', { _log_api_usage_once: nothing('torch._C._log_api_usage_once') });
    // Classes of values an analysis never makes (FX proxies, fake tensors, flex-attention block masks):
    // library code asks isinstance of them, which is then False.
    const marker = (name: string): ClassV => ({ k: 'class', name, bases: [], attrs: new Map(), loc: null });
    add('torch.fx', { wrap: identity('torch.fx.wrap'), Proxy: marker('Proxy'), GraphModule: marker('GraphModule'), Node: marker('Node') });
    add('torch._subclasses', { FakeTensor: marker('FakeTensor'), FakeTensorMode: marker('FakeTensorMode') });
    add('torch.nn.attention', {});
    add('torch.nn.attention.flex_attention', {
      BlockMask: marker('BlockMask'),
      create_block_mask: builtin('torch.nn.attention.flex_attention.create_block_mask', (_a, at) => this.interp.fail('flex attention (create_block_mask) is not modelled', at)),
      flex_attention: builtin('torch.nn.attention.flex_attention.flex_attention', (_a, at) => this.interp.fail('flex attention is not modelled', at)),
      _DEFAULT_SPARSE_BLOCK_SIZE: { k: 'num', v: 128, int: true },
    });
    add('torch.onnx', { register_custom_op_symbolic: nothing('torch.onnx.register_custom_op_symbolic') });
    add('torch.onnx.symbolic_helper', { parse_args: builtin('torch.onnx.symbolic_helper.parse_args', () => identity('parse_args.<decorator>')) });
  }

  module(name: string): Value | undefined {
    return this.libModules.get(name);
  }

  get at(): Loc {
    return this.interp.current;
  }

  /** Runs aten `overload` with schema-named arguments (library code that calls an op directly). */
  aten(overload: string, bound: ReadonlyMap<string, Value>, at: Loc): Value {
    const row = atenRow(overload);
    if (!row) return this.interp.fail(`aten::${overload} is not modelled yet`, at);
    return runRule(this, (a, call) => row.run(this.tracer, a, call), bound, { name: `aten.${overload}`, aten: overload }, at);
  }

  /** `torch.set_default_dtype(d)` while the model is built (transformers builds a model in its config's dtype). */
  defaultDtype: DType | null = null;

  newParameter(shape: readonly number[], dtype: DType = this.defaultDtype ?? this.settings.paramDtype): Tensor {
    return this.tracer.newTensor(shape, dtype, true, 'param');
  }

  newBuffer(shape: readonly number[], dtype: DType): Tensor {
    return this.tracer.newTensor(shape, dtype, false, 'buffer');
  }

  /** Instantiates a torch.nn class by name (a layer rule's child module). */
  makeLayer(className: string, a: Args, at: Loc): Value {
    const nn = this.libModules.get('torch.nn');
    const cls = this.internalClasses.get(className) ?? (nn?.k === 'module' ? nn.attrs.get(className) : undefined);
    if (cls?.k !== 'class') return this.interp.fail(`nn.${className} is not available in PyTorch ${this.tracer.ctx.torch.join('.')}`, at);
    return this.interp.instantiate(cls, a, at);
  }

  cloneModule(m: InstanceV): InstanceV {
    return cloneModule(this, m);
  }

  // ── Library hooks used by the interpreter ─────────────────────────────────

  tensorBinary(op: string, a: Value, b: Value, at: Loc): Value | undefined {
    return tensorBinary(this, op, a, b, at);
  }

  tensorUnary(op: string, a: Value, at: Loc): Value | undefined {
    return tensorUnary(this, op, a, at);
  }

  tensorAttr(t: Value, name: string, at: Loc): Value | undefined {
    return t.k === 'tensor' ? tensorAttr(this, t, name, at) : undefined;
  }

  tensorSubscript(t: Value, index: Value, at: Loc): Value | undefined {
    return t.k === 'tensor' ? tensorSubscript(this, t, index, at) : undefined;
  }

  unbound(v: Value): void {
    if (!this.tracer.recording) return;
    if (v.k === 'tensor') this.tracer.heldUntilNow(v.t.storage);
    else if (v.k === 'tuple' || v.k === 'list') for (const x of v.items) if (x.k === 'tensor') this.tracer.heldUntilNow(x.t.storage);
  }

  runningModule(): string | null {
    const stack = this.tracer.moduleStack;
    return this.tracer.recording && stack.length ? stack[stack.length - 1] : null;
  }

  stored(v: Value): void {
    if (!this.tracer.recording) return;
    if (v.k === 'tensor') this.tracer.retained.set(v.t.storage.id, Infinity);
    else if (v.k === 'tuple' || v.k === 'list') for (const x of v.items) if (x.k === 'tensor') this.tracer.retained.set(x.t.storage.id, Infinity);
  }

  unstored(v: Value): void {
    if (!this.tracer.recording) return;
    const drop = (x: Value) => {
      if (x.k === 'tensor' && this.tracer.retained.get(x.t.storage.id) === Infinity) this.tracer.retained.set(x.t.storage.id, this.tracer.ops.length - 1);
    };
    if (v.k === 'tuple' || v.k === 'list') v.items.forEach(drop);
    else drop(v);
  }

  tensorSetitem(t: Value, index: Value, value: Value, at: Loc): void {
    if (t.k === 'tensor') tensorSetitem(this, t, index, value, at);
  }

  onInstantiate(self: InstanceV, at: Loc): void {
    if (mro(self.cls).includes(MODULE_CLASS)) self.module = makeModuleState(at);
  }

  moduleSetattr(self: InstanceV, name: string, value: Value, at: Loc): boolean {
    return moduleSetattr(this, self, name, value, at);
  }

  moduleGetattr(self: InstanceV, name: string, at: Loc): Value | undefined {
    return moduleGetattr(this, self, name, at);
  }

  /** `module(*args)`: runs forward with the module pushed on the tracer's module stack. */
  callModule(self: InstanceV, a: Args, at: Loc): Value | undefined {
    if (!self.module) return undefined;
    const forward = this.forwardOf(self);
    if (!forward) return this.interp.fail(`${self.cls.name} has no forward()`, at);
    const path = this.paths.get(self) ?? `<${self.cls.name}>`;
    const stack = this.tracer.moduleStack;
    const record: ModuleCall = { module: self, path, line: at, firstOp: this.tracer.ops.length, lastOp: this.tracer.ops.length, output: NONE, caller: stack.length ? stack[stack.length - 1] : null };
    this.calls.push(record);
    this.tracer.moduleStack.push(path);
    try {
      record.output = forward(a, at);
    } finally {
      this.tracer.moduleStack.pop();
      record.lastOp = this.tracer.ops.length;
    }
    return record.output;
  }

  private forwardOf(self: InstanceV): ((a: Args, at: Loc) => Value) | undefined {
    const user = classAttr(self.cls, 'forward');
    const native = nativeOf(self.cls);
    const order = mro(self.cls);
    if (user && (!native?.native.forward || order.indexOf(user.owner) <= order.indexOf(native.owner))) {
      return (a, at) => this.interp.call(user.value, { pos: [self, ...a.pos], kw: a.kw }, at);
    }
    if (native?.native.forward) return (a, at) => native.native.forward!(self, a, at, this);
    return undefined;
  }

  enterContext(v: Value, at: Loc): (() => void) | undefined {
    if (v.k === 'instance' && v.cls.native && (v.attrs.get('__enter__') || v.attrs.get('__exit__'))) {
      const enter = v.attrs.get('__enter__');
      const exit = v.attrs.get('__exit__');
      if (enter) this.interp.call(enter, { pos: [], kw: new Map() }, at);
      return exit ? () => void this.interp.call(exit, { pos: [], kw: new Map() }, at) : undefined;
    }
    return undefined;
  }

  /** A context manager value implemented by the library. */
  /**
   * A context manager value implemented by the library: `enter` changes the tracer's context and
   * returns what restores it (the state at entry, as torch's grad modes save it). Also a decorator
   * (`@torch.no_grad()`): the function it decorates runs inside the context.
   */
  contextManager(name: string, enter: () => () => void): Value {
    const cls = { k: 'class' as const, name, bases: [], attrs: new Map<string, Value>(), native: {}, loc: null };
    const inst: InstanceV = { k: 'instance', cls, attrs: new Map(), id: this.interp.newInstanceId() };
    const restores: (() => void)[] = [];
    inst.attrs.set('__enter__', builtin(`${name}.__enter__`, () => { restores.push(enter()); return NONE; }));
    inst.attrs.set('__exit__', builtin(`${name}.__exit__`, () => { restores.pop()?.(); return NONE; }));
    inst.attrs.set('__call__', builtin(`${name}.__call__`, (a) => this.decorateWith(name, enter, a.pos[0] ?? NONE)));
    return inst;
  }

  /** `fn` run inside a context (`@torch.no_grad()` on a method): a function that binds as a method. */
  decorateWith(name: string, enter: () => () => void, fn: Value): Value {
    return builtinMethodOf(`${name}.<decorated>`, (b, where) => {
      const restore = enter();
      try {
        return this.interp.call(fn, b, where);
      } finally {
        restore();
      }
    });
  }

  unknownModule(name: string, at: Loc): Value {
    return unknown(`module '${name}' is not modelled`, at);
  }

  /** Assigns `named_modules()` names under a root module (first registration wins, like torch). */
  assignPaths(root: InstanceV): void {
    this.paths.clear();
    const visit = (m: InstanceV, path: string): void => {
      if (this.paths.has(m)) return;
      this.paths.set(m, path);
      for (const [name, child] of m.module?.children ?? []) {
        if (child.k === 'instance') visit(child, path ? `${path}.${name}` : name);
      }
    };
    visit(root, '');
  }

  ns(name: string, entries: Record<string, Value>): ModuleV {
    return { k: 'module', name, attrs: new Map(Object.entries(entries)), modelled: true };
  }
}
