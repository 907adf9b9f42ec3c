// How much of a release's torch surface the op table models: every catalogued name, whether a
// rule runs it (its own row, or the row of the aten op each overload calls), grouped the way the
// coverage targets are stated (nn layers, F functions, differentiable torch/Tensor ops).
import { Catalog, PythonEntry } from './catalog';
import { atenRow, tableRow } from './dispatch';
import './table';

export type Coverage = 'modelled' | 'partly' | 'not modelled';

/**
 * nn classes the interpreter itself models (module bookkeeping, not ops): containers, the base
 * class and parameters.
 */
export const INTERPRETER_MODELLED: ReadonlySet<string> = new Set(['nn.Module', 'nn.ModuleDict', 'nn.ModuleList', 'nn.Parameter', 'nn.ParameterDict', 'nn.ParameterList', 'nn.Sequential']);

/**
 * torch.nn.functional helpers that are not operators: the `__torch_function__` protocol
 * (`has_torch_function*`, `handle_torch_function`) and definition-time utilities
 * (`boolean_dispatch`, `assert_int_or_pair`). Coverage leaves them out of its counts.
 */
export const NOT_OPS: ReadonlySet<string> = new Set([
  'F.assert_int_or_pair', 'F.boolean_dispatch', 'F.handle_torch_function', 'F.has_torch_function', 'F.has_torch_function_unary', 'F.has_torch_function_variadic',
]);

/** Whether `name` (a catalogued Python name) runs a rule for all, some or none of its overloads. */
export function coverageOf(name: string, entry: PythonEntry): Coverage {
  if (tableRow(name) || INTERPRETER_MODELLED.has(name)) return 'modelled';
  if (entry.kind === 'module' || entry.kind === 'property') return 'not modelled';
  const overloads = entry.overloads ?? [];
  const ok = overloads.filter((o) => o.aten && atenRow(o.aten)).length;
  if (ok === 0) return 'not modelled';
  return ok === overloads.length ? 'modelled' : 'partly';
}

export interface CoverageGroup {
  readonly group: string;
  readonly total: number;
  readonly modelled: number;
  readonly partly: number;
  readonly missing: string[];
}

/** Differentiable: some overload calls an aten op that has a derivatives.yaml entry (or decomposes into ops that do). */
function differentiable(c: Catalog, entry: PythonEntry): boolean {
  return (entry.overloads ?? []).some((o) => {
    const a = o.aten ? c.aten[o.aten] : undefined;
    return !!a && (!!a.derivative || !!a.composite);
  });
}

/** Coverage of a release's catalog, by group. */
export function coverageReport(c: Catalog): CoverageGroup[] {
  const groups = new Map<string, CoverageGroup>();
  const add = (group: string, name: string, cov: Coverage) => {
    const g = groups.get(group) ?? { group, total: 0, modelled: 0, partly: 0, missing: [] };
    groups.set(group, { ...g, total: g.total + 1, modelled: g.modelled + (cov === 'modelled' ? 1 : 0), partly: g.partly + (cov === 'partly' ? 1 : 0), missing: cov === 'not modelled' ? [...g.missing, name] : g.missing });
  };
  for (const [name, entry] of Object.entries(c.python)) {
    if (NOT_OPS.has(name)) continue;
    const cov = coverageOf(name, entry);
    if (entry.kind === 'module') add('nn layers', name, cov);
    else if (name.startsWith('F.')) add('torch.nn.functional', name, cov);
    else if (entry.kind === 'property') add('Tensor properties', name, cov);
    else if (differentiable(c, entry)) add(name.startsWith('Tensor.') ? 'differentiable Tensor methods' : 'differentiable torch functions', name, cov);
    else add(name.startsWith('Tensor.') ? 'other Tensor methods' : 'other torch functions', name, cov);
  }
  return [...groups.values()];
}
