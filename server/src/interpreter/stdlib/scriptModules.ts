// The standard-library module training scripts configure themselves with: argparse (the script
// runs with no command-line arguments, so `args.batch_size` is its default).

import { Parameter, bindGiven } from '../binding';
import type { TorchLibrary } from '../torch/library';
import { Args, ClassV, InstanceV, Loc, NONE, Value, builtin, bool, list, str, tuple } from '../values';
import { pyClass } from './builtins';

function nativeClass(name: string, init: (self: InstanceV, a: Args, at: Loc) => void, attr?: (self: InstanceV, name: string) => Value | undefined): ClassV {
  return { k: 'class', name, bases: [], attrs: new Map(), native: { init: (self, a, at) => init(self, a, at), attr: attr && ((self, n) => attr(self, n)) }, loc: null };
}

/** `--batch-size` → `batch_size`, as argparse derives `dest`. */
function destOf(names: readonly Value[]): string | null {
  const flags = names.flatMap((n) => (n.k === 'str' ? [n.v] : []));
  const long = flags.find((f) => f.startsWith('--')) ?? flags.find((f) => f.startsWith('-'));
  const name = long ? long.replace(/^-+/, '') : flags[0];
  return name ? name.replace(/-/g, '_') : null;
}

const ADD_ARGUMENT: readonly Parameter[] = [
  { name: 'names', kind: 'varargs' },
  ...['action', 'nargs', 'const', 'default', 'type', 'choices', 'required', 'help', 'metavar', 'dest'].map((name): Parameter => ({ name, kind: 'keyword' })),
  { name: 'kwargs', kind: 'varkw' },
];

/** `argparse`: parsers keep each argument's default; `parse_args()` returns them in a Namespace. */
function argparseModule(lib: TorchLibrary): Value {
  const namespace = nativeClass('Namespace', (self, a) => {
    for (const [k, v] of a.kw) self.attrs.set(k, v);
  });
  const makeNamespace = (values: ReadonlyMap<string, Value>): InstanceV => ({ k: 'instance', cls: namespace, attrs: new Map(values), id: lib.interp.newInstanceId() });
  // The defaults of each parser (argument groups share their parser's).
  const defaultsOf = new WeakMap<InstanceV, Map<string, Value>>();
  const parser: ClassV = nativeClass('ArgumentParser', (self) => defaultsOf.set(self, new Map()), (self, name) => {
    const defaults = defaultsOf.get(self)!;
    const m = (fn: (a: Args, at: Loc) => Value) => builtin(`ArgumentParser.${name}`, fn);
    switch (name) {
      case 'add_argument':
        return m((a, at) => {
          const b = bindGiven('add_argument', ADD_ARGUMENT, a, at);
          const names = b.get('names');
          const dest = b.get('dest')?.k === 'str' ? (b.get('dest') as { v: string }).v : destOf(names?.k === 'tuple' ? names.items : []);
          if (!dest) return NONE;
          defaults.set(dest, defaultValue(lib, b, dest, at));
          return NONE;
        });
      case 'set_defaults':
        return m((a) => {
          for (const [k, v] of a.kw) defaults.set(k, v);
          return NONE;
        });
      case 'get_default':
        return m((a) => (a.pos[0]?.k === 'str' ? defaults.get(a.pos[0].v) ?? NONE : NONE));
      case 'add_argument_group': case 'add_mutually_exclusive_group':
        return m(() => self);
      case 'parse_args':
        return m(() => makeNamespace(defaults));
      case 'parse_known_args':
        return m(() => tuple([makeNamespace(defaults), list([])]));
      case 'print_help': case 'print_usage': case 'error': case 'exit':
        return m(() => NONE);
      default:
        return undefined;
    }
  });
  const formatter = (name: string) => pyClass(name);
  return lib.ns('argparse', {
    ArgumentParser: parser,
    Namespace: namespace,
    HelpFormatter: formatter('HelpFormatter'),
    ArgumentDefaultsHelpFormatter: formatter('ArgumentDefaultsHelpFormatter'),
    RawTextHelpFormatter: formatter('RawTextHelpFormatter'),
    RawDescriptionHelpFormatter: formatter('RawDescriptionHelpFormatter'),
    BooleanOptionalAction: formatter('BooleanOptionalAction'),
    SUPPRESS: str('==SUPPRESS=='),
  });
}

/** The value an argument has when the command line does not give it. */
function defaultValue(lib: TorchLibrary, b: ReadonlyMap<string, Value | undefined>, dest: string, at: Loc): Value {
  const action = b.get('action');
  const given = b.get('default');
  if (given !== undefined) {
    // argparse converts a string default with the argument's type.
    const type = b.get('type');
    if (given.k === 'str' && type && (type.k === 'builtin' || type.k === 'class')) return lib.interp.guarded(() => lib.interp.call(type, { pos: [given], kw: new Map() }, at));
    return given;
  }
  if (action?.k === 'str') {
    if (action.v === 'store_true') return bool(false);
    if (action.v === 'store_false') return bool(true);
  }
  const required = b.get('required');
  const names = b.get('names');
  const positional = names?.k === 'tuple' && names.items.every((n) => n.k === 'str' && !n.v.startsWith('-'));
  const nargs = b.get('nargs');
  if ((required?.k === 'bool' && required.v) || (positional && !(nargs?.k === 'str' && (nargs.v === '?' || nargs.v === '*')))) {
    return lib.interp.fail(`the command-line argument '${dest}' is required and has no default`, at);
  }
  return NONE;
}

/** The modules of this file, by name. */
export function scriptModules(lib: TorchLibrary): Map<string, Value> {
  // os, os.path, itertools and contextlib are systemModules.ts's (lazy iterators: a training loop's
  // `itertools.count()` runs only until the model's call).
  return new Map<string, Value>([['argparse', argparseModule(lib)]]);
}
