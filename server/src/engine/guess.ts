// Zero configuration: the model and inputs a person would pick when the file names none (no
// directive, no --entry) and running it as a script called no model.
//
// The model: a module the script built (and never called), else the top of the file's module
// composition — an nn.Module class no other module class of the file uses (so a block or an
// activation class is never chosen over the model that uses it) — built from a constructor whose
// arguments have defaults, or whose required config object has a class with defaults
// (`GPT(GPTConfig())`), else a factory function of the file that returns a module (`resnet50()`).
// The inputs: what the script showed (a DataLoader's batch), a `view(-1, 784)` at the start of
// forward, else the first layer (token ids up to the model's block size for an embedding).
// Everything chosen here is marked guessed.

import type { Node } from '../python/parser';
import { parametersOf, Parameter } from '../interpreter/binding';
import type { UnknownEntry } from '../interpreter/host';
import type { Interpreter } from '../interpreter/interpreter';
import { MODULE_CLASS, namedModules, namedParameters } from '../interpreter/torch/nn';
import { Args, ClassV, FuncV, InstanceV, Loc, Scope, Value, args, classAttr, isSubclass } from '../interpreter/values';
import type { ScriptRun } from './discover';
import { ForwardInputs, atBatch, inputsFromCall, markBatch } from './inputs';

export interface ModelChoice {
  model: InstanceV;
  entry: string;
  /** False when the script built it (only its inputs are guessed). */
  guessed: boolean;
}

/** The model to analyze, or null with what was tried and why each candidate failed. */
export function chooseModel(interp: Interpreter, scope: Scope, root: Node, file: string, run: ScriptRun): { choice: ModelChoice | null; tried: string[] } {
  const tried: string[] = [];
  const fromScript = largest(run.built.map((b) => ({ model: b.module, entry: b.entry })));
  if (fromScript) return { choice: { ...fromScript, guessed: false }, tried };
  // What the script could not evaluate first is often why it never reached its model.
  const blocked = interp.outsideUnknowns.find((u) => u.file === file);
  const because = blocked ? ` (the first thing it could not evaluate, line ${blocked.line}: ${blocked.reason})` : '';
  tried.push(run.stopped ? `running it as a script stopped before any model was called: ${run.stopped}` : `running it as a script built and called no nn.Module with parameters${because}`);

  const defs = definitions(root);
  const classes = defs.flatMap((d) => {
    const v = scope.vars.get(d.name);
    return d.node.type === 'class_definition' && v?.k === 'class' && v.loc?.file === file && isSubclass(v, MODULE_CLASS) ? [{ ...d, cls: v }] : [];
  });
  const uses = new Map(classes.map((c) => [c.name, identifiersIn(c.node)]));
  const usedBy = (name: string) => classes.find((c) => c.name !== name && uses.get(c.name)!.has(name))?.name;
  // Each candidate is built; the unknowns of those not chosen are forgotten.
  const built: { model: InstanceV; entry: string; unknowns: UnknownEntry[] }[] = [];
  for (const c of classes) {
    const user = usedBy(c.name);
    if (user) {
      tried.push(`class ${c.name} is used by ${user}`);
      continue;
    }
    const mark = interp.unknowns.length;
    const r = buildClass(interp, scope, file, c.cls);
    if ('reason' in r) tried.push(r.reason);
    else built.push({ ...r, unknowns: interp.unknowns.slice(mark) });
    interp.forgetUnknowns(mark);
  }
  const top = largest(built);
  if (top) {
    for (const u of top.unknowns) interp.report(u.reason, { file: u.file, line: u.line });
    return { choice: { model: top.model, entry: top.entry, guessed: true }, tried };
  }

  for (const d of defs) {
    const fn = scope.vars.get(d.name);
    if (d.node.type !== 'function_definition' || fn?.k !== 'func' || fn.file !== file || SCRIPT_FUNCTIONS.test(d.name)) continue;
    const required = parametersOf(fn.node).filter(isRequired);
    if (required.length) {
      tried.push(`function ${d.name}() needs ${names(required)}`);
      continue;
    }
    if (!returnsCall(fn.node)) continue;
    const mark = interp.unknowns.length;
    const v = interp.guarded(() => interp.call(fn, args([]), locOf(d.node, file)));
    if (isModel(v)) return { choice: { model: v, entry: `${d.name}()`, guessed: true }, tried };
    interp.forgetUnknowns(mark);
    tried.push(`function ${d.name}() ${v.k === 'unknown' ? `failed: ${v.reason}` : 'does not return an nn.Module with parameters'}`);
  }
  if (!classes.length) tried.push('the file defines no nn.Module class');
  return { choice: null, tried };
}

