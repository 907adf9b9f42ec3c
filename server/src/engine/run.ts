import { DType, Tensor, isFloating } from '../../../kernels/src';
import { Node, Tree, parsePython, syntaxRoot } from '../python/parser';
import { Budget, BudgetLimits, DEFAULT_LIMITS, STACK_OVERFLOW, isStackOverflow } from '../interpreter/budget';
import { Interpreter, ModuleSource, createInterpreter } from '../interpreter/interpreter';
import { TorchLibrary } from '../interpreter/torch/library';
import { namedModules } from '../interpreter/torch/nn';
import { OpRecord, Tracer } from '../interpreter/tracer';
import { BudgetExceeded, InstanceV, Loc, PyException, Scope, Value, args, isSubclass, tensorV } from '../interpreter/values';
import { MODULE_CLASS } from '../interpreter/torch/nn';
import type { AnalysisSettings, Precision } from '../report/types';
import { Directive, InputSpec, parseInputSpec } from './specs';

/** A forward input once resolved: concrete shape, and whether it was guessed. */
export interface ResolvedInput {
  name: string;
  dtype: DType;
  shape: number[];
  /** The spec with symbols kept (`B`), to re-bind for other batch sizes. */
  dims: (number | string)[];
  guessed: boolean;
}

export interface RunResult {
  interp: Interpreter;
  lib: TorchLibrary;
  tracer: Tracer;
  model: InstanceV;
  modelClassLoc: Loc | null;
  entry: string;
  entryGuessed: boolean;
  inputs: ResolvedInput[];
  inputTensors: Tensor[];
  outputs: Tensor[];
  loss: Tensor | null;
  batch: number;
  /** The forward pass at `RunOptions.againAtBatch`, when asked for and the inputs have a batch dimension. */
  again: ForwardPass | null;
}

/** The ops one forward pass (and its loss) recorded, with its inputs, outputs and loss. */
export interface ForwardPass {
  ops: OpRecord[];
  inputTensors: Tensor[];
  outputs: Tensor[];
  /** The scalar backward starts from (see `lossOf`), null when nothing needs grad. */
  loss: Tensor | null;
}

/** A fatal problem: the analysis cannot produce a model or its inputs. */
export class AnalysisError extends Error {
  constructor(message: string, readonly at: Loc) {
    super(message);
  }
}

function parseTorchVersion(v: string): [number, number] {
  const m = /^(\d+)(?:\.(\d+))?/.exec(v.trim());
  if (!m) throw new Error(`malformed torch version '${v}' (expected e.g. 2.5 or 1.13)`);
  return [Number(m[1]), Number(m[2] ?? 0)];
}

function paramDtype(p: Precision): DType {
  return p === 'bf16' ? 'bfloat16' : 'float32';
}

function autocastDtype(p: Precision): DType | null {
  return p === 'amp-fp16' ? 'float16' : p === 'amp-bf16' ? 'bfloat16' : null;
}

export interface RunOptions {
  file: string;
  tree: Tree;
  settings: AnalysisSettings;
  directive: Directive | null;
  source: ModuleSource;
  /** Also run forward at this batch size (the model is built once), for the largest-batch estimate. */
  againAtBatch?: number;
  limits?: BudgetLimits;
  /** When the analysis started (an `analysisClock()` time): the time budget counts from here. */
  startedAt?: number;
}

