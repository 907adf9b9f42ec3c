import { CatalogParam, LayerRule, Tensor, tableRow } from '../../../../kernels/src';
import {
  Args, ClassV, DictV, InstanceV, Loc, ModuleState, NONE, NativeClass, NoneV, PyException, TensorV, Value,
  args, bool, builtin, builtinMethodOf, int, list, nativeOf, str, tensorV, tuple,
} from '../values';
import type { TorchLibrary } from './library';
import { listIterator } from '../builtinTypes';
import { deepcopiedAttrs, forwardLayer, initLayer } from './layerHost';

export function makeModuleState(created: Loc): ModuleState {
  return { children: new Map(), params: new Map(), buffers: new Map(), training: true, created };
}

function nativeClass(name: string, native: NativeClass, bases: ClassV[] = []): ClassV {
  return { k: 'class', name, bases, attrs: new Map(), native, loc: null };
}

/** `torch.nn.Module`: registries, `__call__` (in the library), and its public methods. */
export const MODULE_CLASS: ClassV = nativeClass('Module', {
  init: () => undefined,
  attr: (self, name, _at, lib: TorchLibrary) => moduleMethod(lib, self, name),
  classAttr: (name, lib: TorchLibrary) => (MODULE_METHODS.has(name) ? builtinMethodOf(`Module.${name}`, (a, at) => {
    const self = a.pos[0];
    const m = self?.k === 'instance' && self.module ? moduleMethod(lib, self, name) : undefined;
    return m ? lib.interp.call(m, { pos: a.pos.slice(1), kw: a.kw }, at) : lib.interp.fail(`Module.${name}() of a value that is not a module`, at);
  }) : undefined),
});

/** nn.Module's methods that can be read through the class (`@wraps(nn.Module.to)`). */
const MODULE_METHODS = new Set(['parameters', 'named_parameters', 'buffers', 'named_buffers', 'modules', 'named_modules', 'children', 'named_children', 'train', 'eval', 'apply', 'register_buffer', 'register_parameter', 'add_module', 'register_module', 'get_submodule', 'to', 'cuda', 'cpu', 'float', 'double', 'half', 'bfloat16', 'requires_grad_', 'zero_grad', 'share_memory']);

// ── attribute protocol ─────────────────────────────────────────────────────

export function moduleGetattr(_lib: TorchLibrary, self: InstanceV, name: string, _at: Loc): Value | undefined {
  const m = self.module!;
  if (m.params.has(name)) return m.params.get(name);
  if (m.buffers.has(name)) return m.buffers.get(name);
  if (m.children.has(name)) return m.children.get(name);
  if (name === 'training') return bool(m.training);
  return undefined;
}

function isParameter(v: Value): boolean {
  return v.k === 'tensor' && v.t.storage.kind === 'param' && v.t.requiresGrad;
}

export function moduleSetattr(_lib: TorchLibrary, self: InstanceV, name: string, value: Value, _at: Loc): boolean {
  const m = self.module!;
  if (name === 'training') {
    m.training = value.k === 'bool' ? value.v : m.training;
    return true;
  }
  if (isParameter(value)) {
    self.attrs.delete(name);
    m.buffers.delete(name);
    m.children.delete(name);
    m.params.set(name, value as TensorV);
    return true;
  }
  if (value.k === 'instance' && value.module) {
    self.attrs.delete(name);
    m.params.delete(name);
    m.children.set(name, value);
    return true;
  }
  // `self.x = nn.Buffer(t)` registers a buffer, as `register_buffer` does.
  if (value.k === 'tensor' && BUFFERS.has(value)) {
    self.attrs.delete(name);
    m.params.delete(name);
    m.children.delete(name);
    m.buffers.set(name, value);
    return true;
  }
  if (m.params.has(name) && (value.k === 'none' || value.k === 'tensor')) {
    m.params.set(name, value.k === 'none' ? NONE : value);
    return true;
  }
  if (m.buffers.has(name) && (value.k === 'none' || value.k === 'tensor')) {
    m.buffers.set(name, value.k === 'none' ? NONE : value);
    return true;
  }
  if (m.children.has(name) && value.k === 'none') {
    m.children.set(name, NONE);
    return true;
  }
  return false;
}

// ── traversal ──────────────────────────────────────────────────────────────