/** Functions of a script that run it rather than build a model: never called as factories. */
const SCRIPT_FUNCTIONS = /^(main|train|test|eval|evaluate|validate|run|fit|predict|infer|inference|parse_args|get_args|get_batch|get_lr|estimate_loss|set_seed|seed_everything|setup|save|load|plot|visualize|count_parameters)(_|$)/i;

const isRequired = (p: Parameter) => p.required === true && p.kind !== 'varargs' && p.kind !== 'varkw';
const names = (ps: readonly Parameter[]) => ps.map((p) => `'${p.name}'`).join(', ');
const locOf = (n: Node, file: string): Loc => ({ file, line: n.startPosition.row + 1 });

function isModel(v: Value): v is InstanceV {
  return v.k === 'instance' && v.module !== undefined && namedParameters(v).length > 0;
}

/** The candidate with the most parameters (the later one on a tie). */
function largest<T extends { model: InstanceV }>(cands: readonly T[]): T | null {
  let best: T | null = null;
  let most = -1;
  for (const c of cands) {
    if (!isModel(c.model)) continue;
    const n = namedParameters(c.model).reduce((s, [, t]) => s + t.shape.reduce((p, d) => p * d, 1), 0);
    if (n >= most) [best, most] = [c, n];
  }
  return best;
}

/** Top-level class and function definitions of the file, in order. */
function definitions(root: Node): { name: string; node: Node }[] {
  const out: { name: string; node: Node }[] = [];
  for (const c of root.namedChildren) {
    const def = c?.type === 'decorated_definition' ? c.childForFieldName('definition') : c;
    if (def && (def.type === 'class_definition' || def.type === 'function_definition')) out.push({ name: def.childForFieldName('name')?.text ?? '', node: def });
  }
  return out;
}

function identifiersIn(n: Node): Set<string> {
  const out = new Set<string>();
  const visit = (x: Node): void => {
    if (x.type === 'identifier') out.add(x.text);
    for (const c of x.namedChildren) if (c) visit(c);
  };
  for (const c of n.namedChildren) if (c && c !== n.childForFieldName('name')) visit(c);
  return out;
}

/** A factory's shape: it returns what a call made (`return ResNet(...)`, `return model`), not a constant. */
function returnsCall(fn: Node): boolean {
  let found = false;
  const visit = (x: Node): void => {
    if (found || x.type === 'function_definition' || x.type === 'class_definition' || x.type === 'lambda') return;
    const value = x.type === 'return_statement' ? x.namedChildren[0] : undefined;
    if (value && (value.type === 'call' || value.type === 'identifier')) found = true;
    for (const c of x.namedChildren) if (c) visit(c);
  };
  for (const c of fn.childForFieldName('body')?.namedChildren ?? []) if (c) visit(c);
  return found;
}

/** `Cls()`, or `Cls(Config())` for each required argument that a config class with defaults fills. */
function buildClass(interp: Interpreter, scope: Scope, file: string, cls: ClassV): { model: InstanceV; entry: string } | { reason: string } {
  const at = cls.loc ?? { file, line: 1 };
  const init = classAttr(cls, '__init__')?.value;
  const params = init?.k === 'func' ? parametersOf(init.node).slice(1) : [];
  const required = params.filter(isRequired);
  const pos: Value[] = [];
  const kw = new Map<string, Value>();
  const texts: string[] = [];
  for (const p of required) {
    const cfg = init?.k === 'func' ? configFor(interp, scope, file, init, p) : null;
    if (!cfg) return { reason: `class ${cls.name} needs ${names(required)}${required.length === 1 ? ', which no config class with defaults fills' : ''}` };
    if (p.kind === 'keyword') {
      kw.set(p.name, cfg.value);
      texts.push(`${p.name}=${cfg.text}`);
    } else {
      pos.push(cfg.value);
      texts.push(cfg.text);
    }
  }
  const entry = `${cls.name}(${texts.join(', ')})`;
  const a: Args = { pos, kw };
  const v = interp.guarded(() => interp.call(cls, a, at));
  if (isModel(v)) return { model: v, entry };
  return { reason: `${entry} ${v.k === 'unknown' ? `failed: ${v.reason}` : 'has no parameters'}` };
}

/** Names a model's config argument goes by, when it has no annotation. */
const CONFIG_PARAMS = /^(config|cfg|conf|configs|args|hparams|hp|params|opt|opts|options|settings|model_config|model_args)$/i;
const CONFIG_CLASSES = /(config|cfg|conf|args|params|settings|options|hparams)$/i;