/** Interprets the file, builds the entry model and runs its forward on symbolic inputs. */
export function runModel(o: RunOptions): RunResult {
  const { file, settings } = o;
  let current: () => Loc = () => ({ file, line: 1 });
  const tracer: Tracer = new Tracer(
    { device: settings.device, torch: parseTorchVersion(settings.torch), autocast: null, gradEnabled: true },
    () => current(),
  );
  const lib = new TorchLibrary(tracer, { paramDtype: paramDtype(settings.precision) });
  const budget = new Budget(o.limits ?? DEFAULT_LIMITS, o.startedAt);
  const source: ModuleSource = {
    readFile: (p) => o.source.readFile(p),
    treeFor: (p) => (p === file ? o.tree : o.source.treeFor?.(p)),
    libraryPaths: o.source.libraryPaths,
  };
  const interp = createInterpreter(lib, source, budget);
  lib.interp = interp;
  current = () => interp.current;
  const top: Loc = { file, line: 1 };
  // Functions and classes of imported files point into their syntax trees: keep them until
  // the forward has run, then free them (nothing evaluates Python after this returns).
  try {
    let mod;
    try {
      mod = interp.loadFile(file, '__memlens__');
    } catch (e) {
      if (e instanceof BudgetExceeded) throw new AnalysisError(`evaluating the file: ${e.message}`, e.at);
      throw e;
    }
    if (!mod) throw new AnalysisError('cannot read the file', top);
    const scope = interp.scopeOf(mod)!;

    const batch = settings.batch ?? o.directive?.batch ?? null;
    const entryText = settings.entry ?? o.directive?.entry ?? null;
    const inputTexts = settings.inputs.length ? settings.inputs : o.directive?.inputs ?? [];

    let model: Value | null = null;
    let entry = entryText ?? '';
    let entryGuessed = false;
    let mainInputs: Tensor[] | null = null;
    const at = o.directive && !settings.entry ? { file, line: o.directive.line } : top;

    if (entryText) {
      model = evalExpression(interp, entryText, scope, file, at);
    } else {
      const main = fromMainBlock(interp, syntaxRoot(o.tree), scope, file);
      if (main) {
        model = main.model;
        entry = main.entry;
        mainInputs = main.inputs;
      } else {
        const guess = guessModel(interp, scope, file);
        if (guess) {
          model = guess.model;
          entry = guess.entry;
          entryGuessed = true;
        }
      }
    }
    if (!model) throw new AnalysisError('no model found: add `# memlens: entry=Model() input=x:float32[B,...]` or pass --entry', top);
    if (model.k === 'unknown') throw new AnalysisError(`the entry '${entry}' could not be evaluated: ${model.reason}`, model.at);
    if (model.k !== 'instance' || !model.module) throw new AnalysisError(`the entry '${entry}' is not an nn.Module (got ${model.k})`, at);

    const classLoc = model.cls.loc;
    lib.assignPaths(model);

    // Inputs: explicit specs, the __main__ block's tensors, or a guess from the first layer.
    let inputs: ResolvedInput[];
    const effectiveBatch = batch ?? 1;
    if (inputTexts.length) {
      inputs = inputTexts.map((t) => {
        let spec: InputSpec;
        try {
          spec = parseInputSpec(t);
        } catch (e) {
          throw new AnalysisError((e as Error).message, at);
        }
        return bindSpec(spec, effectiveBatch, false);
      });
    } else if (mainInputs) {
      inputs = mainInputs.map((t, i) => ({ name: `input${i}`, dtype: t.dtype, shape: [...t.shape], dims: batchDims(t.shape, batch), guessed: false }));
    } else {
      const g = guessInput(model, effectiveBatch);
      if (!g) throw new AnalysisError(`cannot guess the input of ${model.cls.name}: add \`# memlens: input=x:float32[B,...]\` or pass --input`, classLoc ?? top);
      inputs = [g];
    }
    if (settings.precision === 'bf16') inputs = inputs.map((i) => (i.dtype === 'float32' ? { ...i, dtype: 'bfloat16' } : i));

    const callAt = classLoc ?? top;
    const callText = settings.call ?? o.directive?.call ?? null;
    const callAtLine = o.directive?.call && !settings.call ? { file, line: o.directive.line } : top;
    const callModel = (inputTensors: readonly Tensor[]): Value => {
      if (!callText) return interp.call(model, args(inputTensors.map(tensorV)), callAt);
      // `call=model(input_ids=x, labels=x)`: the expression, with `model` and the inputs by name.
      const local = new Scope(scope, scope);
      local.vars.set('model', model);
      inputs.forEach((spec, i) => local.vars.set(spec.name, tensorV(inputTensors[i])));
      return evalExpression(interp, callText, local, file, callAtLine);
    };
    const forward = (shapes: readonly ResolvedInput[]): ForwardPass => {
      const firstOp = tracer.ops.length;
      const inputTensors = shapes.map((i) => tracer.newTensor(i.shape, i.dtype, false, 'input'));
      tracer.recording = true;
      tracer.setContext({ autocast: autocastDtype(settings.precision), defaultFloat: settings.precision === 'bf16' ? 'bfloat16' : 'float32' });
      let out: Value;
      let loss: Tensor | null = null;
      try {
        out = callModel(inputTensors);
        loss = lossOf(lib, collectTensors(out), callAt);
      } catch (e) {
        if (e instanceof BudgetExceeded || e instanceof PyException) out = interp.fail(e.message, e.at);
        else if (isStackOverflow(e)) out = interp.fail(STACK_OVERFLOW, interp.current);
        else throw e;
      } finally {
        tracer.setContext({ autocast: null, defaultFloat: 'float32' });
        tracer.recording = false;
      }
      return { ops: tracer.ops.slice(firstOp), inputTensors, outputs: collectTensors(out), loss };
    };
    const first = forward(inputs);
    let again: ForwardPass | null = null;
    if (o.againAtBatch !== undefined && inputs.some((i) => i.dims.some((d) => typeof d === 'string'))) {
      // The same model run again on inputs of another batch size; its ops, calls and unknowns are
      // kept apart so the report describes the first pass only.
      const marks = { ops: tracer.ops.length, calls: lib.calls.length, unknowns: interp.unknowns.length };
      const rebound = inputs.map((i) => ({ ...i, shape: i.dims.map((d, k) => (typeof d === 'number' ? d : i.shape[k] / effectiveBatch * o.againAtBatch!)) }));
      again = forward(rebound);
      tracer.ops.splice(marks.ops);
      lib.calls.splice(marks.calls);
      interp.unknowns.splice(marks.unknowns);
    }
    return {
      interp, lib, tracer, model, modelClassLoc: classLoc, entry, entryGuessed, inputs, inputTensors: first.inputTensors,
      outputs: first.outputs, loss: first.loss, batch: effectiveBatch, again,
    };
  } finally {
    interp.dispose();
  }
}

