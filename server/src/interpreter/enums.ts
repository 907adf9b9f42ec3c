// Python's `enum.Enum`, as far as model files use it: members made from the class body, looked up
// by attribute, by name (`Cls["A"]`), by value (`Cls(v)`), iterated in definition order.
// torchvision declares its pretrained weights this way (`class ResNet18_Weights(WeightsEnum)`).
import { builtinBaseOf, call } from './calls';
import { lookupClassAttr } from './objects';
import type { InterpreterState } from './state';
import { Args, ClassV, DictV, InstanceV, Loc, NONE, Value, classAttr, int, raise, repr, str } from './values';

/** Class attribute that marks `enum.Enum` (and so every class derived from it). */
export const ENUM_MARKER = '__enum__';
/** Class attribute that marks the values `enum.auto()` returns. */
export const AUTO_MARKER = '__enum_auto__';

const membersOf = new WeakMap<ClassV, Map<string, InstanceV>>();

export function isEnumClass(cls: ClassV): boolean {
  return classAttr(cls, ENUM_MARKER) !== undefined;
}

/** The members of an enum class, in definition order (aliases once, under their first name). */
export function enumMembers(cls: ClassV): InstanceV[] {
  return [...new Set(membersOf.get(cls)?.values() ?? [])];
}

/**
 * Turns the plain attributes of a just-defined enum class into members: instances of the class
 * with `name`/`_name_` and `value`/`_value_`; `__init__`, when the class defines one, runs with the
 * value (a tuple value spread as arguments), as Python does. An attribute bound to an earlier
 * member's value (`DEFAULT = IMAGENET1K_V1`) is an alias of that member.
 */
export function makeEnumMembers(state: InterpreterState, cls: ClassV, at: Loc): void {
  const members = new Map<string, InstanceV>();
  const byValue = new Map<Value, InstanceV>();
  let auto = 0;
  for (const [name, raw] of cls.attrs) {
    if (name.startsWith('_') || ['func', 'builtin', 'bound', 'class', 'module'].includes(raw.k)) continue;
    // Descriptors (properties, static and class methods) are not members.
    if (raw.k === 'instance' && !classAttr(raw.cls, AUTO_MARKER) && lookupClassAttr(state, raw.cls, '__get__')) continue;
    const alias = byValue.get(raw);
    if (alias) {
      members.set(name, alias);
      cls.attrs.set(name, alias);
      continue;
    }
    let value = raw;
    if (raw.k === 'instance' && classAttr(raw.cls, AUTO_MARKER)) value = int(++auto);
    else if (raw.k === 'num' && raw.int) auto = raw.v;
    const member: InstanceV = { k: 'instance', cls, attrs: new Map(), id: state.newInstanceId() };
    // A member of an enum mixed with a built-in type (`class Mode(str, Enum)`) is also that value.
    const bt = builtinBaseOf(cls);
    if (bt && (bt.builtinType === 'str' || bt.builtinType === 'int' || bt.builtinType === 'float')) member.base = call(state, bt, { pos: [value.k === 'tuple' ? value.items[0] ?? value : value], kw: new Map() }, at);
    member.attrs.set('_name_', str(name));
    member.attrs.set('_value_', value);
    const init = classAttr(cls, '__init__');
    if (init && init.value.k === 'func') {
      state.guarded(() => call(state, init.value, { pos: [member, ...(value.k === 'tuple' ? value.items : [value])], kw: new Map() }, at));
    }
    member.attrs.set('name', str(name));
    member.attrs.set('value', member.attrs.get('_value_') ?? value);
    members.set(name, member);
    byValue.set(raw, member);
    cls.attrs.set(name, member);
  }
  membersOf.set(cls, members);
}

/** `Cls["NAME"]`. */
export function enumByName(cls: ClassV, key: Value): InstanceV | undefined {
  return key.k === 'str' ? membersOf.get(cls)?.get(key.v) : undefined;
}

/**
 * `Cls(value)` on an enum class that has members: the member with that value (or the member
 * itself); undefined for other classes, which are instantiated as usual.
 */
export function callEnumClass(cls: ClassV, a: Args, at: Loc): InstanceV | undefined {
  if (!isEnumClass(cls) || enumMembers(cls).length === 0) return undefined;
  const v = a.pos[0] ?? NONE;
  return enumByValue(cls, v) ?? raise('ValueError', `${repr(v)} is not a valid ${cls.name}`, at);
}

function enumByValue(cls: ClassV, v: Value): InstanceV | undefined {
  for (const m of enumMembers(cls)) {
    const mv = m.attrs.get('_value_');
    if (m === v || mv === v || (mv && mv.k === v.k && repr(mv) === repr(v))) return m;
  }
  return undefined;
}

/** `Cls.__members__`: name → member, aliases included. */
export function enumMembersDict(cls: ClassV): DictV {
  const d: DictV = { k: 'dict', map: new Map() };
  for (const [k, m] of membersOf.get(cls) ?? []) d.map.set(repr(str(k)), [str(k), m]);
  return d;
}
