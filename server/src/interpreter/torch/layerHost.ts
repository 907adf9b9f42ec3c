// torch.nn layer classes from the op table's layer rules (kernels/src/layers): the constructor
// binds the catalogued signature, registers what the rule declares (parameters, buffers, child
// modules, attributes) in torch's order, and forward runs the rule with the module's current
// attributes and training flag. Child module calls go back through the interpreter, so each
// runs under its own qualified name.
import { CatalogParam, ChildSpec, KernelError, KernelArgs, LayerForward, LayerRule, LayerState, Tensor } from '../../../../kernels/src';
import { bindCatalog } from '../binding';
import { Args, DictV, InstanceV, Loc, NONE, PyException, Value, args, list, str, tensorV } from '../values';
import { UnknownArgument, fromKernel, toKernel } from './convert';
import type { TorchLibrary } from './library';

const CONFIG = '__config__';

function configDict(cfg: ReadonlyMap<string, Value>): DictV {
  return { k: 'dict', map: new Map([...cfg].map(([k, v]) => [JSON.stringify(k), [str(k), v]])) };
}

/** The constructor's bound arguments, with attributes the instance has reassigned since. */
function currentConfig(self: InstanceV): Map<string, Value> {
  const out = new Map<string, Value>();
  const d = self.attrs.get(CONFIG);
  if (d?.k === 'dict') for (const [k, v] of d.map.values()) if (k.k === 'str') out.set(k.v, self.attrs.get(k.v) ?? v);
  return out;
}

function kernelConfig(cfg: ReadonlyMap<string, Value>): KernelArgs {
  const out: Record<string, unknown> = {};
  for (const [k, v] of cfg) out[k] = toKernel(v);
  return out;
}

const isChildSpec = (v: unknown): v is ChildSpec =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && ('layer' in v || 'given' in v || 'clones' in v);

/** A kernel value handed back to Python (a nested ChildSpec among layer arguments is built first). */
function toValue(lib: TorchLibrary, v: unknown, at: Loc): Value {
  if (isChildSpec(v)) return buildChild(lib, v, at);
  if (Array.isArray(v)) return { k: 'tuple', items: v.map((x) => toValue(lib, x, at)) };
  return fromKernel(v);
}

function buildChild(lib: TorchLibrary, spec: ChildSpec, at: Loc): Value {
  if ('layer' in spec) {
    const kw = new Map(Object.entries(spec.kwargs ?? {}).map(([k, x]) => [k, toValue(lib, x, at)]));
    return lib.makeLayer(spec.layer, args(spec.args.map((x) => toValue(lib, x, at)), kw), at);
  }
  if ('clones' in spec) {
    const layer = toValue(lib, spec.clones, at);
    if (layer.k !== 'instance' || !layer.module) throw new PyException('TypeError', 'expected a module to clone', at);
    // Each copy costs what building the layer did: `num_layers=100000` meets the step limit, not the heap's.
    const copies = Array.from({ length: spec.count }, () => {
      lib.interp.budget.charge(1, at, 512);
      return lib.cloneModule(layer);
    });
    return lib.makeLayer('ModuleList', args([list(copies)]), at);
  }
  return toValue(lib, spec.given, at);
}

/** Registers what a layer's constructor makes. */
export function initLayer(lib: TorchLibrary, name: string, params: readonly CatalogParam[], rule: LayerRule | undefined, self: InstanceV, a: Args, at: Loc): void {
  const cfg = bindCatalog(`nn.${name}`, params as CatalogParam[], a, at);
  self.attrs.set(CONFIG, configDict(cfg));
  for (const [k, v] of cfg) self.attrs.set(k, v);
  if (!rule) {
    lib.interp.report(`nn.${name} is not modelled yet: its parameters and activations are unknown`, at);
    return;
  }
  try {
    register(lib, self, rule.build(kernelConfig(cfg)), at);
  } catch (e) {
    if (e instanceof UnknownArgument) {
      lib.interp.report(`nn.${name}: ${e.value.reason}; its parameters are unknown`, at);
      return;
    }
    if (e instanceof KernelError) throw new PyException('ValueError', e.message, at);
    throw e;
  }
}