function bindSpec(spec: InputSpec, batch: number, guessed: boolean): ResolvedInput {
  return { name: spec.name, dtype: spec.dtype, shape: spec.dims.map((d) => (typeof d === 'number' ? d : batch)), dims: spec.dims, guessed };
}

function batchDims(shape: readonly number[], batch: number | null): (number | string)[] {
  return shape.map((d, i) => (i === 0 && batch !== null && d === batch ? 'B' : d));
}

/**
 * The loss a training step backpropagates, as the ground truth takes it (test/groundtruth/
 * measure.py): the first 0-dim floating output that requires grad (a loss computed in forward),
 * else the sum of `o.sum()` over the floating outputs that require grad. The `sum`s and `add`s
 * are recorded as ops, after forward's.
 */
function lossOf(lib: TorchLibrary, outputs: readonly Tensor[], at: Loc): Tensor | null {
  const candidates = outputs.filter((t) => t.requiresGrad && isFloating(t.dtype));
  const scalar = candidates.find((t) => t.shape.length === 0);
  if (scalar) return scalar;
  let loss: Value | null = null;
  for (const t of candidates) {
    const s = lib.aten('sum', new Map<string, Value>([['self', tensorV(t)]]), at);
    loss = loss ? lib.aten('add.Tensor', new Map<string, Value>([['self', loss], ['other', s], ['alpha', { k: 'num', v: 1, int: true }]]), at) : s;
  }
  return loss?.k === 'tensor' ? loss.t : null;
}

/** The tensors of a forward's result, in order, through tuples, lists and dicts (a dict subclass's items too, as transformers' ModelOutput). */
function collectTensors(v: Value): Tensor[] {
  if (v.k === 'tensor') return [v.t];
  if (v.k === 'tuple' || v.k === 'list') return v.items.flatMap(collectTensors);
  if (v.k === 'dict') return [...v.map.values()].flatMap(([, x]) => collectTensors(x));
  if (v.k === 'instance' && !v.module && v.base && (v.base.k === 'dict' || v.base.k === 'tuple' || v.base.k === 'list')) return collectTensors(v.base);
  return [];
}

/** Evaluates a Python expression (the entry) in the module's scope. */
function evalExpression(interp: Interpreter, text: string, scope: Scope, file: string, at: Loc): Value {
  const tree = parsePython(text);
  try {
    const root = syntaxRoot(tree);
    const stmt = root.namedChildren[0];
    const expr = stmt?.type === 'expression_statement' ? stmt.namedChildren[0] : null;
    if (!expr || root.hasError) throw new AnalysisError(`the entry '${text}' is not a Python expression`, at);
    interp.current = at;
    return interp.guarded(() => interp.evalExpr(expr, scope, file));
  } finally {
    tree.delete();
  }
}

function isNameMain(n: Node): boolean {
  const t = n.text.replace(/\s+/g, '');
  return t === '__name__=="__main__"' || t === "__name__=='__main__'";
}

