// `inspect.signature` over Python functions of the analyzed files: torchvision's model builders
// are wrapped by decorators that read their own signature (keyword-only parameters) to remap
// positional arguments.
import { Parameter, parametersOf } from '../binding';
import type { TorchLibrary } from '../torch/library';
import { ClassV, DictV, InstanceV, ModuleV, NONE, PyException, Value, bool, builtin, classAttr, int, mro, repr, str } from '../values';
import { annotationsDict, classAnnotations } from '../classes';
import { evalSource } from '../expressions';
import { functionFacts } from '../statements';
import { pyClass } from './builtins';

/** `inspect.Parameter.kind` values (Python's `_ParameterKind`). */
const KINDS = { POSITIONAL_ONLY: 0, POSITIONAL_OR_KEYWORD: 1, VAR_POSITIONAL: 2, KEYWORD_ONLY: 3, VAR_KEYWORD: 4 } as const;
const KIND_OF: Record<Parameter['kind'], number> = {
  positional: KINDS.POSITIONAL_ONLY, normal: KINDS.POSITIONAL_OR_KEYWORD, varargs: KINDS.VAR_POSITIONAL, keyword: KINDS.KEYWORD_ONLY, varkw: KINDS.VAR_KEYWORD,
};

export function inspectModule(lib: TorchLibrary): ModuleV {
  const empty = pyClass('_empty');
  const parameterCls = pyClass('Parameter');
  for (const [k, v] of Object.entries(KINDS)) parameterCls.attrs.set(k, int(v));
  parameterCls.attrs.set('empty', empty);
  const signatureCls = pyClass('Signature');
  signatureCls.attrs.set('empty', empty);

  const instance = (cls: ClassV, attrs: [string, Value][]): InstanceV => ({ k: 'instance', cls, attrs: new Map(attrs), id: lib.interp.newInstanceId() });

  const signature = builtin('inspect.signature', (a, at) => {
    let f = a.pos[0] ?? NONE;
    let dropFirst = false;
    // Follow functools.wraps, bound methods and classes to the Python function that defines the parameters.
    for (let hops = 0; hops < 32; hops++) {
      if (f.k === 'func' && f.wrapped && a.kw.get('follow_wrapped')?.k !== 'bool') f = f.wrapped;
      else if (f.k === 'bound') {
        dropFirst = true;
        f = f.fn;
      } else if (f.k === 'class') {
        const init = classAttr(f, '__init__');
        if (!init) break;
        dropFirst = true;
        f = init.value;
      } else break;
    }
    if (f.k !== 'func') return lib.interp.fail(`inspect.signature() of ${repr(f)} is not modelled`, at);
    const params: DictV = { k: 'dict', map: new Map() };
    for (const p of parametersOf(f.node).slice(dropFirst ? 1 : 0)) {
      const dflt = f.defaults.get(p.name) ?? f.lazyDefaults?.get(p.name)?.() ?? empty;
      const param = instance(parameterCls, [['name', str(p.name)], ['kind', int(KIND_OF[p.kind])], ['default', p.required === false ? dflt : empty], ['annotation', empty]]);
      params.map.set(repr(str(p.name)), [str(p.name), param]);
    }
    return instance(signatureCls, [['parameters', params], ['return_annotation', empty]]);
  });

  const is = (name: string, test: (v: Value) => boolean) => builtin(`inspect.${name}`, (a) => bool(test(a.pos[0] ?? NONE)));
  // `inspect.get_annotations(cls)`: the class's own annotations (strings evaluated when eval_str=True).
  const getAnnotations = builtin('inspect.get_annotations', (a, at) => {
    const obj = a.pos[0] ?? NONE;
    if (obj.k !== 'class') return lib.interp.fail(`inspect.get_annotations() of a ${obj.k} is not modelled`, at);
    const d = annotationsDict(lib.interp.state, obj);
    const evalStr = a.kw.get('eval_str');
    if (!evalStr || lib.interp.truthy(evalStr, at) !== true) return { k: 'dict', map: new Map(d.map) };
    const out: DictV = { k: 'dict', map: new Map() };
    for (const ann of classAnnotations(obj)) {
      const v = d.map.get(repr(str(ann.name)))?.[1] ?? NONE;
      out.map.set(repr(str(ann.name)), [str(ann.name), v.k === 'str' ? evalSource(lib.interp.state, v.v, ann.scope.globals ?? ann.scope, ann.file, at) : v]);
    }
    return out;
  });
  return lib.ns('inspect', {
    signature, Parameter: parameterCls, Signature: signatureCls, get_annotations: getAnnotations, _empty: empty,
    getsourcefile: builtin('inspect.getsourcefile', (a) => (a.pos[0]?.k === 'func' ? str(a.pos[0].file) : a.pos[0]?.k === 'class' && a.pos[0].loc ? str(a.pos[0].loc.file) : NONE)),
    getfile: builtin('inspect.getfile', (a, at) => (a.pos[0]?.k === 'func' ? str(a.pos[0].file) : a.pos[0]?.k === 'class' && a.pos[0].loc ? str(a.pos[0].loc.file) : a.pos[0]?.k === 'module' ? a.pos[0].attrs.get('__file__') ?? lib.interp.fail('inspect.getfile() of a module without a file', at) : lib.interp.fail('inspect.getfile() of this value is not modelled', at))),
    getmodule: builtin('inspect.getmodule', () => NONE),
    // The source text of a module (its file) or a function (its `def`).
    getsource: builtin('inspect.getsource', (a, at) => {
      const v = a.pos[0] ?? NONE;
      if (v.k === 'func') return str(v.node.text);
      const file = v.k === 'module' ? v.attrs.get('__file__') : undefined;
      const text = file?.k === 'str' ? lib.interp.state.source.readFile(file.v) : undefined;
      if (text !== undefined) return str(text);
      throw new PyException('OSError', 'could not get source code', at);
    }),
    getmro: builtin('inspect.getmro', (a) => (a.pos[0]?.k === 'class' ? { k: 'tuple', items: mro(a.pos[0]) } : { k: 'tuple', items: [] })),
    isgeneratorfunction: builtin('inspect.isgeneratorfunction', (a) => bool(a.pos[0]?.k === 'func' && functionFacts(a.pos[0].node).generator)),
    iscoroutinefunction: builtin('inspect.iscoroutinefunction', (a) => bool(a.pos[0]?.k === 'func' && a.pos[0].node.text.startsWith('async'))),
    isbuiltin: builtin('inspect.isbuiltin', (a) => bool(a.pos[0]?.k === 'builtin')),
    isroutine: builtin('inspect.isroutine', (a) => bool(['func', 'builtin', 'bound'].includes(a.pos[0]?.k ?? ''))),
    isabstract: builtin('inspect.isabstract', () => bool(false)),
    unwrap: builtin('inspect.unwrap', (a) => {
      let f = a.pos[0] ?? NONE;
      for (let i = 0; i < 32 && f.k === 'func' && f.wrapped; i++) f = f.wrapped;
      return f;
    }),
    cleandoc: builtin('inspect.cleandoc', (a) => a.pos[0] ?? str('')),
    getdoc: builtin('inspect.getdoc', () => NONE),
    currentframe: builtin('inspect.currentframe', () => NONE),
    isclass: is('isclass', (v) => v.k === 'class'),
    isfunction: is('isfunction', (v) => v.k === 'func'),
    ismethod: is('ismethod', (v) => v.k === 'bound'),
    ismodule: is('ismodule', (v) => v.k === 'module'),
  });
}
