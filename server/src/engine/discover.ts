// The analyzed file run as a script, as Python would run it, statement by statement, up to the
// first call of a model: the module body (not its whole training loop), its `if __name__ ==
// "__main__":` block, the `main()` that calls, the `train(model, loader)` that calls — each
// function entered with its arguments bound, each loop unrolled within the budget — until script
// code calls an nn.Module that has parameters (`model(x)`, `model.forward(x)`, `model(**batch)`,
// a call in a loop over a DataLoader, which yields one batch). That module is the model and the
// call's arguments are its inputs. Nothing runs for real: this is the abstract interpreter.

import type { Node } from '../python/parser';
import type { Interpreter, ScriptWatch } from '../interpreter/interpreter';
import { CONSTRUCTED_WITH } from '../interpreter/calls';
import { namedParameters } from '../interpreter/torch/nn';
import { Args, BudgetExceeded, InstanceV, Loc, ModuleV, Value, repr } from '../interpreter/values';

/** The model's call, as the script made it. */
export interface ScriptCall {
  model: InstanceV;
  args: Args;
  at: Loc;
}

/** A module script code built, and the expression that built it (`GPT(GPTConfig(n_layer=2, …))`). */
export interface BuiltModule {
  module: InstanceV;
  entry: string;
  at: Loc;
}

/** What running the file as a script found. */
export interface ScriptRun {
  mod: ModuleV | undefined;
  /** The first call of a model from script code, if it made one. */
  call: ScriptCall | null;
  /** Modules script code built, in order (each once). */
  built: BuiltModule[];
  /** Why the script stopped before calling a model, when it did not run to its end. */
  stopped: string | null;
}

/** Thrown from the watch to end the script at the model's call (caught by the module body). */
class ModelCalled {
  constructor(readonly call: ScriptCall) {}
}

/** Share of the analysis budget the script may use before it counts as not calling a model. */
const SCRIPT_SHARE = 0.7;

/**
 * Loads `file` as the module `name`, watching its script code: `__main__` runs its main block,
 * `__memlens__` (an entry given by a directive or --entry) only its module body, which still stops
 * at the first call of a model.
 */
export function runScript(interp: Interpreter, file: string, name: '__main__' | '__memlens__'): ScriptRun {
  const run: ScriptRun = { mod: undefined, call: null, built: [], stopped: null };
  const builtBy = new Map<InstanceV, BuiltModule>();
  const watch: ScriptWatch = {
    // A file run as a script: what its training code cannot evaluate changes no number unless the
    // model or its inputs are made of it. A model file (its entry given) reports everything.
    unknownsOutside: name === '__main__',
    moduleCalled(module, a, at) {
      // A parameterless module (a loss, an activation, a transform) is not the model.
      if (namedParameters(module).length === 0) return;
      throw new ModelCalled({ model: module, args: a, at });
    },
    moduleBuilt(module, node, fn, a, inFile) {
      const known = builtBy.get(module);
      // The outermost call in the analyzed file names it: `resnet18()`, not the `ResNet(...)` inside.
      if (known && (known.at.file === file || inFile !== file)) return;
      const named = (m: InstanceV) => builtBy.get(m)?.entry ?? null;
      const b: BuiltModule = { module, entry: entryText(node, fn, a, named), at: { file: inFile, line: node.startPosition.row + 1 } };
      builtBy.set(module, b);
      if (!known) run.built.push(b);
      else run.built[run.built.indexOf(known)] = b;
    },
  };
  const stopOn = (e: unknown): boolean => {
    if (e instanceof ModelCalled) {
      run.call = e.call;
      return true;
    }
    if (e instanceof BudgetExceeded) {
      run.stopped = `${e.message} (line ${e.at.line})`;
      return true;
    }
    return false;
  };
  interp.watchScript(watch);
  try {
    run.mod = interp.budget.share(SCRIPT_SHARE, 'the script ran out of its share of the time budget before calling a model', () => interp.loadFile(file, name, stopOn));
  } finally {
    interp.watchScript(null);
  }
  return run;
}