/** `named_modules()` order: pre-order, each instance once. */
export function namedModules(root: InstanceV, prefix = ''): [string, InstanceV][] {
  const out: [string, InstanceV][] = [];
  const seen = new Set<InstanceV>();
  const visit = (m: InstanceV, path: string): void => {
    if (seen.has(m)) return;
    seen.add(m);
    out.push([path, m]);
    for (const [name, child] of m.module?.children ?? []) if (child.k === 'instance') visit(child, path ? `${path}.${name}` : name);
  };
  visit(root, prefix);
  return out;
}

/** Each tensor of one registry (parameters or buffers) once, named like torch (tied weights count once). */
function namedValues(root: InstanceV, registry: 'params' | 'buffers', prefix = ''): [string, TensorV][] {
  const out: [string, TensorV][] = [];
  const seen = new Set<number>();
  for (const [path, m] of namedModules(root, prefix)) {
    for (const [name, v] of m.module![registry]) {
      if (v.k !== 'tensor' || seen.has(v.t.storage.id)) continue;
      seen.add(v.t.storage.id);
      out.push([path ? `${path}.${name}` : name, v]);
    }
  }
  return out;
}

function namedTensors(root: InstanceV, registry: 'params' | 'buffers'): [string, Tensor][] {
  return namedValues(root, registry).map(([n, v]) => [n, v.t]);
}

/** `named_parameters()`. */
export function namedParameters(root: InstanceV): [string, Tensor][] {
  return namedTensors(root, 'params');
}

/** `named_buffers()`. */
export function namedBuffers(root: InstanceV): [string, Tensor][] {
  return namedTensors(root, 'buffers');
}

/** `module.train(mode)`: every module of the tree. */
export function setTraining(root: InstanceV, mode: boolean): void {
  for (const [, m] of namedModules(root)) m.module!.training = mode;
}

/** What `parameters()`, `named_modules()`… return: a generator over the items. */
const gen = (items: Value[]) => listIterator(items, 'generator');

/** The `prefix=` of `named_parameters(prefix=…)` / `named_modules(memo, prefix)`. */
function prefixOf(a: Args): string {
  const p = a.kw.get('prefix') ?? a.pos.find((v) => v.k === 'str');
  return p?.k === 'str' ? p.v : '';
}

