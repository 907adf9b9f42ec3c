// Python's `dataclasses`, as the module does it: `dataclass(cls)` reads the class's annotations
// (its own after its dataclass bases'), turns them into fields (`field()` objects, defaults,
// `default_factory`, `kw_only`, `init=False`, `InitVar`, `ClassVar` left out) and sets the
// generated `__init__` on the class with `setattr` (so a metaclass's `__setattr__` sees it, as
// transformers' ModelOutput relies on). The generated `__init__` assigns each field with the
// instance's own `__setattr__` and calls `__post_init__`, as Python's does.
import { Parameter, bindArguments } from './binding';
import { call } from './calls';
import { classAnnotations } from './classes';
import { genericSetattr, getattrOrUndefined, pyEqualsOrUndefined, setattr, setClassAttr } from './objects';
import type { InterpreterState } from './state';
import type { TorchLibrary } from './torch/library';
import { pyClass } from './stdlib/builtins';
import {
  Args, ClassV, DataclassField, DictV, InstanceV, Loc, ModuleV, NONE, PyException, Value, args, bool, builtin, builtinMethodOf, keyOf, list, mro, str, tuple,
} from './values';

export type { DataclassField };

/** The `dataclasses` module: `dataclass`, `field`, `fields`, `asdict`, `astuple`, `replace`, `is_dataclass`, `MISSING`, `KW_ONLY`, `InitVar`. */
export function dataclassesModule(lib: TorchLibrary): ModuleV {
  const state = (): InterpreterState => lib.interp.state;
  const fieldCls = pyClass('Field');
  const missingCls = pyClass('_MISSING_TYPE');
  const MISSING: InstanceV = { k: 'instance', cls: missingCls, attrs: new Map(), id: -101 };
  const kwOnlyCls = pyClass('_KW_ONLY_TYPE');
  const KW_ONLY: InstanceV = { k: 'instance', cls: kwOnlyCls, attrs: new Map(), id: -102 };
  const frozenError = pyClass('FrozenInstanceError', [lib.builtins.get('AttributeError') as ClassV]);
  const initVar = pyClass('InitVar');

  const newField = (opts: Map<string, Value>): InstanceV => {
    const attrs = new Map<string, Value>([
      ['name', NONE], ['type', NONE], ['default', MISSING], ['default_factory', MISSING], ['init', bool(true)], ['repr', bool(true)],
      ['hash', NONE], ['compare', bool(true)], ['metadata', { k: 'dict', map: new Map() }], ['kw_only', MISSING],
    ]);
    for (const [k, v] of opts) attrs.set(k, v);
    return { k: 'instance', cls: fieldCls, attrs, id: lib.interp.newInstanceId() };
  };
  const isMissing = (v: Value | undefined) => v === undefined || v === MISSING;

  const field = builtin('dataclasses.field', (a, at) => {
    if (a.pos.length) throw new PyException('TypeError', 'field() takes no positional arguments', at);
    if (!isMissing(a.kw.get('default')) && !isMissing(a.kw.get('default_factory'))) throw new PyException('ValueError', 'cannot specify both default and default_factory', at);
    return newField(new Map(a.kw));
  });

  /** The fields of a dataclass (or of an instance's class), in order. */
  const fieldsOf = (x: Value, at: Loc): DataclassField[] => {
    const cls = x.k === 'class' ? x : x.k === 'instance' ? x.cls : null;
    if (!cls?.dataclassFields) throw new PyException('TypeError', 'must be called with a dataclass type or instance', at);
    return cls.dataclassFields;
  };

  const process = (cls: ClassV, opts: ReadonlyMap<string, Value>, at: Loc): ClassV => {
    const st = state();
    const opt = (name: string, dflt: boolean): boolean => {
      const v = opts.get(name);
      return v === undefined ? dflt : lib.interp.truthy(v, at) === true;
    };
    const byName = new Map<string, DataclassField>();
    for (const base of [...mro(cls)].slice(1).reverse()) for (const f of base.dataclassFields ?? []) byName.set(f.name, f);
    let kwOnly = opt('kw_only', false);
    for (const ann of classAnnotations(cls)) {
      const text = ann.text.replace(/^["']|["']$/g, '');
      if (/^(typing\.)?ClassVar\b/.test(text)) continue;
      if (/^(dataclasses\.)?KW_ONLY$/.test(text)) {
        kwOnly = true;
        continue;
      }
      const raw = cls.attrs.get(ann.name);
      const f = raw?.k === 'instance' && raw.cls === fieldCls ? raw : newField(new Map(raw !== undefined ? [['default', raw]] : []));
      f.attrs.set('name', str(ann.name));
      f.attrs.set('type', str(text));
      const dflt = f.attrs.get('default');
      const factory = f.attrs.get('default_factory');
      if (dflt && !isMissing(dflt) && (dflt.k === 'list' || dflt.k === 'dict' || (dflt.k === 'set' && !dflt.frozen))) {
        throw new PyException('ValueError', `mutable default ${dflt.k} for field ${ann.name} is not allowed: use default_factory`, at);
      }
      // A field() in the class body leaves the class attribute to its default (or none at all).
      if (raw?.k === 'instance' && raw.cls === fieldCls) {
        if (dflt && !isMissing(dflt)) cls.attrs.set(ann.name, dflt);
        else cls.attrs.delete(ann.name);
      }
      const fk = f.attrs.get('kw_only');
      const isInitVar = /^(dataclasses\.)?InitVar\b/.test(text);
      byName.set(ann.name, {
        name: ann.name,
        dflt: isMissing(dflt) ? undefined : dflt,
        factory: isMissing(factory) ? undefined : factory,
        init: lib.interp.truthy(f.attrs.get('init') ?? bool(true), at) !== false,
        kwOnly: isMissing(fk) ? kwOnly : lib.interp.truthy(fk!, at) === true,
        initVar: isInitVar,
        at: { file: ann.file, line: ann.node.startPosition.row + 1 },
        field: f,
      });
    }
    const fields = [...byName.values()];
    cls.dataclassFields = fields.filter((f) => !f.initVar);
    const initVars = fields.filter((f) => f.initVar);
    const fieldsDict: DictV = { k: 'dict', map: new Map(cls.dataclassFields.map((f) => [keyOf(str(f.name)), [str(f.name), f.field]])) };
    cls.attrs.set('__dataclass_fields__', fieldsDict);
    cls.attrs.set('__dataclass_params__', { k: 'dict', map: new Map([...opts].map(([k, v]) => [keyOf(str(k)), [str(k), v]])) });
    // Python refuses a required positional field after one with a default.
    let seenDefault = false;
    for (const f of fields) {
      if (!f.init || f.kwOnly) continue;
      const hasDefault = f.dflt !== undefined || f.factory !== undefined;
      if (seenDefault && !hasDefault) throw new PyException('TypeError', `non-default argument '${f.name}' follows default argument`, at);
      seenDefault ||= hasDefault;
    }
    const frozen = opt('frozen', false);
    if (opt('init', true) && !cls.attrs.has('__init__')) {
      const params: Parameter[] = [{ name: 'self', kind: 'positional', required: true }];
      const initFields = fields.filter((f) => f.init);
      for (const f of initFields.filter((g) => !g.kwOnly)) params.push({ name: f.name, kind: 'normal', required: f.dflt === undefined && f.factory === undefined });
      for (const f of initFields.filter((g) => g.kwOnly)) params.push({ name: f.name, kind: 'keyword', required: f.dflt === undefined && f.factory === undefined });
      const FACTORY = { k: 'none' } as Value;
      const init = builtinMethodOf(`${cls.name}.__init__`, (a: Args, where: Loc) => {
        let bound: Map<string, Value>;
        try {
          bound = bindArguments('__init__', params, a, where, (p) => {
            const f = byName.get(p.name);
            return f?.dflt ?? (f?.factory ? FACTORY : undefined);
          });
        } catch (e) {
          // A field declared without a value and not given one: reported at the field.
          const missing = e instanceof PyException && e.type === 'TypeError' ? fields.find((f) => f.at && new RegExp(`'${f.name}'`).test(e.message) && /missing/.test(e.message)) : undefined;
          if (missing?.at) throw new PyException('TypeError', `${cls.name}.${missing.name} has no value: the field is declared without a default and ${cls.name}() was not given one (${e instanceof Error ? e.message : ''})`, missing.at);
          throw e;
        }
        const self = bound.get('self')!;
        const set = (name: string, v: Value) => (frozen && self.k === 'instance' ? genericSetattr(st, self, name, v, where) : setattr(st, self, name, v, where));
        for (const f of fields) {
          if (f.initVar) continue;
          let v = f.init ? bound.get(f.name) : f.dflt ?? (f.factory ? FACTORY : undefined);
          if (v === undefined) continue;
          if (v === FACTORY) v = call(st, f.factory!, args([]), where);
          set(f.name, v);
        }
        const post = getattrOrUndefined(st, self, '__post_init__', where);
        if (post) call(st, post, args(initVars.map((f) => bound.get(f.name) ?? NONE)), where);
        return NONE;
      });
      lib.interp.setattr(cls, '__init__', init, at);
    }
    if (opt('eq', true) && !cls.attrs.has('__eq__')) {
      setClassAttr(cls, '__eq__', builtinMethodOf(`${cls.name}.__eq__`, (a, where) => {
        const [x, y] = a.pos;
        if (x?.k !== 'instance' || y?.k !== 'instance' || x.cls !== y.cls) return st.lib.builtins.get('NotImplemented') ?? NONE;
        for (const f of cls.dataclassFields ?? []) {
          const eq = pyEqualsOrUndefined(st, x.attrs.get(f.name) ?? NONE, y.attrs.get(f.name) ?? NONE, where);
          if (eq !== true) return bool(false);
        }
        return bool(true);
      }));
    }
    if (frozen) {
      const refuse = (what: string) => builtinMethodOf(`${cls.name}.${what}`, (a, where) => {
        const name = a.pos[1]?.k === 'str' ? a.pos[1].v : '?';
        throw new PyException('FrozenInstanceError', `cannot assign to field '${name}'`, where, { k: 'instance', cls: frozenError, attrs: new Map([['args', tuple([str(`cannot assign to field '${name}'`)])]]), id: lib.interp.newInstanceId() });
      });
      setClassAttr(cls, '__setattr__', refuse('__setattr__'));
      setClassAttr(cls, '__delattr__', refuse('__delattr__'));
    }
    return cls;
  };

  const dataclass = builtin('dataclasses.dataclass', (a, at) => {
    const target = a.pos[0];
    if (target?.k === 'class') return process(target, a.kw, at);
    if (target && target.k !== 'none') throw new PyException('TypeError', 'dataclass() should be called on a class', at);
    const opts = a.kw;
    return builtin('dataclasses.dataclass.<decorator>', (b, where) => {
      const cls = b.pos[0];
      if (cls?.k !== 'class') throw new PyException('TypeError', 'dataclass() should be called on a class', where);
      return process(cls, opts, where);
    });
  });

  const fields = builtin('dataclasses.fields', (a, at) => tuple(fieldsOf(a.pos[0] ?? NONE, at).map((f) => f.field)));

  // asdict/astuple: fields recursively, into dataclass instances, lists, tuples and dicts.
  const convert = (v: Value, depth: number, asTuple: boolean, at: Loc): Value => {
    if (depth > 32) throw new PyException('RecursionError', 'too deeply nested', at);
    if (v.k === 'instance' && v.cls.dataclassFields) {
      const values = v.cls.dataclassFields.map((f) => [f.name, convert(lib.interp.getattr(v, f.name, at), depth + 1, asTuple, at)] as const);
      if (asTuple) return tuple(values.map(([, x]) => x));
      const d: DictV = { k: 'dict', map: new Map() };
      for (const [n, x] of values) d.map.set(keyOf(str(n)), [str(n), x]);
      return d;
    }
    if (v.k === 'list') return list(v.items.map((x) => convert(x, depth + 1, asTuple, at)));
    if (v.k === 'tuple') return { ...v, items: v.items.map((x) => convert(x, depth + 1, asTuple, at)) };
    if (v.k === 'dict') return { k: 'dict', map: new Map([...v.map].map(([k, [kv, x]]) => [k, [convert(kv, depth + 1, asTuple, at), convert(x, depth + 1, asTuple, at)]])) } as DictV;
    return v;
  };
  const checkInstance = (v: Value, name: string, at: Loc) => {
    if (v.k !== 'instance' || !v.cls.dataclassFields) throw new PyException('TypeError', `${name}() should be called on dataclass instances`, at);
  };
  // replace(obj, **changes): a new instance built by the class from obj's init fields and the changes.
  const replace = builtin('dataclasses.replace', (a, at) => {
    const obj = a.pos[0] ?? NONE;
    checkInstance(obj, 'replace', at);
    const inst = obj as InstanceV;
    const kw = new Map<string, Value>();
    for (const f of inst.cls.dataclassFields ?? []) if (f.init) kw.set(f.name, lib.interp.getattr(inst, f.name, at));
    for (const [k, v] of a.kw) {
      const f = inst.cls.dataclassFields?.find((g) => g.name === k);
      if (!f) throw new PyException('TypeError', `__init__() got an unexpected keyword argument '${k}'`, at);
      if (!f.init) throw new PyException('ValueError', `field ${k} is declared with init=False, it cannot be specified with replace()`, at);
      kw.set(k, v);
    }
    return lib.interp.call(inst.cls, { pos: [], kw }, at);
  });
  const isDataclass = builtin('dataclasses.is_dataclass', (a) => {
    const x = a.pos[0] ?? NONE;
    return bool(x.k === 'class' ? !!x.dataclassFields : x.k === 'instance' && !!x.cls.dataclassFields);
  });
  return lib.ns('dataclasses', {
    dataclass, field, fields, replace, is_dataclass: isDataclass, MISSING, KW_ONLY, InitVar: initVar, Field: fieldCls, FrozenInstanceError: frozenError,
    asdict: builtin('dataclasses.asdict', (a, at) => { checkInstance(a.pos[0] ?? NONE, 'asdict', at); return convert(a.pos[0]!, 0, false, at); }),
    astuple: builtin('dataclasses.astuple', (a, at) => { checkInstance(a.pos[0] ?? NONE, 'astuple', at); return convert(a.pos[0]!, 0, true, at); }),
  });
}
