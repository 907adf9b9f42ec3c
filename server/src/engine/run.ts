import { DType, Tensor, isFloating, tensorBytes } from '../../../kernels/src';
import type { CheckpointRegion } from '../memory/simulate';
import type { ModuleCall } from '../interpreter/torch/library';
import { Tree, parsePython, syntaxRoot } from '../python/parser';
import { Budget, BudgetLimits, DEFAULT_LIMITS, STACK_OVERFLOW, isStackOverflow } from '../interpreter/budget';
import { Interpreter, ModuleSource, createInterpreter } from '../interpreter/interpreter';
import { TorchLibrary } from '../interpreter/torch/library';
import { setTraining } from '../interpreter/torch/nn';
import { OpRecord, Tracer } from '../interpreter/tracer';
import { BudgetExceeded, InstanceV, Loc, PyException, Scope, Value, tensorV } from '../interpreter/values';
import type { AnalysisSettings, Precision } from '../report/types';
import { BuiltModule, runScript } from './discover';
import { OmittedArgument, chooseModel, forwardParameters, guessInputs, omittedArguments } from './guess';
import { ForwardInputs, ResolvedInput, atBatch, forwardArgs, inputsFromCall, inputsFromSpecs, markBatch } from './inputs';
import { Directive, parseInputSpec } from './specs';

export interface RunResult {
  interp: Interpreter;
  lib: TorchLibrary;
  tracer: Tracer;
  model: InstanceV;
  /** Where the code lens goes: the model's class, or the script line that built it (see lensLocation). */
  modelLoc: Loc | null;
  entry: string;
  entryGuessed: boolean;
  /** The input tensors, in the order of the call's arguments (tuples and dicts flattened). */
  inputs: ResolvedInput[];
  /** Optional forward arguments a training step passes that these inputs leave out. */
  omitted: OmittedArgument[];
  inputTensors: Tensor[];
  outputs: Tensor[];
  loss: Tensor | null;
  batch: number;
  /** Microbatches per optimizer step (the first pass ran at `microBatch`); 1: none. */
  microbatches: number;
  /** The batch size one forward pass ran at: `batch`, or a microbatch's. */
  microBatch: number;
  /** Bytes of the inputs at the whole batch (alive while its microbatches run). */
  batchInputBytes: number;
  /** Regions checkpointed by the code (torch.utils.checkpoint) in the first pass. */
  regions: CheckpointRegion[];
  /** The forward pass at twice the (micro)batch size, when asked for and the inputs have a batch dimension. */
  again: ForwardPass | null;
  /** The forward pass under autocast (RunOptions.autocastPass), when asked for. */
  autocast: ForwardPass | null;
}

/** The ops one forward pass (and its loss) recorded, with its inputs, outputs and loss. */
export interface ForwardPass {
  ops: OpRecord[];
  inputTensors: Tensor[];
  outputs: Tensor[];
  /** The scalar backward starts from (see `lossOf`), null when nothing needs grad. */
  loss: Tensor | null;
  /** Its module calls and the regions the code checkpointed. */
  calls: ModuleCall[];
  regions: CheckpointRegion[];
}

