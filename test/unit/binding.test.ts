// The one argument binder: Python functions (parameters read from their `def`), catalogued torch
// callables. Bound values by name, and the TypeError CPython 3.11 raises for each refused call.
import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Parameter, bindArguments, bindCatalog, parametersOf } from '../../server/src/interpreter/binding';
import { Args, PyException, Value, args, int, repr, str } from '../../server/src/interpreter/values';
import { Node, loadPythonParser, parsePython, syntaxRoot } from '../../server/src/python/parser';

before(async () => {
  await loadPythonParser();
});

const at = { file: 'model.py', line: 1 };

/** The `def` (or `lambda`) of a one-line source. */
function definition(src: string): Node {
  const root = syntaxRoot(parsePython(src));
  const find = (n: Node): Node | null => {
    if (n.type === 'function_definition' || n.type === 'lambda') return n;
    for (const c of n.namedChildren) {
      const found = c ? find(c) : null;
      if (found) return found;
    }
    return null;
  };
  return find(root)!;
}

/** Binds a call of a Python function; defaults render as `<name default>`. */
function bindPython(src: string, a: Args): Record<string, string> {
  const params = parametersOf(definition(src));
  const bound = bindArguments('f', params, a, at, (p) => str(`<${p.name} default>`));
  return Object.fromEntries([...bound].map(([k, v]) => [k, repr(v)]));
}

function typeErrorOf(bind: () => unknown): string {
  try {
    bind();
  } catch (e) {
    assert.ok(e instanceof PyException && e.type === 'TypeError', String(e));
    return e.message;
  }
  assert.fail('the call was bound');
}

const kw = (entries: Record<string, Value>): ReadonlyMap<string, Value> => new Map(Object.entries(entries));

describe('parametersOf: a def read once into the binder’s parameter form', () => {
  const cases: [string, string, [string, Parameter['kind'], boolean | undefined][]][] = [
    ['every kind', 'def f(a, /, b, c=1, *args, d, e=2, **kw): pass', [
      ['a', 'positional', true], ['b', 'normal', true], ['c', 'normal', false], ['args', 'varargs', undefined],
      ['d', 'keyword', true], ['e', 'keyword', false], ['kw', 'varkw', undefined],
    ]],
    ['annotations', 'def f(x: int, y: float = 1.0, *rest: int, **opts: str): pass', [
      ['x', 'normal', true], ['y', 'normal', false], ['rest', 'varargs', undefined], ['opts', 'varkw', undefined],
    ]],
    ['bare star', 'def f(self, *, scale=2): pass', [['self', 'normal', true], ['scale', 'keyword', false]]],
    ['lambda', 'g = lambda x, y=1: x', [['x', 'normal', true], ['y', 'normal', false]]],
  ];
  for (const [name, src, expected] of cases) {
    it(name, () => assert.deepEqual(parametersOf(definition(src)).map((p) => [p.name, p.kind, p.required]), expected));
  }

  it('is cached per function node', () => {
    const node = definition('def f(a, b): pass');
    assert.equal(parametersOf(node), parametersOf(node));
  });
});

describe('bindArguments: values by parameter', () => {
  const signature = 'def f(a, b=2, *args, c, d=4, **kw): pass';
  const cases: [string, Args, Record<string, string>][] = [
    ['positional, *args, keyword-only, **kwargs', args([int(1), int(5), int(6), int(7)], kw({ c: int(3), e: int(8) })),
      { a: '1', b: '5', args: '(6, 7)', c: '3', d: '"<d default>"', kw: '{"e": 8}' }],
    ['keywords fill positional parameters; defaults fill the rest', args([], kw({ c: int(3), a: int(1) })),
      { a: '1', b: '"<b default>"', args: '()', c: '3', d: '"<d default>"', kw: '{}' }],
  ];
  for (const [name, a, expected] of cases) it(name, () => assert.deepEqual(bindPython(signature, a), expected));
});

describe('bindArguments: refused calls raise the TypeError Python raises', () => {
  const cases: [string, string, Args, string][] = [
    ['two missing', 'def f(a, b, c=1): pass', args([]), "f() missing 2 required positional arguments: 'a' and 'b'"],
    ['three missing', 'def f(a, b, c): pass', args([]), "f() missing 3 required positional arguments: 'a', 'b', and 'c'"],
    ['keyword-only missing', 'def f(a, *, b): pass', args([int(1)]), "f() missing 1 required keyword-only argument: 'b'"],
    ['too many, with defaults', 'def f(a, b, c=1): pass', args([int(1), int(2), int(3), int(4)]), 'f() takes from 2 to 3 positional arguments but 4 were given'],
    ['too many', 'def f(x): pass', args([int(1), int(2)]), 'f() takes 1 positional argument but 2 were given'],
    ['none taken', 'def f(): pass', args([int(1)]), 'f() takes 0 positional arguments but 1 was given'],
    ['keyword-only given positionally', 'def f(a, *, b): pass', args([int(1), int(2)]), 'f() takes 1 positional argument but 2 were given'],
    ['unexpected keyword', 'def f(a, b): pass', args([int(1), int(2)], kw({ d: int(3) })), "f() got an unexpected keyword argument 'd'"],
    ['multiple values', 'def f(a, b): pass', args([int(1), int(2)], kw({ a: int(3) })), "f() got multiple values for argument 'a'"],
    // CPython checks keywords before counting positional arguments, and both before missing ones.
    ['keywords first', 'def f(a): pass', args([int(1), int(2)], kw({ z: int(3) })), "f() got an unexpected keyword argument 'z'"],
  ];
  for (const [name, src, a, message] of cases) it(name, () => assert.equal(typeErrorOf(() => bindPython(src, a)), `TypeError: ${message}`));
});

describe('bindCatalog: catalogued torch signatures', () => {
  const cat: Parameter[] = [
    { name: 'tensors', kind: 'normal', required: true },
    { name: 'dim', kind: 'normal', default: 0 },
    { name: 'out', kind: 'keyword', default: null },
  ];
  it('defaults come from the catalog’s JSON', () => {
    const bound = bindCatalog('torch.cat', cat, args([str('xs')]), at);
    assert.deepEqual([...bound].map(([k, v]) => [k, repr(v)]), [['tensors', '"xs"'], ['dim', '0'], ['out', 'None']]);
  });
  it('refusals read like Python’s', () => {
    assert.equal(typeErrorOf(() => bindCatalog('torch.cat', cat, args([]), at)), "TypeError: torch.cat() missing 1 required positional argument: 'tensors'");
    assert.equal(typeErrorOf(() => bindCatalog('torch.cat', cat, args([str('xs'), int(1), int(2)]), at)), 'TypeError: torch.cat() takes from 1 to 2 positional arguments but 3 were given');
  });
});