/** A config object for parameter `p` of `init`: its annotated class, or the file's one config class, built with its defaults. */
function configFor(interp: Interpreter, scope: Scope, file: string, init: FuncV, p: Parameter): { value: Value; text: string } | null {
  const node = init.node.childForFieldName('parameters')?.namedChildren.find((c) => c?.type === 'typed_parameter' && c.namedChildren[0]?.text === p.name);
  const annotation = node?.childForFieldName('type')?.text.replace(/^["']|["']$/g, '').replace(/^Optional\[(.*)\]$/, '$1');
  let cls: ClassV | null = null;
  if (annotation && /^[A-Za-z_][\w.]*$/.test(annotation)) {
    const v = init.closure.lookup(annotation.split('.').pop()!);
    if (v?.k === 'class' && hasDefaults(v)) cls = v;
  }
  if (!cls && !annotation && CONFIG_PARAMS.test(p.name)) {
    const candidates = [...scope.vars.values()].filter((v): v is ClassV => v.k === 'class' && v.loc?.file === file && !isSubclass(v, MODULE_CLASS) && CONFIG_CLASSES.test(v.name) && hasDefaults(v));
    if (candidates.length === 1) cls = candidates[0];
  }
  if (!cls) return null;
  const c = cls;
  const value = interp.guarded(() => interp.call(c, args([]), c.loc ?? { file, line: 1 }));
  return value.k === 'instance' ? { value, text: `${c.name}()` } : null;
}

/** A class whose instances need no arguments: a dataclass with every field defaulted, or an `__init__` with defaults only. */
function hasDefaults(cls: ClassV): boolean {
  if (cls.native || cls.tupleFields) return false;
  if (cls.dataclassFields) return cls.dataclassFields.every((f) => f.dflt !== undefined);
  const init = classAttr(cls, '__init__')?.value;
  if (!init) return true;
  return init.k === 'func' && !parametersOf(init.node).slice(1).some(isRequired);
}

// ── inputs ────────────────────────────────────────────────────────────────

/**
 * Inputs for `model` from what the script showed: the first batch of a DataLoader it made (its
 * first element when it is a tuple or list, its keys as keyword arguments when a dict), else a
 * reshape at the start of forward, else the first layer; all marked guessed, batch dimensions `B`
 * bound to `batch` (or the DataLoader's batch size).
 */
export function guessInputs(interp: Interpreter, model: InstanceV, batches: Iterable<{ batch: Value; batchSize: number | null }>, batch: number | null): { inputs: ForwardInputs; batch: number } | null {
  for (const seen of batches) {
    const b = seen.batch;
    const a: Args = b.k === 'dict' ? { pos: [], kw: new Map([...b.map.values()].flatMap(([k, v]) => (k.k === 'str' ? [[k.v, v] as [string, Value]] : []))) } : { pos: [(b.k === 'tuple' || b.k === 'list') ? b.items[0] : b], kw: new Map() };
    const inputs = inputsFromCall(a, forwardParameters(model).map((p) => p.name));
    if (typeof inputs === 'string' || !inputs.leaves.length) continue;
    for (const l of inputs.leaves) l.guessed = true;
    const found = markBatch(inputs.leaves, seen.batchSize) ?? 1;
    return { inputs: batch === null ? inputs : { ...inputs, leaves: atBatch(inputs.leaves, batch) }, batch: batch ?? found };
  }
  const b = batch ?? 1;
  const tensor = (name: string, dtype: 'float32' | 'int64', rest: number[]): ForwardInputs => ({
    leaves: [{ name, dtype, shape: [b, ...rest], dims: ['B', ...rest], guessed: true }],
    pos: [{ k: 'leaf', i: 0 }],
    kw: [],
  });
  const reshaped = reshapeAtStart(interp, model);
  const first = forwardParameters(model)[0]?.name ?? 'x';
  if (reshaped) return { inputs: tensor(first, 'float32', reshaped), batch: b };
  const layer = firstLayerInput(model);
  return layer ? { inputs: tensor(layer.dtype === 'int64' ? 'idx' : first, layer.dtype, layer.rest), batch: b } : null;
}

/** Parameters of the model's own forward (without self, `*args`, `**kwargs`); none for modelled layers. */
export function forwardParameters(model: InstanceV): Parameter[] {
  const fwd = classAttr(model.cls, 'forward')?.value;
  return fwd?.k === 'func' ? parametersOf(fwd.node).slice(1).filter((p) => p.kind !== 'varargs' && p.kind !== 'varkw') : [];
}

/** `[784]` for a forward whose first use of its input is `x.view(-1, 784)` (or `.reshape`). */
function reshapeAtStart(interp: Interpreter, model: InstanceV): number[] | null {
  const fwd = classAttr(model.cls, 'forward')?.value;
  if (fwd?.k !== 'func') return null;
  const param = parametersOf(fwd.node)[1]?.name;
  const body = fwd.node.childForFieldName('body');
  if (!param || !body) return null;
  // The first read of the input (assignment targets skipped), with the nodes above it.
  let chain: Node[] | null = null;
  const visit = (x: Node, above: Node[]): void => {
    if (chain) return;
    const parent = above[above.length - 1];
    if (x.type === 'identifier' && x.text === param && !(parent?.type === 'assignment' && parent.childForFieldName('left') === x)) {
      chain = [...above, x];
      return;
    }
    for (const c of x.namedChildren) if (c) visit(c, [...above, x]);
  };
  visit(body, []);
  const found = chain as Node[] | null;
  const attr = found?.[found.length - 2];
  const callNode = found?.[found.length - 3];
  if (attr?.type !== 'attribute' || attr.namedChildren[0]?.text !== param || !['view', 'reshape'].includes(attr.childForFieldName('attribute')?.text ?? '') || callNode?.type !== 'call') return null;
  const dims = callNode.childForFieldName('arguments')?.namedChildren.filter((c): c is Node => !!c && c.type !== 'comment') ?? [];
  const list = dims.length === 1 && (dims[0].type === 'tuple' || dims[0].type === 'list') ? dims[0].namedChildren.filter((c): c is Node => !!c) : dims;
  if (list.length < 2 || list[0].text.replace(/\s/g, '') !== '-1') return null;
  const local = new Scope(fwd.closure, fwd.closure.globals ?? fwd.closure);
  local.vars.set(parametersOf(fwd.node)[0]?.name ?? 'self', model);
  const rest: number[] = [];
  for (const d of list.slice(1)) {
    const v = interp.guarded(() => interp.evalExpr(d, local, fwd.file));
    if (v.k !== 'num' || !v.int || v.v < 1) return null;
    rest.push(v.v);
  }
  return rest;
}

/** The input a first layer takes: images for convolutions, features for Linear, token ids up to the block size for an Embedding. */
function firstLayerInput(model: InstanceV): { dtype: 'float32' | 'int64'; rest: number[] } | null {
  for (const [, m] of namedModules(model)) {
    const kind = m.cls.name;
    const num = (k: string) => {
      const v = m.attrs.get(k);
      return v?.k === 'num' ? v.v : null;
    };
    const float = (rest: number[]) => ({ dtype: 'float32' as const, rest });
    if (kind === 'Conv2d' && num('in_channels')) return float([num('in_channels')!, 224, 224]);
    if (kind === 'Conv1d' && num('in_channels')) return float([num('in_channels')!, 128]);
    if (kind === 'Conv3d' && num('in_channels')) return float([num('in_channels')!, 16, 112, 112]);
    if (kind === 'Linear' && num('in_features')) return float([num('in_features')!]);
    if (kind === 'Embedding') return { dtype: 'int64', rest: [sequenceLength(model)] };
    if (kind === 'LayerNorm') {
      const ns = m.attrs.get('normalized_shape');
      const d = ns?.k === 'tuple' && ns.items[0]?.k === 'num' ? ns.items[0].v : null;
      if (d) return float([128, d]);
    }
  }
  return null;
}

/** Names a model's (or its config's) maximum sequence length goes by. */
const LENGTH_NAMES = ['block_size', 'max_position_embeddings', 'n_positions', 'n_ctx', 'max_seq_len', 'max_seq_length', 'seq_len', 'max_len', 'context_length'];

/** The longest sequence the model takes: its (config's) block size, else a position embedding's size, else 128. */
function sequenceLength(model: InstanceV): number {
  for (const holder of [model, model.attrs.get('config'), model.attrs.get('cfg'), model.attrs.get('args')]) {
    if (holder?.k !== 'instance') continue;
    for (const n of LENGTH_NAMES) {
      const v = holder.attrs.get(n);
      if (v?.k === 'num' && v.int && v.v > 0) return v.v;
    }
  }
  for (const [path, m] of namedModules(model)) {
    const n = m.attrs.get('num_embeddings');
    if (m.cls.name === 'Embedding' && /(^|\.)(wpe|pos\w*|position\w*)$/.test(path) && n?.k === 'num') return n.v;
  }
  return 128;
}

// ── optional arguments ────────────────────────────────────────────────────

/** An optional forward argument a training step passes that this run leaves out, and what that leaves out. */
export interface OmittedArgument {
  name: string;
  note: string;
}

const TARGET_NAMES = /^(targets?|labels?|y|y_true|gt|ground_truth)$/i;

/**
 * Optional parameters of the model's forward that a training step passes (targets, labels, `y`, a
 * mask) and these inputs leave out: the loss a model computes from its targets is part of the
 * step's memory, so leaving them out silently would underestimate it.
 */
export function omittedArguments(model: InstanceV, positional: number, keywords: readonly string[]): OmittedArgument[] {
  const out: OmittedArgument[] = [];
  forwardParameters(model).forEach((p, i) => {
    if (p.required || (p.kind !== 'keyword' && i < positional) || keywords.includes(p.name)) return;
    if (TARGET_NAMES.test(p.name)) out.push({ name: p.name, note: 'loss not included' });
    else if (/mask/i.test(p.name)) out.push({ name: p.name, note: 'no masking' });
  });
  return out;
}