/** A fatal problem: the analysis cannot produce a model or its inputs. */
export class AnalysisError extends Error {
  constructor(message: string, readonly at: Loc, readonly code?: 'no-model') {
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
  /** Also run forward at twice the batch size (the model is built once), for the largest-batch estimate. */
  again?: boolean;
  limits?: BudgetLimits;
  /** When the analysis started (an `analysisClock()` time): the time budget counts from here. */
  startedAt?: number;
  /** Also run forward under `torch.autocast` to this dtype (what wrapping forward in autocast would do). */
  autocastPass?: DType;
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
    const entryText = settings.entry ?? o.directive?.entry ?? null;
    const inputTexts = settings.inputs.length ? settings.inputs : o.directive?.inputs ?? [];
    const batchSetting = settings.batch ?? o.directive?.batch ?? null;
    const at = o.directive && !settings.entry ? { file, line: o.directive.line } : top;

    // Without an entry the file runs as a script (`__main__`) up to its first call of a model.
    let script;
    try {
      script = runScript(interp, file, entryText ? '__memlens__' : '__main__');
    } catch (e) {
      if (e instanceof BudgetExceeded) throw new AnalysisError(`evaluating the file: ${e.message}`, e.at);
      throw e;
    }
    if (!script.mod) throw new AnalysisError('cannot read the file', top);
    const scope = interp.scopeOf(script.mod)!;

    let model: Value;
    let entry = entryText ?? '';
    let entryGuessed = false;
    let called: ForwardInputs | null = null;
    let calledBatch: number | null = null;
    let calledFailed: string | null = null;
    if (entryText) {
      model = evalExpression(interp, entryText, scope, file, at);
    } else if (script.call) {
      const call = script.call;
      model = call.model;
      entry = script.built.find((b) => b.module === call.model)?.entry ?? `${call.model.cls.name}(…)`;
      const found = inputsFromCall(call.args, forwardParameters(call.model).map((p) => p.name));
      if (typeof found === 'string') {
        // Data the interpreter cannot read (a numpy memmap, files): the model is the script's, its inputs are guessed.
        calledFailed = `the model's call at line ${call.at.line} has inputs that could not be evaluated (${found})`;
        interp.report(`${calledFailed}; they are guessed from the model`, call.at);
      } else {
        calledBatch = markBatch(found.leaves, lib.data.iteratedBatchSize);
        called = found;
      }
    } else {
      const { choice, tried } = chooseModel(interp, scope, syntaxRoot(o.tree), file, script);
      if (!choice) throw new AnalysisError(`no model found: ${tried.join('; ')}. Add \`# memlens: entry=Model() input=x:float32[B,...]\` or pass --entry`, top, 'no-model');
      model = choice.model;
      entry = choice.entry;
      entryGuessed = choice.guessed;
    }
    if (model.k === 'unknown') throw new AnalysisError(`the entry '${entry}' could not be evaluated: ${oneLine(model.reason)}`, model.at);
    if (model.k !== 'instance' || !model.module) throw new AnalysisError(`the entry '${entry}' is not an nn.Module (got ${model.k})`, at);
    const net = model;

    const classLoc = net.cls.loc;
    lib.assignPaths(net);

    // Inputs: explicit specs, the tensors the script called the model with, or a guess.
    let inputs: ForwardInputs;
    let batch: number;
    let posNames: string[] = [];
    if (inputTexts.length) {
      batch = batchSetting ?? 1;
      const specs = inputTexts.map((t) => {
        try {
          return parseInputSpec(t);
        } catch (e) {
          throw new AnalysisError((e as Error).message, at);
        }
      });
      inputs = inputsFromSpecs(specs, batch);
      posNames = specs.filter((s) => !s.keyword).map((s) => s.name);
    } else if (called) {
      batch = batchSetting ?? calledBatch ?? 1;
      inputs = batchSetting === null ? called : { ...called, leaves: atBatch(called.leaves, batchSetting) };
    } else {
      const g = guessInputs(interp, net, lib.data.batches(batchSetting ?? 1), batchSetting);
      if (!g) throw new AnalysisError(`${calledFailed ? `${calledFailed}, and ` : ''}cannot guess the input of ${net.cls.name}: add \`# memlens: input=x:float32[B,...]\` or pass --input`, classLoc ?? top);
      inputs = g.inputs;
      batch = g.batch;
    }
    if (settings.precision === 'bf16') inputs = { ...inputs, leaves: inputs.leaves.map((i) => (i.dtype === 'float32' ? { ...i, dtype: 'bfloat16' } : i)) };
    const callText = settings.call ?? o.directive?.call ?? null;
    const omitted = callText ? [] : omittedArguments(net, inputs.pos.length, inputs.kw.map(([k]) => k));

    const callAt = classLoc ?? top;
    const callAtLine = o.directive?.call && !settings.call ? { file, line: o.directive.line } : top;
    const callModel = (inputTensors: readonly Tensor[]): Value => {
      const a = forwardArgs(inputs, inputTensors);
      if (!callText) return interp.call(net, a, callAt);
      // `call=model(input_ids=x, labels=x)`: the expression, with `model` and the inputs by name.
      const local = new Scope(scope, scope);
      local.vars.set('model', net);
      a.pos.forEach((v, i) => local.vars.set(posNames[i] ?? `input${i}`, v));
      for (const [k, v] of a.kw) local.vars.set(k, v);
      return evalExpression(interp, callText, local, file, callAtLine);
    };
    const forward = (leaves: readonly ResolvedInput[], autocast?: DType): ForwardPass => {
      const firstOp = tracer.ops.length;
      const marks = { calls: lib.calls.length, regions: tracer.regions.length };
      const inputTensors = leaves.map((i) => tracer.newTensor(i.shape, i.dtype, false, 'input'));
      // A training step, whatever mode the script left the model in (an evaluation pass first).
      setTraining(net, true);
      tracer.recording = true;
      tracer.setContext({ autocast: autocast ?? autocastDtype(settings.precision), defaultFloat: settings.precision === 'bf16' ? 'bfloat16' : 'float32', gradEnabled: true });
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
      return { ops: tracer.ops.slice(firstOp), inputTensors, outputs: collectTensors(out), loss, calls: lib.calls.slice(marks.calls), regions: tracer.regions.slice(marks.regions) };
    };
    // Gradient accumulation: each forward pass runs on one microbatch (torch.chunk's first, the largest).
    const batched = inputs.leaves.some((i) => i.dims.some((d) => typeof d === 'string'));
    const microbatches = batched ? Math.max(1, Math.min(batch, Math.floor(settings.microbatch ?? o.directive?.microbatch ?? 1))) : 1;
    const microBatch = Math.ceil(batch / microbatches);
    const batchInputBytes = inputs.leaves.reduce((s, i) => s + tensorBytes(i.shape, i.dtype), 0);
    const first = forward(microbatches > 1 ? atBatch(inputs.leaves, microBatch) : inputs.leaves);
    let again: ForwardPass | null = null;
    if (o.again && batched) {
      // The same model run again on inputs of twice the batch size; its ops, calls and unknowns are
      // kept apart so the report describes the first pass only.
      const marks = { ops: tracer.ops.length, calls: lib.calls.length, unknowns: interp.unknowns.length, regions: tracer.regions.length };
      again = forward(atBatch(inputs.leaves, microBatch * 2));
      tracer.ops.splice(marks.ops);
      lib.calls.splice(marks.calls);
      interp.unknowns.splice(marks.unknowns);
      tracer.regions.splice(marks.regions);
    }
    // Apart, as `again`: forward under autocast (the fix that wraps forward's body).
    let autocast: ForwardPass | null = null;
    if (o.autocastPass) {
      const marks = { ops: tracer.ops.length, calls: lib.calls.length, unknowns: interp.unknowns.length, regions: tracer.regions.length };
      autocast = forward(microbatches > 1 ? atBatch(inputs.leaves, microBatch) : inputs.leaves, o.autocastPass);
      tracer.ops.splice(marks.ops);
      lib.calls.splice(marks.calls);
      interp.unknowns.splice(marks.unknowns);
      tracer.regions.splice(marks.regions);
    }
    return {
      autocast,
      interp, lib, tracer, model: net, modelLoc: lensLocation(net, script.built, file), entry, entryGuessed, inputs: inputs.leaves, omitted,
      inputTensors: first.inputTensors, outputs: first.outputs, loss: first.loss, batch, again,
      microbatches, microBatch, batchInputBytes, regions: first.regions,
    };
  } finally {
    interp.dispose();
  }
}

