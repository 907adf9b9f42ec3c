// `@dataclass`: model configs are often dataclasses (`GPTConfig(n_layer=12, …)`), so the
// generated `__init__` and `__post_init__` run as Python runs them.
import { call } from './calls';
import type { InterpreterState } from './state';
import { Args, ClassV, DictV, InstanceV, Loc, Value, args, classAttr, str } from './values';

/** One field of a dataclass: its name and its default's value (none: the field is required). */
export interface DataclassField {
  name: string;
  dflt: Value | undefined;
}

// `field(default_factory=f)` is held as a marker value until an instance needs the default.
const DEFAULT_FACTORY_KEY = '"__default_factory__"';

/** The value `dataclasses.field(default_factory=factory)` stands for in a class body. */
export function defaultFactory(factory: Value): DictV {
  return { k: 'dict', map: new Map([[DEFAULT_FACTORY_KEY, [str('__default_factory__'), factory]]]) };
}

export function isDataclassDecorator(name: string): boolean {
  return name === 'dataclass' || name.startsWith('dataclass(') || name.startsWith('dataclasses.dataclass');
}

/** A dataclass's fields: the bases' first (in their order) unless redefined, then its own annotated names. */
export function dataclassFields(bases: readonly ClassV[], own: readonly DataclassField[]): DataclassField[] {
  const inherited = bases.flatMap((b) => b.dataclassFields ?? []);
  return [...inherited.filter((f) => !own.some((g) => g.name === f.name)), ...own];
}

/** The `__init__` @dataclass generates, run on `self`. */
export function initDataclass(state: InterpreterState, self: InstanceV, cls: ClassV, a: Args, at: Loc): void {
  const fields = cls.dataclassFields ?? [];
  fields.forEach((f, i) => {
    let v = i < a.pos.length ? a.pos[i] : a.kw.get(f.name);
    if (v === undefined) {
      v = f.dflt;
      if (v?.k === 'dict' && v.map.has(DEFAULT_FACTORY_KEY)) v = call(state, v.map.get(DEFAULT_FACTORY_KEY)![1], args([]), at);
    }
    self.attrs.set(f.name, v ?? state.fail(`dataclass field '${f.name}' of ${cls.name} has no value`, at));
  });
}

/** `__post_init__`, which a dataclass's generated `__init__` calls last. */
export function postInitDataclass(state: InterpreterState, self: InstanceV, cls: ClassV, at: Loc): void {
  const post = classAttr(cls, '__post_init__');
  if (cls.dataclassFields && post) call(state, post.value, args([self]), at);
}
