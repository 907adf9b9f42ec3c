// `inspect.signature` over Python functions of the analyzed files: torchvision's model builders
// are wrapped by decorators that read their own signature (keyword-only parameters) to remap
// positional arguments.
import type { Node } from '../../python/parser';
import { ClassV, DictV, FuncV, InstanceV, ModuleV, NONE, Value, bool, builtin, classAttr, int, repr, str } from '../values';
import type { TorchLibrary } from '../torch/library';
import { pyClass } from './builtins';

/** `inspect.Parameter.kind` values (Python's `_ParameterKind`). */
const KINDS = { POSITIONAL_ONLY: 0, POSITIONAL_OR_KEYWORD: 1, VAR_POSITIONAL: 2, KEYWORD_ONLY: 3, VAR_KEYWORD: 4 } as const;

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
    for (const p of parametersOf(f).slice(dropFirst ? 1 : 0)) {
      const dflt = f.defaults.get(p.name) ?? f.lazyDefaults?.get(p.name)?.() ?? empty;
      const param = instance(parameterCls, [['name', str(p.name)], ['kind', int(p.kind)], ['default', p.hasDefault ? dflt : empty], ['annotation', empty]]);
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

interface ParamInfo {
  name: string;
  kind: number;
  hasDefault: boolean;
}

/** The parameters of a Python function in order, with their kinds (the grammar of `def`). */
function parametersOf(f: FuncV): ParamInfo[] {
  const out: ParamInfo[] = [];
  let keywordOnly = false;
  const params = f.node.childForFieldName('parameters');
  const nameOf = (n: Node | null | undefined): string => n?.namedChildren[0]?.text ?? n?.text ?? '?';
  for (const p of params?.namedChildren ?? []) {
    if (!p) continue;
    const inner = p.type === 'typed_parameter' ? p.namedChildren[0] : p;
    if (inner?.type === 'list_splat_pattern') {
      out.push({ name: nameOf(inner), kind: KINDS.VAR_POSITIONAL, hasDefault: false });
      keywordOnly = true;
      continue;
    }
    if (inner?.type === 'dictionary_splat_pattern') {
      out.push({ name: nameOf(inner), kind: KINDS.VAR_KEYWORD, hasDefault: false });
      continue;
    }
    if (p.type === 'keyword_separator') {
      keywordOnly = true;
      continue;
    }
    if (p.type === 'positional_separator') {
      for (const q of out) if (q.kind === KINDS.POSITIONAL_OR_KEYWORD) q.kind = KINDS.POSITIONAL_ONLY;
      continue;
    }
    const withDefault = p.type === 'default_parameter' || p.type === 'typed_default_parameter';
    const name = p.type === 'identifier' ? p.text : p.type === 'typed_parameter' ? inner?.text ?? '?' : p.childForFieldName('name')?.text ?? '?';
    if (!['identifier', 'typed_parameter', 'default_parameter', 'typed_default_parameter'].includes(p.type)) continue;
    out.push({ name, kind: keywordOnly ? KINDS.KEYWORD_ONLY : KINDS.POSITIONAL_OR_KEYWORD, hasDefault: withDefault });
  }
  return out;
}