function moduleMethod(lib: TorchLibrary, self: InstanceV, name: string): Value | undefined {
  const m = self.module;
  if (!m) return undefined;
  const method = (fn: (a: Args, at: Loc) => Value) => builtin(`${self.cls.name}.${name}`, fn);
  switch (name) {
    // The registered values themselves, so that `p.requires_grad = False` freezes the parameter.
    case 'parameters':
      return method(() => gen(namedValues(self, 'params').map(([, v]) => v)));
    case 'named_parameters':
      return method((a) => gen(namedValues(self, 'params', prefixOf(a)).map(([n, v]) => tuple([str(n), v]))));
    case 'buffers':
      return method(() => gen(namedValues(self, 'buffers').map(([, v]) => v)));
    case 'named_buffers':
      return method((a) => gen(namedValues(self, 'buffers', prefixOf(a)).map(([n, v]) => tuple([str(n), v]))));
    case 'modules':
      return method(() => gen(namedModules(self).map(([, x]) => x)));
    case 'named_modules':
      return method((a) => gen(namedModules(self, prefixOf(a)).map(([n, x]) => tuple([str(n), x]))));
    case 'children':
      return method(() => gen([...m.children.values()].filter((c): c is InstanceV => c.k === 'instance')));
    case 'named_children':
      return method(() => gen([...m.children].filter(([, c]) => c.k === 'instance').map(([n, c]) => tuple([str(n), c]))));
    case 'train':
      return method((a) => {
        setTraining(self, a.pos[0]?.k === 'bool' ? a.pos[0].v : true);
        return self;
      });
    case 'eval':
      return method(() => {
        setTraining(self, false);
        return self;
      });
    case 'apply':
      return method((a, at) => {
        const fn = a.pos[0];
        if (fn) for (const [, x] of namedModules(self).reverse()) lib.interp.call(fn, args([x]), at);
        return self;
      });
    case 'register_buffer':
      return method((a) => {
        const [nameV, t] = [a.pos[0] ?? a.kw.get('name'), a.pos[1] ?? a.kw.get('tensor') ?? NONE];
        if (nameV?.k === 'str') m.buffers.set(nameV.v, t.k === 'tensor' ? asBuffer(lib, t) : NONE);
        return NONE;
      });
    case 'register_parameter':
      return method((a) => {
        const [nameV, p] = [a.pos[0] ?? a.kw.get('name'), a.pos[1] ?? a.kw.get('param') ?? NONE];
        if (nameV?.k === 'str') m.params.set(nameV.v, p.k === 'tensor' ? p : NONE);
        return NONE;
      });
    case 'add_module':
    case 'register_module':
      return method((a) => {
        const [nameV, child] = [a.pos[0], a.pos[1] ?? NONE];
        if (nameV?.k === 'str' && (child.k === 'instance' || child.k === 'none')) m.children.set(nameV.v, child as InstanceV | NoneV);
        return NONE;
      });
    case 'get_submodule':
      return method((a, at) => submodule(self, a.pos[0] ?? a.kw.get('target') ?? NONE, at));
    case 'get_parameter': case 'get_buffer':
      return method((a, at) => {
        const target = a.pos[0] ?? a.kw.get('target') ?? NONE;
        if (target.k !== 'str') throw new PyException('TypeError', `${name}() target must be a str`, at);
        const dot = target.v.lastIndexOf('.');
        const owner = submodule(self, str(dot < 0 ? '' : target.v.slice(0, dot)), at);
        const leaf = target.v.slice(dot + 1);
        const found = owner.k === 'instance' ? owner.module?.[name === 'get_parameter' ? 'params' : 'buffers'].get(leaf) : undefined;
        if (!found) throw new PyException('AttributeError', `${owner.k === 'instance' ? owner.cls.name : '?'} has no ${name === 'get_parameter' ? 'parameter' : 'buffer'} \`${leaf}\``, at);
        return found;
      });
    // The registries as dicts (a copy: writing into one is not seen by the module).
    case '_modules': return dictOf([...m.children]);
    case '_parameters': return dictOf([...m.params]);
    case '_buffers': return dictOf([...m.buffers]);
    case 'extra_repr': return method(() => str(''));
    case '_get_name': return method(() => str(self.cls.name));
    case 'to': case 'cuda': case 'cpu': case 'float': case 'double': case 'half': case 'bfloat16': case 'requires_grad_': case 'zero_grad': case 'share_memory':
      return method(() => self);
    case 'forward':
      return undefined;
    default:
      return undefined;
  }
}

function dictOf(entries: [string, Value][]): DictV {
  return { k: 'dict', map: new Map(entries.map(([k, v]) => [JSON.stringify(k), [str(k), v]])) };
}

/** `get_submodule("a.b")`: AttributeError for a path that names no submodule, as torch raises. */
function submodule(self: InstanceV, target: Value, at: Loc): Value {
  if (target.k !== 'str') throw new PyException('TypeError', 'get_submodule() target must be a str', at);
  let cur: Value = self;
  if (target.v) for (const part of target.v.split('.')) {
    const next: Value | undefined = cur.k === 'instance' ? cur.module?.children.get(part) : undefined;
    if (!next) throw new PyException('AttributeError', `${cur.k === 'instance' ? cur.cls.name : '?'} has no attribute \`${part}\``, at);
    cur = next;
  }
  return cur;
}

function asBuffer(lib: TorchLibrary, t: TensorV): TensorV {
  if (t.t.storage.kind === 'buffer') return t;
  return tensorV(lib.newBuffer(t.t.shape, t.t.dtype));
}

// ── containers ─────────────────────────────────────────────────────────────

function childrenList(self: InstanceV): InstanceV[] {
  return [...self.module!.children.values()].filter((c): c is InstanceV => c.k === 'instance');
}

function addChildren(lib: TorchLibrary, self: InstanceV, items: readonly Value[], at: Loc): void {
  const m = self.module!;
  for (const item of items) {
    if (item.k === 'instance' && item.module) m.children.set(String(m.children.size), item);
    else if (item.k === 'unknown') m.children.set(String(m.children.size), unknownModule(lib, item.reason, at));
    else throw new PyException('TypeError', `${item.k} is not a Module subclass`, at);
  }
}

