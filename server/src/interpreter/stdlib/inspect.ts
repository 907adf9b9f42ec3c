// `inspect.signature` over Python functions of the analyzed files: torchvision's model builders
// are wrapped by decorators that read their own signature (keyword-only parameters) to remap
// positional arguments.
import { Parameter, parametersOf } from '../binding';
import type { TorchLibrary } from '../torch/library';
import { ClassV, DictV, InstanceV, ModuleV, NONE, Value, bool, builtin, classAttr, int, repr, str } from '../values';
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
  return lib.ns('inspect', {
    signature, Parameter: parameterCls, Signature: signatureCls,
    isclass: is('isclass', (v) => v.k === 'class'),
    isfunction: is('isfunction', (v) => v.k === 'func'),
    ismethod: is('ismethod', (v) => v.k === 'bound'),
    ismodule: is('ismodule', (v) => v.k === 'module'),
  });
}
