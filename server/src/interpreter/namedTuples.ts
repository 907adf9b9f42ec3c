// `collections.namedtuple` classes: calling one builds a tuple whose items also have names.
// torchvision's GoogLeNet returns its auxiliary outputs this way (`GoogLeNetOutputs`).
import { Args, ClassV, Loc, TupleV, Value, raise, str, tuple } from './values';

/** The class `collections.namedtuple(name, fields)` makes. */
export function namedTupleClass(name: string, fields: readonly string[], at: Loc): ClassV {
  return { k: 'class', name, bases: [], attrs: new Map(), loc: at, tupleFields: fields };
}

/** `Point(1, y=2)`: a tuple whose items have names. */
export function callNamedTupleClass(cls: ClassV, fields: readonly string[], a: Args, at: Loc): Value {
  const items = fields.map((f, i) => (i < a.pos.length ? a.pos[i] : a.kw.get(f)));
  const missing = fields.filter((_, i) => items[i] === undefined);
  if (missing.length || a.pos.length > fields.length) raise('TypeError', `${cls.name}() takes ${fields.join(', ')}; got ${a.pos.length} positional and ${[...a.kw.keys()].join(', ') || 'no'} keyword arguments`, at);
  return { k: 'tuple', items: items as Value[], fields };
}

/** `Point._fields`, the one attribute a named-tuple class has outside its namespace. */
export function namedTupleClassAttr(cls: ClassV, name: string): Value | undefined {
  return cls.tupleFields && name === '_fields' ? tuple(cls.tupleFields.map(str)) : undefined;
}

/** `p.x` and `p._fields` of a named tuple; undefined for other names and plain tuples. */
export function namedTupleAttr(t: TupleV, name: string): Value | undefined {
  if (!t.fields) return undefined;
  const i = t.fields.indexOf(name);
  if (i >= 0) return t.items[i];
  return name === '_fields' ? tuple(t.fields.map(str)) : undefined;
}

/** `isinstance(v, Point)`: the tuples a named-tuple class builds share its field list. */
export function isNamedTupleOf(v: Value, cls: ClassV): boolean {
  return v.k === 'tuple' && v.fields === cls.tupleFields;
}
