// The torch namespaces a model file imports, built from the release's catalog: every catalogued
// callable is present (so `hasattr(F, "scaled_dot_product_attention")` answers as that release
// would), and calling one runs the op table — or, when the table has no rule for it, yields an
// unknown that names the op. Names that are not ops (grad modes, autocast, dtypes, devices)
// come from runtime.ts.
import { PythonEntry } from '../../../../kernels/src';
import { ModuleV, Value, builtin } from '../values';
import type { TorchLibrary } from './library';
import { callCatalogued } from './ops';

/** Catalog prefixes and the Python module each lives in. */
const MODULES: readonly (readonly [string, string])[] = [
  ['F.', 'torch.nn.functional'],
  ['torch.fft.', 'torch.fft'],
  ['torch.linalg.', 'torch.linalg'],
  ['torch.special.', 'torch.special'],
  ['torch.', 'torch'],
];

/** A builtin that calls catalogued `name`. */
export function catalogFunction(lib: TorchLibrary, name: string, entry: PythonEntry): Value {
  return builtin(name, (a, at) => callCatalogued(lib, name, entry, a, at));
}

/** The namespaces' callables, by module: `torch.nn.functional` → { relu: …, … }. */
export function catalogNamespaces(lib: TorchLibrary): Map<string, Map<string, Value>> {
  const out = new Map<string, Map<string, Value>>(MODULES.map(([, m]) => [m, new Map()]));
  for (const [name, entry] of lib.entries()) {
    if (entry.kind !== 'function') continue;
    const home = MODULES.find(([prefix]) => name.startsWith(prefix));
    if (!home) continue;
    const short = name.slice(home[0].length);
    if (short.includes('.')) continue;
    out.get(home[1])!.set(short, catalogFunction(lib, name, entry));
  }
  return out;
}

export function namespace(lib: TorchLibrary, name: string, entries: ReadonlyMap<string, Value>): ModuleV {
  return lib.ns(name, Object.fromEntries(entries));
}