/** A placeholder module for an unknown value placed in a container, so indices keep their names. */
function unknownModule(lib: TorchLibrary, reason: string, at: Loc): InstanceV {
  const cls = nativeClass('Unknown', { forward: (_s, _a, where) => lib.interp.fail(reason, where) }, [MODULE_CLASS]);
  const inst: InstanceV = { k: 'instance', cls, attrs: new Map(), id: lib.interp.newInstanceId() };
  inst.module = makeModuleState(at);
  return inst;
}

function indexChild(lib: TorchLibrary, self: InstanceV, idx: Value, at: Loc, ctor: ClassV): Value {
  const kids = childrenList(self);
  if (idx.k === 'slice') {
    const inst = lib.interp.instantiate(ctor, args([]), at) as InstanceV;
    const start = idx.start.k === 'num' ? idx.start.v : 0;
    const stop = idx.stop.k === 'num' ? idx.stop.v : kids.length;
    const names = [...self.module!.children.keys()];
    const norm = (i: number) => (i < 0 ? Math.max(kids.length + i, 0) : Math.min(i, kids.length));
    for (let i = norm(start); i < norm(stop); i++) inst.module!.children.set(ctor === SEQUENTIAL ? names[i] : String(inst.module!.children.size), kids[i]);
    return inst;
  }
  if (idx.k === 'num') {
    const i = idx.v < 0 ? kids.length + idx.v : idx.v;
    if (i < 0 || i >= kids.length) throw new PyException('IndexError', `index ${idx.v} is out of range`, at);
    return kids[i];
  }
  if (idx.k === 'str') return self.module!.children.get(idx.v) ?? lib.interp.fail(`no submodule '${idx.v}'`, at);
  return lib.interp.fail('unsupported container index', at);
}

function containerAttr(ctor: () => ClassV) {
  return (self: InstanceV, name: string, _at: Loc, lib: TorchLibrary): Value | undefined => {
    const m = (fn: (a: Args, at: Loc) => Value) => builtin(`${self.cls.name}.${name}`, fn);
    switch (name) {
      case '__getitem__': return m((a, at) => indexChild(lib, self, a.pos[0] ?? NONE, at, ctor()));
      case '__len__': return m(() => int(childrenList(self).length));
      case '__iter__': return m(() => list(childrenList(self)));
      case 'append': return m((a, at) => { addChildren(lib, self, a.pos.slice(0, 1), at); return self; });
      case 'extend': return m((a, at) => { addChildren(lib, self, lib.interp.iterate(a.pos[0] ?? list([]), at), at); return self; });
      case 'insert': return m((a, at) => {
        const kids = childrenList(self);
        const i = a.pos[0]?.k === 'num' ? a.pos[0].v : kids.length;
        kids.splice(i, 0, a.pos[1] as InstanceV);
        self.module!.children.clear();
        addChildren(lib, self, kids, at);
        return NONE;
      });
      default: return moduleMethod(lib, self, name);
    }
  };
}

const SEQUENTIAL: ClassV = nativeClass('Sequential', {
  init: (self, a, at, lib: TorchLibrary) => {
    const first = a.pos[0];
    if (a.pos.length === 1 && first?.k === 'dict') {
      for (const [k, v] of first.map.values()) if (k.k === 'str' && v.k === 'instance') self.module!.children.set(k.v, v);
    } else addChildren(lib, self, a.pos, at);
  },
  forward: (self, a, at, lib: TorchLibrary) => {
    let x = a.pos[0] ?? NONE;
    for (const child of childrenList(self)) x = lib.interp.call(child, args([x]), at);
    return x;
  },
  attr: containerAttr(() => SEQUENTIAL),
}, [MODULE_CLASS]);

const MODULE_LIST: ClassV = nativeClass('ModuleList', {
  init: (self, a, at, lib: TorchLibrary) => {
    const items = a.pos[0] ?? a.kw.get('modules');
    if (items && items.k !== 'none') addChildren(lib, self, lib.interp.iterate(items, at), at);
  },
  attr: containerAttr(() => MODULE_LIST),
}, [MODULE_CLASS]);

