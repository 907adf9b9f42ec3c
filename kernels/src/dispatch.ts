// How a row of the op table runs, and how one rule calls another aten op (F.relu runs aten
// relu or relu_; linear runs addmm or matmul) — through the table, so each op has one rule.
import type { KernelArgs } from './args';
import { atenBase } from './catalog';
import { isTensor } from './common';
import type { LayerRule } from './layer';
import { Graph, KernelError, KResult, OpCall, Tensor } from './types';

/** A rule for a Python callable or an aten op: schema- (or Python-) named arguments in, a result out. */
export type OpRule = (g: Graph, a: KernelArgs, call: OpCall) => KResult;

/** A tensor property (`x.T`, `x.shape`). */
export type PropertyRule = (g: Graph, self: Tensor) => KResult;

export type TableRow =
  | { readonly kind: 'op'; readonly run: OpRule; readonly inplace?: boolean }
  | { readonly kind: 'property'; readonly get: PropertyRule }
  | { readonly kind: 'layer'; readonly layer: LayerRule };

/** An op row; `inplace`: the rule also runs the op's in-place variant (`abs_` for `abs`). */
export const op = (run: OpRule, options: { inplace?: boolean } = {}): TableRow => ({ kind: 'op', run, inplace: options.inplace });
export const prop = (get: PropertyRule): TableRow => ({ kind: 'property', get });
export const layer = (l: LayerRule): TableRow => ({ kind: 'layer', layer: l });

let rows: ReadonlyMap<string, TableRow> = new Map();

/** Installed once by table.ts (which imports every family; families call back through here). */
export function installTable(table: ReadonlyMap<string, TableRow>): void {
  rows = table;
}

export function tableRow(name: string): TableRow | undefined {
  return rows.get(name);
}

/**
 * The row that runs an aten overload: `aten.<name>.<overload>`, else `aten.<name>`, else for an
 * in-place `<name>_` the functional row when it handles in-place variants.
 */
export function atenRow(overload: string): Extract<TableRow, { kind: 'op' }> | undefined {
  const base = atenBase(overload);
  const found = rows.get(`aten.${overload}`) ?? rows.get(`aten.${base}`);
  if (found?.kind === 'op') return found;
  if (base.endsWith('_')) {
    const functional = rows.get(`aten.${base.slice(0, -1)}`);
    if (functional?.kind === 'op' && functional.inplace) return functional;
  }
  return undefined;
}

/** Runs aten `overload` with schema-named arguments through its row. */
export function callAten(g: Graph, overload: string, args: KernelArgs): KResult {
  const row = atenRow(overload);
  if (!row) throw new KernelError(atenBase(overload), `aten::${overload} is not modelled yet`);
  return row.run(g, args, { name: `aten.${overload}`, aten: overload });
}

/** `callAten` for ops that return one tensor. */
export function atenTensor(g: Graph, overload: string, args: KernelArgs): Tensor {
  const r = callAten(g, overload, args);
  if (!isTensor(r)) throw new KernelError(atenBase(overload), 'expected a tensor result');
  return r;
}

/** Runs a Python-level row (`F.relu`, `torch.einsum`) with Python-named arguments; `callValue` calls Python callables among them. */
export function callPython(g: Graph, name: string, args: KernelArgs, callValue?: OpCall['callValue']): KResult {
  const row = rows.get(name);
  if (row?.kind !== 'op') throw new KernelError(name, `${name}() is not modelled yet`);
  return row.run(g, args, { name, aten: null, callValue });
}