/**
 * The expression that built a module, with its arguments' values where they are plain Python
 * values (`model.RNNModel('LSTM', 600, 64, 64, 2, 0.2, False)`, a dataclass config as
 * `GPTConfig(n_layer=2, …)` with its non-default fields) or modules the script built (`named`),
 * else as written.
 */
function entryText(node: Node, fn: Value, a: Args, named: (m: InstanceV) => string | null): string {
  // A callee picked at run time (`models.__dict__[args.arch]`) is named by what it picked.
  const written = node.childForFieldName('function')?.text ?? '?';
  const callee = /^[\w.]+$/.test(written) || (fn.k !== 'class' && fn.k !== 'func') ? written : fn.name;
  const argNodes = (node.childForFieldName('arguments')?.namedChildren ?? []).filter((c): c is Node => !!c && c.type !== 'comment');
  const splat = argNodes.some((c) => c.type === 'list_splat' || c.type === 'dictionary_splat');
  const parts: string[] = [];
  const posNodes = argNodes.filter((c) => c.type !== 'keyword_argument');
  a.pos.forEach((v, i) => {
    const text = literal(v, 0, named) ?? (splat ? null : posNodes[i]?.text ?? null);
    parts.push(text ?? '…');
  });
  for (const [k, v] of a.kw) {
    const written = argNodes.find((c) => c.type === 'keyword_argument' && c.childForFieldName('name')?.text === k)?.childForFieldName('value')?.text;
    parts.push(`${k}=${literal(v, 0, named) ?? written ?? '…'}`);
  }
  if (parts.includes('…') && !splat && callee === written) return node.text.replace(/\s+/g, ' ');
  return `${callee}(${parts.join(', ')})`;
}

/** A plain Python value as source text (numbers, strings, None, tuples, lists, dicts, dataclass configs, classes, built modules). */
function literal(v: Value, depth: number, named: (m: InstanceV) => string | null): string | null {
  if (depth > 4) return null;
  switch (v.k) {
    case 'str':
      return `'${v.v.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
    case 'none': case 'bool': case 'num':
      return repr(v);
    case 'dtype':
      return `torch.${v.v}`;
    case 'class':
      return v.name;
    case 'tuple': case 'list': {
      const items = v.items.map((x) => literal(x, depth + 1, named));
      if (items.some((x) => x === null)) return null;
      return v.k === 'tuple' ? `(${items.join(', ')}${items.length === 1 ? ',' : ''})` : `[${items.join(', ')}]`;
    }
    case 'dict': {
      const entries = [...v.map.values()].map(([k, x]) => [literal(k, depth + 1, named), literal(x, depth + 1, named)]);
      if (entries.some(([k, x]) => k === null || x === null)) return null;
      return `{${entries.map(([k, x]) => `${k}: ${x}`).join(', ')}}`;
    }
    case 'instance': {
      if (v.module) return named(v);
      const fields = v.cls.dataclassFields;
      // As it was constructed (what the script wrote, `**kwargs` expanded), keywords in field order.
      const made = CONSTRUCTED_WITH.get(v);
      if (made) {
        const order = (k: string) => {
          const i = fields?.findIndex((f) => f.name === k) ?? -1;
          return i < 0 ? Infinity : i;
        };
        const pos = made.pos.map((x) => literal(x, depth + 1, named));
        const kw = [...made.kw].sort(([a], [b]) => order(a) - order(b)).map(([k, x]) => [k, literal(x, depth + 1, named)] as const);
        if (pos.every((x) => x !== null) && kw.every(([, x]) => x !== null)) return `${v.cls.name}(${[...pos, ...kw.map(([k, x]) => `${k}=${x}`)].join(', ')})`;
      }
      if (!fields) return null;
      const parts: string[] = [];
      for (const f of fields) {
        const x = v.attrs.get(f.name);
        if (x === undefined) return null;
        const text = literal(x, depth + 1, named);
        if (text === null) return null;
        if (f.dflt === undefined || literal(f.dflt, depth + 1, named) !== text) parts.push(`${f.name}=${text}`);
      }
      return `${v.cls.name}(${parts.join(', ')})`;
    }
    default:
      return null;
  }
}