/** Registers what a rule declares on the instance: attributes, parameters, buffers, child modules. */
function register(lib: TorchLibrary, self: InstanceV, state: LayerState, at: Loc): void {
  const m = self.module!;
  for (const [k, v] of state.attrs ?? []) self.attrs.set(k, toValue(lib, v, at));
  for (const [p, shape] of state.params ?? []) m.params.set(p, shape ? tensorV(lib.newParameter(shape)) : NONE);
  for (const [b, shape, dtype] of state.buffers ?? []) m.buffers.set(b, shape ? tensorV(lib.newBuffer(shape, dtype)) : NONE);
  for (const [c, spec] of state.children ?? []) {
    const child = buildChild(lib, spec, at);
    if (child.k === 'instance' && child.module) m.children.set(c, child);
    else self.attrs.set(c, child);
  }
  // torch keeps `bias` etc. as parameters, not as the constructor flag of the same name.
  for (const key of [...m.params.keys(), ...m.buffers.keys(), ...m.children.keys()]) self.attrs.delete(key);
}

/** A child module by name or dotted path (`layers.0`). */
function childAt(self: InstanceV, path: string): Value {
  let cur: Value = self;
  for (const part of path.split('.')) cur = cur.k === 'instance' ? cur.module?.children.get(part) ?? NONE : NONE;
  return cur;
}

const tensorOf = (v: Value | undefined): Tensor | null => (v?.k === 'tensor' ? v.t : null);

/** A value returned to a rule: an unknown ends the rule (UnknownArgument), anything else converts. */
function toRule(v: Value): unknown {
  return toKernel(v);
}

/** Runs a layer's forward. */
export function forwardLayer(lib: TorchLibrary, name: string, rule: LayerRule | undefined, self: InstanceV, a: Args, at: Loc): Value {
  if (!rule) return lib.interp.fail(`nn.${name} is not modelled yet`, at);
  const m = self.module!;
  const call = (fn: Value, pos: readonly unknown[], kw: Readonly<Record<string, unknown>>): unknown => {
    const kwv = new Map(Object.entries(kw).map(([k, x]) => [k, toValue(lib, x, at)]));
    return toRule(lib.interp.call(fn, args(pos.map((x) => toValue(lib, x, at)), kwv), at));
  };
  try {
    const host: LayerForward = {
      cfg: kernelConfig(currentConfig(self)),
      training: m.training,
      args: a.pos.map(toKernel),
      kwargs: Object.fromEntries([...a.kw].map(([k, v]) => [k, toKernel(v)])),
      param: (p) => tensorOf(m.params.get(p)),
      buffer: (b) => tensorOf(m.buffers.get(b)),
      callChild: (path, pos, kw = {}) => {
        const child = childAt(self, path);
        if (child.k === 'none') throw new KernelError(name, `submodule '${path}' is None`);
        return call(child, pos, kw) as never;
      },
      childParam: (path, p) => {
        const child = childAt(self, path);
        return child.k === 'instance' ? tensorOf(child.module?.params.get(p)) : null;
      },
      callValue: (fn, pos) => call(fn as Value, pos, {}) as never,
      initialize: (state) => register(lib, self, state, at),
    };
    return toValue(lib, rule.forward(lib.tracer, host), at);
  } catch (e) {
    if (e instanceof UnknownArgument) return e.value;
    if (e instanceof KernelError) return lib.interp.fail(e.message, at, 'error');
    throw e;
  }
}

/** Attributes a deep copy of a layer gets differently (torch `__setstate__` quirks). */
export function deepcopiedAttrs(lib: TorchLibrary, rule: LayerRule | undefined, copy: InstanceV, at: Loc): [string, Value][] {
  if (!rule?.deepcopied) return [];
  try {
    const isModule = (v: unknown) => typeof v === 'object' && v !== null && (v as Value).k === 'instance' && !!(v as InstanceV).module;
    return rule.deepcopied(kernelConfig(currentConfig(copy)), isModule).map(([k, v]) => [k, toValue(lib, v, at)]);
  } catch (e) {
    if (e instanceof UnknownArgument) return [];
    throw e;
  }
}
