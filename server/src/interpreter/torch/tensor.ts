// Tensors as Python objects: attributes and methods come from the release's catalog (`Tensor.*`),
// operators from the dunder methods they call (`a + b` is `a.__add__(b)`, `2 - x` is
// `x.__rsub__(2)`), indexing from `__getitem__`/`__setitem__`; the op table runs them all.
import { IndexItem, PythonEntry, tableRow } from '../../../../kernels/src';
import { Args, Loc, TensorV, Value, args, bool, builtin, setRequiresGrad, updateTensor } from '../values';
import { fromKernel } from './convert';
import type { TorchLibrary } from './library';
import { callCatalogued, runRule } from './ops';

/** `x.name`: a property's value, or a method bound to x. */
/** An int slice bound: ints, bools, int-valued objects, one-element tensors whose value is known. */
function sliceBound(v: Value): number | undefined {
  if (v.k === 'num' && v.int) return v.v;
  if (v.k === 'bool') return v.v ? 1 : 0;
  if (v.k === 'instance' && v.base?.k === 'num' && v.base.int) return v.base.v;
  if (v.k === 'tensor' && v.values?.length === 1 && v.t.shape.length === 0) return v.values[0];
  return undefined;
}

export function tensorAttr(lib: TorchLibrary, x: TensorV, name: string, at: Loc): Value | undefined {
  const qualified = `Tensor.${name}`;
  // A tensor's device is a torch.device object (`x.device.type`).
  if (name === 'device') {
    const torch = lib.module('torch');
    const device = torch?.k === 'module' ? torch.attrs.get('device') : undefined;
    if (device) return lib.interp.call(device, { pos: [{ k: 'str', v: lib.tracer.ctx.device }], kw: new Map() }, at);
  }
  const row = tableRow(qualified);
  if (row?.kind === 'property') return runRule(lib, () => row.get(lib.tracer, x.t), new Map(), { name: qualified, aten: null }, at);
  const entry = lib.entry(qualified);
  if (!entry) return undefined;
  if (entry.kind === 'property') return lib.interp.fail(`${qualified} is not modelled yet`, at);
  return builtin(qualified, (a, where) => callMethod(lib, qualified, entry, x, a, where));
}

function callMethod(lib: TorchLibrary, qualified: string, entry: PythonEntry, x: TensorV, a: Args, at: Loc): Value {
  if (qualified === 'Tensor.requires_grad_') {
    // In place on the value every holder shares (a module's registered parameter).
    const flag = a.pos[0] ?? a.kw.get('requires_grad');
    setRequiresGrad(x, flag === undefined || (flag.k === 'bool' ? flag.v : true));
    return x;
  }
  const r = callCatalogued(lib, qualified, entry, a, at, x);
  // An in-place method (`add_`, `__iadd__`) returns its receiver, changed (it may now require grad).
  const inplace = /^Tensor\.(__i\w+__|\w*[^_]_)$/.test(qualified);
  if (inplace && r.k === 'tensor' && r.t.storage === x.t.storage) {
    updateTensor(x, r.t);
    return x;
  }
  // `tolist()` builds lists, not tuples.
  return qualified === 'Tensor.tolist' && r.k === 'tuple' ? fromKernel(r.items.map(plain), true) : r;
}

function plain(v: Value): unknown {
  if (v.k === 'num' || v.k === 'bool') return v.v;
  if (v.k === 'tuple' || v.k === 'list') return v.items.map(plain);
  return null;
}

const DUNDER: Readonly<Record<string, string>> = {
  '+': 'add', '-': 'sub', '*': 'mul', '/': 'truediv', '//': 'floordiv', '%': 'mod', '**': 'pow', '@': 'matmul',
  '&': 'and', '|': 'or', '^': 'xor', '<<': 'lshift', '>>': 'rshift',
  '<': 'lt', '<=': 'le', '>': 'gt', '>=': 'ge', '==': 'eq', '!=': 'ne',
};
/** `2 < x` is `x > 2`. */
const SWAPPED: Readonly<Record<string, string>> = { lt: 'gt', le: 'ge', gt: 'lt', ge: 'le', eq: 'eq', ne: 'ne' };

/** Calls `Tensor.<dunder>` on `self`, if the release has it. */
function dunder(lib: TorchLibrary, name: string, self: TensorV, other: Value, at: Loc): Value | undefined {
  const m = tensorAttr(lib, self, name, at);
  return m && m.k === 'builtin' ? m.call(args([other]), at) : undefined;
}

/** `a op b` where an operand is a tensor; `op=` forms are in place on `a` when torch has an in-place dunder. */
export function tensorBinary(lib: TorchLibrary, op: string, a: Value, b: Value, at: Loc): Value | undefined {
  if (a.k === 'unknown') return a;
  if (b.k === 'unknown') return b;
  const inplace = op.endsWith('=') && !['==', '!=', '<=', '>='].includes(op);
  const name = DUNDER[inplace ? op.slice(0, -1) : op];
  if (!name) return lib.interp.fail(`operator ${op} on tensors is not modelled`, at);
  if ((name === 'eq' || name === 'ne') && (a.k === 'none' || b.k === 'none')) return bool(name === 'ne');
  if (a.k === 'tensor') {
    if (inplace) {
      const r = dunder(lib, `__i${name}__`, a, b, at);
      if (r) return r;
    }
    return dunder(lib, `__${name}__`, a, b, at) ?? lib.interp.fail(`operator ${op} between tensors is not modelled`, at);
  }
  if (b.k === 'tensor') {
    const swapped = SWAPPED[name];
    const r = swapped ? dunder(lib, `__${swapped}__`, b, a, at) : dunder(lib, `__r${name}__`, b, a, at);
    return r ?? lib.interp.fail(`operator ${op} with a tensor on the right is not modelled`, at);
  }
  return undefined;
}