/**
 * Where the code lens goes: the model's class when the analyzed file defines it, else the line of
 * the analyzed file that built it (a script importing its model).
 */
function lensLocation(model: InstanceV, built: readonly BuiltModule[], file: string): Loc | null {
  const cls = model.cls.loc;
  if (cls?.file === file) return cls;
  return built.find((b) => b.module === model && b.at.file === file)?.at ?? cls;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * Evaluates a Python expression (the entry, a directive's `call=`) in the module's scope. What
 * goes wrong in the expression itself (a name it misspells) is placed on `at` (the directive's
 * line), not on the line of the expression's own text; what goes wrong inside the code it calls
 * stays where it happened (a dataclass field without a value, at the field).
 */
function evalExpression(interp: Interpreter, text: string, scope: Scope, file: string, at: Loc): Value {
  const mark = interp.unknowns.length;
  const v = evalExpressionText(interp, text, scope, file, at);
  const own = (l: Loc) => l.file === file && l.line === 1 && at.line !== 1;
  for (const u of interp.unknowns.slice(mark)) if (own(u)) u.line = at.line;
  return v.k === 'unknown' && own(v.at) ? { ...v, at } : v;
}

function evalExpressionText(interp: Interpreter, text: string, scope: Scope, file: string, at: Loc): Value {
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
