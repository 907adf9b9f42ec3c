// Calls of catalogued torch callables: the Python argument parser's overload choice (by arity,
// keywords and argument types, kernels/catalog), then the op table's rule — the Python name's
// own row, else the row of the aten op the chosen overload calls. Every op is recorded by a
// kernel rule; nothing here records one.
import {
  CatalogOverload, CatalogParam, KernelError, KResult, OpCall, PythonEntry, atenEntry, atenRow, schemaOf, tableRow, withPyFloats,
} from '../../../../kernels/src';
import { bindCatalog } from '../binding';
import { Args, Loc, PyException, UnknownV, Value, args, repr } from '../values';
import { UnknownArgument, fromKernel, toKernel } from './convert';
import type { TorchLibrary } from './library';

/**
 * aten ops whose Tensor parameters also take Python numbers (torch/csrc/utils/python_arg_parser.cpp
 * `should_allow_numbers_as_tensors`): `x * 0.5` binds `mul.Tensor` with a wrapped number.
 */
const NUMBERS_AS_TENSORS = new Set(['add', 'add_', 'div', 'div_', 'divide', 'divide_', 'mul', 'mul_', 'multiply', 'multiply_', 'sub', 'sub_', 'subtract', 'subtract_', 'true_divide', 'true_divide_', 'floor_divide', 'floor_divide_', 'to', '_to_copy', 'copy_', 'copy', '_conj']);

const isInt = (v: Value) => (v.k === 'num' && v.int) || (v.k === 'tensor' && v.t.shape.length === 0 && v.t.values !== undefined && !v.t.dtype.startsWith('float'));
const isNumber = (v: Value) => v.k === 'num' || v.k === 'bool' || (v.k === 'tensor' && v.t.shape.length === 0);

/** Whether a value fits a parameter of the Python argument parser's type (None fits a parameter whose default is None). */
function fits(p: CatalogParam, v: Value, numbersAsTensors: boolean): boolean {
  const type = p.type;
  if (!type) return true;
  const optional = type.endsWith('?');
  if (v.k === 'none') return optional || type === 'Tensor?[]' || (!p.required && p.default === null);
  const t = optional ? type.slice(0, -1) : type;
  const seq = v.k === 'tuple' || v.k === 'list' ? v.items : null;
  const sized = /\[\d+\]$/.test(t);
  if (t === 'Tensor') return v.k === 'tensor' || (numbersAsTensors && (v.k === 'num' || v.k === 'bool'));
  if (t === 'Scalar') return isNumber(v);
  if (t === 'int' || t === 'SymInt') return isInt(v) || v.k === 'bool';
  if (t === 'float' || t === 'double') return v.k === 'num' || v.k === 'bool';
  if (t === 'bool') return v.k === 'bool' || (v.k === 'num' && v.int);
  if (t === 'str' || t === 'c10::string_view') return v.k === 'str';
  if (t === 'ScalarType') return v.k === 'dtype';
  if (t === 'Dimname') return v.k === 'str';
  // Devices are strings, indices or torch.device objects; layouts, memory formats and generators are objects.
  if (t === 'Device') return v.k === 'str' || v.k === 'num' || v.k === 'instance';
  if (t === 'Layout' || t === 'MemoryFormat' || t === 'Generator') return v.k === 'instance' || v.k === 'str';
  if (t.startsWith('int[') || t.startsWith('SymInt[')) return seq ? seq.every(isInt) : sized && isInt(v);
  if (t.startsWith('float[')) return seq ? seq.every((x) => x.k === 'num') : sized && v.k === 'num';
  if (t.startsWith('bool[')) return seq ? seq.every((x) => x.k === 'bool') : false;
  if (t.startsWith('Scalar[')) return seq ? seq.every(isNumber) : false;
  if (t === 'Tensor[]' || t === 'Tensor?[]') return !!seq && seq.every((x) => x.k === 'tensor' || (t === 'Tensor?[]' && x.k === 'none'));
  if (t.startsWith('Dimname[')) return !!seq && seq.every((x) => x.k === 'str');
  return true;
}

/** The first unknown among the call's arguments (nested in lists too), if any. */
function firstUnknown(vs: Iterable<Value>): UnknownV | undefined {
  for (const v of vs) {
    if (v.k === 'unknown') return v;
    if (v.k === 'tuple' || v.k === 'list') {
      const u = firstUnknown(v.items);
      if (u) return u;
    }
  }
  return undefined;
}

/** Overloads in the order the argument parser tries them: current signatures before deprecated ones. */
function ordered(entry: PythonEntry): readonly (CatalogOverload & { deprecated?: boolean })[] {
  const all = (entry.overloads ?? []) as readonly (CatalogOverload & { deprecated?: boolean })[];
  return [...all.filter((o) => !o.deprecated), ...all.filter((o) => o.deprecated)];
}

/** `x.view(2, 3)` for `view(SymInt[] size)`: several positional values fill the one list parameter. */
function packVarargs(ov: CatalogOverload, a: Args): Args {
  if (!ov.varargs || a.pos.length === 0) return a;
  const first = a.pos[0];
  if (a.pos.length === 1 && first.k !== 'num' && first.k !== 'bool' && first.k !== 'tensor') return a;
  return { pos: [{ k: 'tuple', items: a.pos }], kw: a.kw };
}

interface Chosen {
  readonly overload: CatalogOverload;
  readonly bound: Map<string, Value>;
}