export function tensorUnary(lib: TorchLibrary, op: string, a: Value, at: Loc): Value | undefined {
  if (a.k !== 'tensor') return undefined;
  const name = op === '-' ? '__neg__' : op === '+' ? '__pos__' : op === '~' ? '__invert__' : null;
  if (name === '__pos__') return a;
  const m = name ? tensorAttr(lib, a, name, at) : undefined;
  return m?.k === 'builtin' ? m.call(args([]), at) : lib.interp.fail(`unary ${op} on tensors is not modelled`, at);
}

/**
 * Whether a list index means a tuple of indices (`x[[slice(0, 3), 1]]` is `x[0:3, 1]`): NumPy's
 * legacy rule that torch keeps (python_variable_indexing.cpp `treatSequenceAsTuple`; deprecated
 * with a warning in 2.x): a list of fewer than 32 items holding a tensor, a sequence, a slice,
 * Ellipsis or None.
 */
function sequenceAsTuple(index: Value): boolean {
  if (index.k !== 'list' || index.items.length >= 32) return false;
  return index.items.some((x) => x.k === 'tensor' || x.k === 'list' || x.k === 'tuple' || x.k === 'slice' || x.k === 'none' || (x.k === 'str' && x.v === '...'));
}

/** A subscript as the kernels' index items; a list of ints becomes an int64 index tensor. */
function indexItems(lib: TorchLibrary, index: Value, at: Loc): IndexItem[] | Value {
  const items = index.k === 'tuple' || sequenceAsTuple(index) ? (index as { items: Value[] }).items : [index];
  const out: IndexItem[] = [];
  for (const it of items) {
    switch (it.k) {
      case 'unknown': return it;
      case 'num': out.push(it.v); break;
      case 'bool': out.push(it.v); break;
      case 'none': out.push(null); break;
      case 'str':
        return lib.interp.fail(`a string index ('${it.v}') is not valid for a tensor`, at);
      case 'slice': {
        const bounds: (number | null)[] = [];
        for (const v of [it.start, it.stop, it.step]) {
          if (v.k === 'none') bounds.push(null);
          else {
            const n = sliceBound(v);
            if (n === undefined) return v.k === 'unknown' ? v : lib.interp.fail(`a slice bound of type ${v.k} is not modelled`, at);
            bounds.push(n);
          }
        }
        out.push({ slice: bounds as [number | null, number | null, number | null] });
        break;
      }
      case 'instance':
        // `...` (Ellipsis), and objects that are ints (an IntEnum member).
        if (it.cls.builtinType === 'ellipsis') {
          out.push('...');
          break;
        }
        if (it.base?.k === 'num' && it.base.int) {
          out.push(it.base.v);
          break;
        }
        return lib.interp.fail(`index of type ${it.cls.name} is not modelled`, at);
      case 'tensor': out.push(it.t); break;
      case 'list': case 'tuple': {
        if (!it.items.every((x) => x.k === 'num' && x.int)) return lib.interp.fail('an index list must hold ints', at);
        out.push(lib.tracer.create('tensor', [it.items.length], 'int64', { values: it.items.map((x) => (x as { v: number }).v) }));
        break;
      }
      default: return lib.interp.fail(`index of type ${it.k} is not modelled`, at);
    }
  }
  return out;
}

/** `x[index]`. */
export function tensorSubscript(lib: TorchLibrary, x: TensorV, index: Value, at: Loc): Value {
  const items = indexItems(lib, index, at);
  if (!Array.isArray(items)) return items as Value;
  const row = tableRow('Tensor.__getitem__');
  if (row?.kind !== 'op') return lib.interp.fail('tensor indexing is not modelled', at);
  return runRule(lib, (a, call) => row.run(lib.tracer, { ...a, indices: items }, call), new Map<string, Value>([['self', x]]), { name: 'Tensor.__getitem__', aten: null }, at);
}

/** `x[index] = value`: a write into x's storage. */
export function tensorSetitem(lib: TorchLibrary, x: TensorV, index: Value, value: Value, at: Loc): Value {
  const items = indexItems(lib, index, at);
  if (!Array.isArray(items)) return items as Value;
  const row = tableRow('Tensor.__setitem__');
  if (row?.kind !== 'op') return lib.interp.fail('tensor item assignment is not modelled', at);
  const r = runRule(lib, (a, call) => row.run(lib.tracer, { ...a, indices: items }, call), new Map<string, Value>([['self', x], ['value', value]]), { name: 'Tensor.__setitem__', aten: null }, at);
  // Writing a tensor that needs grad into x makes x need grad.
  if (r.k === 'tensor' && r.t.requiresGrad && !x.t.requiresGrad) updateTensor(x, { ...x.t, requiresGrad: true, values: undefined });
  return r;
}