/**
 * The model built in `if __name__ == "__main__":` and the tensors it is first called with. The
 * block is interpreted statement by statement until the first call of an nn.Module instance.
 */
function fromMainBlock(interp: Interpreter, root: Node, scope: Scope, file: string): { model: InstanceV; entry: string; inputs: Tensor[] } | null {
  const block = root.namedChildren.find((c) => c?.type === 'if_statement' && isNameMain(c.childForFieldName('condition')!));
  const body = block?.childForFieldName('consequence');
  if (!body) return null;
  const local = new Scope(scope, scope);
  const builtBy = new Map<string, string>();
  for (const stmt of body.namedChildren) {
    if (!stmt) continue;
    const call = findModelCall(stmt, local);
    if (call) {
      const model = local.lookup(call.name) as InstanceV;
      const argsNode = call.node.childForFieldName('arguments');
      const inputs: Tensor[] = [];
      for (const a of argsNode?.namedChildren ?? []) {
        if (!a || a.type === 'keyword_argument') continue;
        const v = interp.guarded(() => interp.evalExpr(a, local, file));
        if (v.k !== 'tensor') return null;
        inputs.push(v.t);
      }
      return { model, entry: builtBy.get(call.name) ?? call.name, inputs };
    }
    const inner = stmt.type === 'expression_statement' ? stmt.namedChildren[0] : null;
    if (inner?.type === 'assignment' && inner.childForFieldName('left')?.type === 'identifier') {
      builtBy.set(inner.childForFieldName('left')!.text, inner.childForFieldName('right')?.text ?? '');
    }
    try {
      interp.execStmt(stmt, local, file);
    } catch (e) {
      if (e instanceof PyException || e instanceof BudgetExceeded) return null;
      throw e;
    }
  }
  return null;
}

function findModelCall(n: Node, scope: Scope): { name: string; node: Node } | null {
  if (n.type === 'call') {
    const fn = n.childForFieldName('function');
    if (fn?.type === 'identifier') {
      const v = scope.lookup(fn.text);
      if (v?.k === 'instance' && v.module) return { name: fn.text, node: n };
    }
  }
  for (const c of n.namedChildren) {
    if (!c) continue;
    const r = findModelCall(c, scope);
    if (r) return r;
  }
  return null;
}

/** The last nn.Module subclass of the file whose constructor needs no arguments. */
function guessModel(interp: Interpreter, scope: Scope, file: string): { model: InstanceV; entry: string } | null {
  const classes = [...scope.vars.entries()].filter(([, v]) => v.k === 'class' && v.loc?.file === file && isSubclass(v, MODULE_CLASS));
  for (const [name, cls] of classes.reverse()) {
    const v = interp.guarded(() => interp.call(cls, args([]), cls.k === 'class' && cls.loc ? cls.loc : { file, line: 1 }));
    if (v.k === 'instance' && v.module) return { model: v, entry: `${name}()` };
  }
  return null;
}

/** Guesses one input from the model's first layer (marked as guessed in the report). */
function guessInput(model: InstanceV, batch: number): ResolvedInput | null {
  for (const [, m] of namedModules(model)) {
    const kind = m.cls.name;
    const num = (k: string) => {
      const v = m.attrs.get(k);
      return v?.k === 'num' ? v.v : null;
    };
    const dims = (rest: number[]): ResolvedInput => ({ name: 'x', dtype: 'float32', shape: [batch, ...rest], dims: ['B', ...rest], guessed: true });
    if (kind === 'Conv2d' && num('in_channels')) return dims([num('in_channels')!, 224, 224]);
    if (kind === 'Conv1d' && num('in_channels')) return dims([num('in_channels')!, 128]);
    if (kind === 'Conv3d' && num('in_channels')) return dims([num('in_channels')!, 16, 112, 112]);
    if (kind === 'Linear' && num('in_features')) return dims([num('in_features')!]);
    if (kind === 'Embedding') return { name: 'idx', dtype: 'int64', shape: [batch, 128], dims: ['B', 128], guessed: true };
    if (kind === 'LayerNorm') {
      const ns = m.attrs.get('normalized_shape');
      const d = ns?.k === 'tuple' && ns.items[0]?.k === 'num' ? ns.items[0].v : null;
      if (d) return dims([128, d]);
    }
  }
  return null;
}