/** The overload the argument parser picks, or the reason none fits. */
function choose(name: string, entry: PythonEntry, a: Args, at: Loc): Chosen | string {
  const reasons: string[] = [];
  for (const ov of ordered(entry)) {
    const numbers = !!ov.aten && NUMBERS_AS_TENSORS.has(ov.aten.split('.')[0]);
    let bound: Map<string, Value>;
    try {
      bound = bindCatalog(name, ov.params as CatalogParam[], packVarargs(ov, a), at);
    } catch (e) {
      if (e instanceof PyException) {
        reasons.push(e.message);
        continue;
      }
      throw e;
    }
    // Python-defined callables take whatever they are given; only C++ bindings check types.
    const misfit = entry.python ? undefined : (ov.params as CatalogParam[]).find((p) => bound.has(p.name) && !fits(p, bound.get(p.name)!, numbers));
    if (misfit) {
      reasons.push(`argument '${misfit.name}' must be ${misfit.type}, not ${repr(bound.get(misfit.name)!)}`);
      continue;
    }
    return { overload: ov, bound };
  }
  return reasons[reasons.length - 1] ?? 'no signature';
}

/**
 * The aten schema's names for the bound arguments: Python functions call the tensor `input`
 * where the schema says `self`; a method's receiver is the schema's first tensor argument.
 */
function schemaArgs(overload: string, bound: ReadonlyMap<string, Value>, self: Value | undefined, lib: TorchLibrary): Map<string, Value> {
  const entry = atenEntry(lib.tracer.ctx.torch, overload);
  const names = entry ? schemaOf(entry.schema).args.map((x) => x.name) : [];
  const out = new Map(bound);
  if (out.has('input') && !names.includes('input') && names.includes('self')) {
    out.set('self', out.get('input')!);
    out.delete('input');
  }
  if (self) out.set(names.includes('self') || names.length === 0 ? 'self' : names[0], self);
  return out;
}

/** A Python float, or a list or tuple holding one. */
const holdsFloat = (v: Value): boolean => (v.k === 'num' && !v.int) || ((v.k === 'list' || v.k === 'tuple') && v.items.some(holdsFloat));

/** Runs a table rule on converted arguments; a broken constraint is an unknown naming the op. */
export function runRule(lib: TorchLibrary, run: (args: Record<string, unknown>, call: OpCall) => KResult, bound: ReadonlyMap<string, Value>, call: OpCall, at: Loc): Value {
  const args: Record<string, unknown> = {};
  const floats = new Set<string>();
  try {
    for (const [k, v] of bound) {
      args[k] = toKernel(v);
      if (holdsFloat(v)) floats.add(k);
    }
    return fromKernel(run(withPyFloats(args, floats), call));
  } catch (e) {
    if (e instanceof UnknownArgument) return e.value;
    if (e instanceof KernelError) return lib.interp.fail(e.message, at, 'error');
    throw e;
  }
}

/**
 * An aten op whose schema names its returns (`linalg_svd -> (Tensor U, Tensor S, Tensor Vh)`,
 * `max.dim -> (Tensor values, Tensor indices)`) returns a named tuple in Python (`torch.return_types`):
 * the result tuple gets those field names, so `torch.linalg.eigh(A).eigenvalues` works.
 */
function named(v: Value, overload: string | null | undefined, lib: TorchLibrary): Value {
  if (v.k !== 'tuple' || v.fields || !overload) return v;
  const entry = atenEntry(lib.tracer.ctx.torch, overload);
  const returns = entry ? schemaOf(entry.schema).returns : [];
  if (returns.length !== v.items.length || returns.length < 2 || returns.some((r) => !r.name)) return v;
  return { ...v, fields: returns.map((r) => r.name!) };
}

/** Calls catalogued `name` (`torch.cat`, `F.relu`, `Tensor.view` with `self`). */
export function callCatalogued(lib: TorchLibrary, name: string, entry: PythonEntry, a: Args, at: Loc, self?: Value): Value {
  const u = firstUnknown([...(self ? [self] : []), ...a.pos, ...a.kw.values()]);
  if (u) return u;
  const chosen = choose(name, entry, a, at);
  if (typeof chosen === 'string') return lib.interp.fail(`${name}(): ${chosen}`, at);
  const { overload, bound } = chosen;
  const row = tableRow(name);
  if (row?.kind === 'op') {
    if (self) bound.set('self', self);
    const callValue = (fn: unknown, pos: readonly unknown[], kw: Readonly<Record<string, unknown>> = {}): KResult =>
      toKernel(lib.interp.call(fn as Value, args(pos.map((x) => fromKernel(x)), new Map(Object.entries(kw).map(([k, x]) => [k, fromKernel(x)]))), at)) as KResult;
    return named(runRule(lib, (a, call) => row.run(lib.tracer, a, call), bound, { name, aten: overload.aten ?? null, callValue }, at), overload.aten, lib);
  }
  if (overload.aten) {
    const aten = atenRow(overload.aten);
    if (aten) return named(runRule(lib, (args, call) => aten.run(lib.tracer, args, call), schemaArgs(overload.aten, bound, self, lib), { name, aten: overload.aten }, at), overload.aten, lib);
    return lib.interp.fail(`${name}() is not modelled yet (aten::${overload.aten})`, at);
  }
  return lib.interp.fail(`${name}() is not modelled yet`, at);
}
