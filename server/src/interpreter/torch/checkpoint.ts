// torch.utils.checkpoint as model code uses it: `checkpoint(fn, *args, use_reentrant=False)`,
// `checkpoint_sequential(seq, segments, x)`, selective checkpointing through
// `context_fn=partial(create_selective_checkpoint_contexts, ops_or_policy)` — and `torch.ops.aten.*`
// op handles, which those lists name. Each checkpointed call runs its function as usual and marks
// the ops it ran as a region (Tracer.regions); the simulator drops what they save after forward
// and recomputes it in backward (memory/simulate.ts).

import { ClassV, InstanceV, Loc, ModuleV, NONE, Value, builtin, int } from '../values';
import { overloadName } from '../../memory/simulate';
import { fullRecompute } from '../../engine/checkpointPlan';
import type { TorchLibrary } from './library';

const POLICY = { MUST_SAVE: 0, PREFER_SAVE: 1, MUST_RECOMPUTE: 2, PREFER_RECOMPUTE: 3 } as const;

/** Arguments `checkpoint` takes for itself (the rest go to the function, as non-reentrant checkpoint passes them). */
const OWN_KEYWORDS = ['use_reentrant', 'context_fn', 'preserve_rng_state', 'determinism_check', 'debug'];

export function checkpointModules(lib: TorchLibrary): Record<string, Value> {
  const selective = new WeakMap<InstanceV, { ops?: Set<string>; policy?: Value }>();
  const opHandles = new Map<string, Value>();
  /** `torch.ops.aten.mm.default`: a stable value per overload (policies compare them with `in` / `==`). */
  const opHandle = (name: string): Value => {
    let v = opHandles.get(name);
    if (!v) {
      v = builtin(`torch.ops.aten.${name}`, (_a, at) => lib.interp.fail(`calling torch.ops.aten.${name} directly is not modelled`, at));
      opHandles.set(name, v);
    }
    return v;
  };
  const getattrModule = (name: string, attr: (n: string) => Value): ModuleV => {
    const m = lib.ns(name, {});
    m.attrs.set('__getattr__', builtin(`${name}.__getattr__`, (a) => attr(a.pos[0]?.k === 'str' ? a.pos[0].v : '')));
    return m;
  };
  const packets = new Map<string, ModuleV>();
  const aten = getattrModule('torch.ops.aten', (op) => {
    let p = packets.get(op);
    if (!p) {
      p = getattrModule(`torch.ops.aten.${op}`, (overload) => opHandle(`${op}.${overload}`));
      packets.set(op, p);
    }
    return p;
  });
  const ops = getattrModule('torch.ops', (ns) => (ns === 'aten' ? aten : lib.unknownModule(`torch.ops.${ns}`, lib.at)));
  ops.attrs.set('aten', aten);

  const policyClass: ClassV = { k: 'class', name: 'CheckpointPolicy', bases: [], attrs: new Map(Object.entries(POLICY).map(([k, v]) => [k, int(v)])), loc: null };
  const contextsClass: ClassV = { k: 'class', name: '_SelectiveCheckpointContexts', bases: [], attrs: new Map(), loc: null };

  /** The op names a list of op handles (`torch.ops.aten.mm.default`, `torch.ops.aten.mm`) names. */
  const opNames = (items: readonly Value[]): Set<string> | undefined => {
    const names = new Set<string>();
    for (const v of items) {
      const name = v.k === 'builtin' ? v.name : v.k === 'module' ? v.name : null;
      if (!name?.startsWith('torch.ops.aten.')) return undefined;
      names.add(name.slice('torch.ops.aten.'.length));
    }
    return names;
  };

  /** The ops a selective policy keeps among the region's: a list's, or the policy function asked per op. */
  const keptOps = (contexts: Value, first: number, end: number, at: Loc): Set<string> | undefined => {
    if (contexts.k !== 'instance') return undefined;
    const sel = selective.get(contexts);
    if (!sel) return undefined;
    if (sel.ops) return sel.ops;
    const keep = new Set<string>();
    const ctx: InstanceV = { k: 'instance', cls: { k: 'class', name: 'SelectiveCheckpointContext', bases: [], attrs: new Map(), loc: null }, attrs: new Map([['is_recompute', { k: 'bool', v: false }]]), id: lib.interp.newInstanceId() };
    for (const kind of new Set(lib.tracer.ops.slice(first, end).map((o) => overloadName(o.kind)))) {
      const r = lib.interp.call(sel.policy!, { pos: [ctx, opHandle(kind)], kw: new Map() }, at);
      if (r.k === 'num' && (r.v === POLICY.MUST_SAVE || r.v === POLICY.PREFER_SAVE)) keep.add(kind);
      else if (r.k === 'bool' && r.v) keep.add(kind);
      else if (r.k !== 'num' && r.k !== 'bool') {
        lib.interp.report(`the selective checkpoint policy returned something other than a CheckpointPolicy for ${kind}: treated as recompute`, at);
      }
    }
    return keep;
  };

  const checkpoint = builtin('torch.utils.checkpoint.checkpoint', (a, at) => {
    const fn = a.pos[0];
    if (!fn) return lib.interp.fail('checkpoint() needs the function to run', at);
    const reentrantArg = a.kw.get('use_reentrant');
    // Not passed: reentrant, as PyTorch still defaults (with a warning in 2.x).
    const reentrant = reentrantArg?.k === 'bool' ? reentrantArg.v : true;
    const kw = new Map([...a.kw].filter(([k]) => !OWN_KEYWORDS.includes(k)));
    if (reentrant && kw.size) return lib.interp.fail(`checkpoint with use_reentrant=True takes no keyword arguments for the function (got ${[...kw.keys()].join(', ')})`, at, 'error');
    const contextFn = a.kw.get('context_fn');
    const contexts = contextFn && contextFn.k !== 'none' ? lib.interp.call(contextFn, { pos: [], kw: new Map() }, at) : null;
    const first = lib.tracer.ops.length;
    const out = lib.interp.call(fn, { pos: a.pos.slice(1), kw }, at);
    let keep: Set<string> | undefined;
    if (contexts) {
      keep = keptOps(contexts, first, lib.tracer.ops.length, at);
      if (!keep) lib.interp.report('this context_fn of checkpoint is not modelled (only create_selective_checkpoint_contexts): what it keeps is counted as recomputed', at);
    }
    markRegion(lib, first, reentrant, keep, `checkpoint at line ${at.line}`, at);
    return out;
  });

  const checkpointSequential = builtin('torch.utils.checkpoint.checkpoint_sequential', (a, at) => {
    const functions = a.pos[0] ?? a.kw.get('functions');
    const segmentsV = a.pos[1] ?? a.kw.get('segments');
    let input = a.pos[2] ?? a.kw.get('input') ?? NONE;
    if (!functions || segmentsV?.k !== 'num') return lib.interp.fail('checkpoint_sequential(functions, segments, input) needs its three arguments', at);
    const reentrantArg = a.pos[3] ?? a.kw.get('use_reentrant');
    // 1.x: `checkpoint_sequential(functions, segments, input, **kwargs)`, always reentrant, and any
    // keyword but preserve_rng_state raises ValueError("Unexpected keyword arguments").
    if (lib.tracer.ctx.torch[0] < 2 && [...a.kw.keys()].some((k) => !['functions', 'segments', 'input', 'preserve_rng_state'].includes(k))) {
      return lib.interp.fail(`checkpoint_sequential in PyTorch ${lib.tracer.ctx.torch.join('.')} takes no ${[...a.kw.keys()].filter((k) => !['functions', 'segments', 'input', 'preserve_rng_state'].includes(k)).join(', ')} (ValueError: Unexpected keyword arguments)`, at, 'error');
    }
    const reentrant = reentrantArg?.k === 'bool' ? reentrantArg.v : true;
    const children = lib.interp.iterate(functions, at);
    const segments = Math.max(1, Math.floor(segmentsV.v));
    const size = Math.floor(children.length / segments);
    // PyTorch steps `range(0, size * (segments - 1), size)`: more segments than functions raises.
    if (size === 0 && segments > 1) return lib.interp.fail(`checkpoint_sequential: ${segments} segments for ${children.length} functions (PyTorch raises ValueError: range() arg 3 must not be zero)`, at, 'error');
    const run = (from: number, to: number, x: Value) => {
      for (let j = from; j <= to; j++) x = lib.interp.call(children[j], { pos: [x], kw: new Map() }, at);
      return x;
    };
    let end = -1;
    for (let start = 0; start < size * (segments - 1); start += size) {
      end = start + size - 1;
      const first = lib.tracer.ops.length;
      input = run(start, end, input);
      markRegion(lib, first, reentrant, undefined, `checkpoint_sequential segment ${start}–${end} at line ${at.line}`, at);
    }
    return run(end + 1, children.length - 1, input);
  });

  const createContexts = builtin('torch.utils.checkpoint.create_selective_checkpoint_contexts', (a, at) => {
    const arg = a.pos[0] ?? a.kw.get('policy_fn_or_list');
    const inst: InstanceV = { k: 'instance', cls: contextsClass, attrs: new Map(), id: lib.interp.newInstanceId() };
    if (arg && (arg.k === 'list' || arg.k === 'tuple' || arg.k === 'set')) {
      const names = opNames(arg.k === 'set' ? [...arg.map.values()] : arg.items);
      if (!names) return lib.interp.fail('create_selective_checkpoint_contexts: the list names ops other than torch.ops.aten.* (not modelled)', at);
      selective.set(inst, { ops: names });
    } else if (arg && (arg.k === 'func' || arg.k === 'builtin' || arg.k === 'bound')) selective.set(inst, { policy: arg });
    else return lib.interp.fail('create_selective_checkpoint_contexts needs a list of ops or a policy function', at);
    return inst;
  });

  const checkpointNs = lib.ns('torch.utils.checkpoint', {
    checkpoint,
    checkpoint_sequential: checkpointSequential,
    create_selective_checkpoint_contexts: createContexts,
    CheckpointPolicy: policyClass,
    noop_context_fn: builtin('torch.utils.checkpoint.noop_context_fn', () => NONE),
  });
  return { 'torch.utils.checkpoint': checkpointNs, 'torch.ops': ops, 'torch.ops.aten': aten };
}

/** Marks the ops recorded since `first` as a checkpointed region (only while a training step is traced). */
function markRegion(lib: TorchLibrary, first: number, reentrant: boolean, keep: Set<string> | undefined, label: string, at: Loc): void {
  const end = lib.tracer.ops.length;
  if (!lib.tracer.recording || end <= first) return;
  // Non-reentrant checkpoint stops recomputing after the last saved tensor from PyTorch 2.1 on.
  const full = reentrant || fullRecompute(lib.tracer.ctx.torch);
  const stack = lib.tracer.moduleStack;
  lib.tracer.regions.push({ first, end, full, reentrant, ...(keep ? { keep } : {}), label, caller: { module: stack.length ? stack[stack.length - 1] : '', line: at } });
}