const MODULE_DICT: ClassV = nativeClass('ModuleDict', {
  init: (self, a) => {
    const d = a.pos[0] ?? a.kw.get('modules');
    if (d?.k === 'dict') for (const [k, v] of d.map.values()) if (k.k === 'str' && v.k === 'instance') self.module!.children.set(k.v, v);
  },
  attr: (self, name, _at, lib: TorchLibrary) => {
    const kids = self.module!.children;
    const m = (fn: (a: Args, at: Loc) => Value) => builtin(`ModuleDict.${name}`, fn);
    switch (name) {
      case '__getitem__': return m((a, at) => (a.pos[0]?.k === 'str' ? kids.get(a.pos[0].v) : undefined) ?? lib.interp.fail('missing ModuleDict key', at));
      case '__setitem__': return m((a) => { if (a.pos[0]?.k === 'str' && a.pos[1]?.k === 'instance') kids.set(a.pos[0].v, a.pos[1]); return NONE; });
      case '__len__': return m(() => int(kids.size));
      case '__iter__': case 'keys': return m(() => list([...kids.keys()].map(str)));
      case 'values': return m(() => list([...kids.values()]));
      case 'items': return m(() => list([...kids].map(([k, v]) => tuple([str(k), v]))));
      case '__contains__': return m((a) => bool(a.pos[0]?.k === 'str' && kids.has(a.pos[0].v)));
      default: return moduleMethod(lib, self, name);
    }
  },
}, [MODULE_CLASS]);

// ── layers ─────────────────────────────────────────────────────────────────

/**
 * `copy.deepcopy` of a module: fresh parameters and buffers of the same shapes (shared ones stay
 * shared inside the copy), children and containers copied, other attributes kept.
 */
export function cloneModule(lib: TorchLibrary, root: InstanceV): InstanceV {
  const memo = new Map<object, Value>();
  const cloneValue = (v: Value): Value => {
    const done = memo.get(v.k === 'tensor' ? v.t.storage : v);
    if (done) return done;
    switch (v.k) {
      case 'tensor': {
        const { kind } = v.t.storage;
        if (kind !== 'param' && kind !== 'buffer') return v;
        const t = tensorV(lib.tracer.newTensor(v.t.shape, v.t.dtype, v.t.requiresGrad, kind));
        memo.set(v.t.storage, t);
        return t;
      }
      case 'list': {
        const out = list([]);
        memo.set(v, out);
        out.items.push(...v.items.map(cloneValue));
        return out;
      }
      case 'tuple': return tuple(v.items.map(cloneValue));
      case 'dict': {
        const out: DictV = { k: 'dict', map: new Map() };
        memo.set(v, out);
        for (const [key, [kv, x]] of v.map) out.map.set(key, [kv, cloneValue(x)]);
        return out;
      }
      case 'instance': {
        if (!v.module) return v;
        const inst: InstanceV = { k: 'instance', cls: v.cls, attrs: new Map(), id: lib.interp.newInstanceId() };
        memo.set(v, inst);
        const m = v.module;
        inst.module = { ...makeModuleState(m.created), training: m.training };
        for (const [k, x] of v.attrs) inst.attrs.set(k, cloneValue(x));
        for (const [k, x] of m.params) inst.module.params.set(k, cloneValue(x) as TensorV | NoneV);
        for (const [k, x] of m.buffers) inst.module.buffers.set(k, cloneValue(x) as TensorV | NoneV);
        for (const [k, x] of m.children) inst.module.children.set(k, cloneValue(x) as InstanceV | NoneV);
        const native = nativeOf(v.cls);
        const row = native ? tableRow(`nn.${native.owner.name}`) : undefined;
        if (row?.kind === 'layer') for (const [k, x] of deepcopiedAttrs(lib, row.layer, inst, m.created)) inst.attrs.set(k, x);
        return inst;
      }
      default: return v;
    }
  };
  return cloneValue(root) as InstanceV;
}

/** A torch.nn layer class: the catalogued constructor, and the op table's rule when it has one. */
function layerClass(name: string, params: readonly CatalogParam[], rule: LayerRule | undefined, bases: ClassV[] = [MODULE_CLASS]): ClassV {
  return nativeClass(name, {
    init: (self, a, at, lib: TorchLibrary) => initLayer(lib, name, params, rule, self, a, at),
    forward: (self, a, at, lib: TorchLibrary) => forwardLayer(lib, name, rule, self, a, at),
    attr: (self, attrName, _at, lib: TorchLibrary) => moduleMethod(lib, self, attrName),
  }, bases);
}

/** Tensors made by `nn.Buffer(...)`: assigning one to a module attribute registers it as a buffer. */
const BUFFERS = new WeakSet<TensorV>();

/** `nn.Buffer(data, persistent=True)` (torch 2.5+): a tensor a module holds as a buffer when assigned to it. */
function bufferFactory(lib: TorchLibrary): Value {
  return builtin('Buffer', (a, at) => {
    const data = a.pos[0] ?? a.kw.get('data');
    if (!data || data.k === 'unknown') return data ?? lib.interp.fail('Buffer() without data', at);
    if (data.k !== 'tensor') return lib.interp.fail('Buffer() of a non-tensor', at);
    const b = asBuffer(lib, data);
    BUFFERS.add(b);
    return b;
  });
}

/** `nn.Parameter(data, requires_grad=True)`. */
function parameterFactory(lib: TorchLibrary): Value {
  return builtin('Parameter', (a, at) => {
    const data = a.pos[0] ?? a.kw.get('data');
    if (!data || data.k === 'unknown') return data ?? lib.interp.fail('Parameter() without data', at);
    if (data.k !== 'tensor') return lib.interp.fail('Parameter() of a non-tensor', at);
    const rg = a.pos[1] ?? a.kw.get('requires_grad');
    const t = lib.tracer.newTensor(data.t.shape, data.t.dtype === 'float32' ? lib.settings.paramDtype : data.t.dtype, !(rg?.k === 'bool' && !rg.v), 'param');
    return tensorV(t);
  });
}

/** `nn.Transformer.generate_square_subsequent_mask(sz)`: `triu(full((sz, sz), -inf), diagonal=1)`, float32. */
function squareSubsequentMask(lib: TorchLibrary): Value {
  return builtin('Transformer.generate_square_subsequent_mask', (a, at) => {
    const sz = a.pos[0] ?? a.kw.get('sz');
    if (sz?.k === 'unknown') return sz;
    if (sz?.k !== 'num' || !sz.int) return lib.interp.fail('generate_square_subsequent_mask(sz) needs a constant int size', at);
    const full = lib.aten('full', new Map<string, Value>([['size', tuple([sz, sz])], ['fill_value', { k: 'num', v: -Infinity, int: false }], ['dtype', { k: 'dtype', v: 'float32' }]]), at);
    return full.k === 'tensor' ? lib.aten('triu', new Map<string, Value>([['self', full], ['diagonal', { k: 'num', v: 1, int: true }]]), at) : full;
  });
}

/** torch.nn's classes for a release: catalogued layers (with the op table's rules), containers, Parameter. */
export function nnClasses(lib: TorchLibrary): Map<string, Value> {
  const out = new Map<string, Value>();
  for (const [qualified, entry] of lib.entries()) {
    if (entry.kind !== 'module' || !qualified.startsWith('nn.')) continue;
    const name = qualified.slice(3);
    if (name === 'Module' || name === 'Sequential' || name === 'ModuleList' || name === 'ModuleDict' || name.includes('.')) continue;
    const row = tableRow(qualified);
    out.set(name, layerClass(name, entry.overloads?.[0]?.params ?? [], row?.kind === 'layer' ? row.layer : undefined));
  }
  const linear = out.get('Linear');
  const linearRow = tableRow('nn.Linear');
  if (linear?.k === 'class' && linearRow?.kind === 'layer') {
    // MultiheadAttention's `out_proj`: a Linear subclass torch.nn does not export.
    lib.internalClasses.set('NonDynamicallyQuantizableLinear', layerClass('NonDynamicallyQuantizableLinear', lib.entry('nn.Linear')?.overloads?.[0]?.params ?? [], linearRow.layer, [linear]));
  }
  const transformer = out.get('Transformer');
  if (transformer?.k === 'class') transformer.attrs.set('generate_square_subsequent_mask', squareSubsequentMask(lib));
  out.set('Module', MODULE_CLASS);
  out.set('Sequential', SEQUENTIAL);
  out.set('ModuleList', MODULE_LIST);
  out.set('ModuleDict', MODULE_DICT);
  out.set('Parameter', parameterFactory(lib));
  if (lib.tracer.ctx.torch[0] >= 2) out.set('Buffer', bufferFactory(lib));
  return out;
}
