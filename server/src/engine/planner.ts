// "Fit the budget": the checkpoint plan with the least recompute whose simulated training-step peak
// fits a budget, by dynamic programming over the forward's chain of call sites.
//
// The chain: the call sites of the analyzed file (engine/fixes.ts), outermost first, a site that
// is one call of a wrapper around two or more sites replaced by those (nested blocks); sites whose
// calls interleave (two calls in one loop body) form one group whose options are their
// combinations. Each group's options: none, checkpoint each call, checkpoint_sequential in k
// segments (an nn.Sequential).
//
// The model the DP solves, read off simulations (memory/simulate.ts): checkpointing call j drops
// S_j bytes of saved tensors from the end of its forward until backward reaches it, and adds R_j
// (the recompute's transients) while backward runs inside it. A point t of the baseline step at op
// position p, with live bytes B(t), is covered by the calls that end before p; the plan fits when
// at every point the covered calls' savings reach B(t) − budget (+ R_j inside call j). Windows of a
// chain nest, so the covered calls are a prefix: the DP runs over calls in order with the prefix's
// savings (bucketed down, needs rounded up) as its state and minimises recomputed FLOPs. Every plan
// it returns is then simulated whole; when the simulation disagrees (the model is additive, the
// step is not quite), the budget the DP aims at is lowered by the excess and it runs again.

import type { ModuleCall } from '../interpreter/torch/library';
import { CheckpointRegion, simulateStep, StepResult } from '../memory/simulate';
import type { AnalysisSettings, SourceEdit } from '../report/types';
import type { Tree } from '../python/parser';
import { regionFlops } from './checkpointPlan';
import { CallSite, callSites, checkpointEdit, importEdit, sequentialEdit, sequentialReentrant, sequentialRegions, siteRegions, spelledCheckpoint } from './fixes';
import { stepInputOf } from './report';
import type { ForwardPass, RunResult } from './run';

/** One way to run a group of sites: its regions, edits and recomputed FLOPs. */
export interface PlanOption {
  readonly label: string;
  readonly regions: readonly CheckpointRegion[];
  readonly flops: number;
  readonly edits: readonly SourceEdit[];
  readonly imports: readonly string[];
}

/** Sites whose calls interleave, decided together; `calls` in op order (the DP's sub-units). */
export interface PlanGroup {
  readonly sites: readonly CallSite[];
  readonly calls: readonly ModuleCall[];
  readonly options: readonly PlanOption[];
}

/** What the DP needs of a group's option, per call of the group (aligned with `group.calls`). */
interface OptionCost {
  /** Saved bytes dropped while the call's window lasts. */
  readonly saved: number[];
  /** Extra bytes while backward runs inside the call (the recompute's transients). */
  readonly extra: number[];
}

export interface ChainPlan {
  /** Option index chosen per group (0: none). */
  readonly choice: number[];
  readonly regions: CheckpointRegion[];
  readonly flops: number;
  readonly peak: number;
  readonly labels: string[];
  readonly edits: SourceEdit[];
}

/** The chain of groups of a pass (see the file's comment). */
export function planGroups(run: RunResult, pass: ForwardPass, file: string, tree: Tree): PlanGroup[] {
  // A leaf layer (no submodules) is not worth a checkpoint of its own: what it saves is its input.
  const leaf = (s: CallSite) => ![...(s.calls[0].module.module?.children.values() ?? [])].some((v) => v.k === 'instance');
  const sites = callSites(pass, file, tree).filter((s) => !leaf(s));
  const span = (s: CallSite) => [Math.min(...s.calls.map((c) => c.firstOp)), Math.max(...s.calls.map((c) => c.lastOp))] as const;
  // A call inside a call of another site (a block's `self.downsample(x)` inside `self.layer2(out)`).
  // (Same ops: the inner is the one the other's forward called, `return self.layer(x)`.)
  const within = (c: ModuleCall, d: ModuleCall) => d !== c && d.firstOp <= c.firstOp && c.lastOp <= d.lastOp && (!(d.firstOp === c.firstOp && d.lastOp === c.lastOp) || c.caller === d.path);
  // A site is inside another when each of its calls ran inside one of the other's calls.
  const inside = (a: CallSite, b: CallSite) => a !== b && a.calls.every((c) => b.calls.some((d) => within(c, d)));
  const nestedCall = (c: ModuleCall, among: readonly CallSite[]) => among.some((y) => y.calls.some((d) => within(c, d)));
  // Outermost sites (none of their calls inside another site's); a single call wrapping two or
  // more sites gives way to them.
  const children = (s: CallSite | null) => {
    const pool = s ? sites.filter((x) => inside(x, s)) : sites;
    return pool.filter((x) => !x.calls.some((c) => nestedCall(c, pool.filter((y) => y !== x))));
  };
  const chain: CallSite[] = [];
  const expand = (s: CallSite) => {
    const inner = children(s);
    if (s.calls.length === 1 && s.className !== 'Sequential' && inner.length >= 2) inner.forEach(expand);
    else chain.push(s);
  };
  children(null).forEach(expand);
  chain.sort((a, b) => span(a)[0] - span(b)[0]);
  // Interleaving sites (their spans overlap) are one group.
  const groups: CallSite[][] = [];
  let end = -1;
  for (const s of chain) {
    const [a, b] = span(s);
    if (groups.length && a < end) groups[groups.length - 1].push(s);
    else groups.push([s]);
    end = Math.max(end, b);
  }
  const flopsOf = (regions: readonly CheckpointRegion[]) => regionFlops(pass.ops, regions);
  const spelled = { checkpoint: spelledCheckpoint(tree, 'checkpoint'), checkpoint_sequential: spelledCheckpoint(tree, 'checkpoint_sequential') };
  return groups.map((members) => {
    const perSite = members.map((s) => {
      const opts: PlanOption[] = [{ label: '', regions: [], flops: 0, edits: [], imports: [] }];
      const whole = siteRegions(s, run);
      opts.push({ label: `checkpoint ${s.callee}`, regions: whole, flops: flopsOf(whole), edits: [checkpointEdit(s, spelled.checkpoint.name)], imports: spelled.checkpoint.needsImport ? ['checkpoint'] : [] });
      if (s.sequential !== null && s.args !== '' && !s.args.includes(',') && !s.args.includes('=')) {
        for (let k = 2; k <= Math.min(s.sequential, 8); k++) {
          const regions = sequentialRegions(s, k, pass, run);
          if (regions.length) opts.push({ label: `checkpoint_sequential(${s.callee}, ${k})`, regions, flops: flopsOf(regions), edits: [sequentialEdit(s, k, sequentialReentrant(run), spelled.checkpoint_sequential.name)], imports: spelled.checkpoint_sequential.needsImport ? ['checkpoint_sequential'] : [] });
        }
      }
      return opts;
    });
    // Combinations of the members' options (bounded).
    let combos: PlanOption[] = [{ label: '', regions: [], flops: 0, edits: [], imports: [] }];
    for (const opts of perSite) {
      const next: PlanOption[] = [];
      for (const a of combos) for (const b of opts) next.push({ label: [a.label, b.label].filter(Boolean).join(', '), regions: [...a.regions, ...b.regions], flops: a.flops + b.flops, edits: [...a.edits, ...b.edits], imports: [...a.imports, ...b.imports] });
      combos = next.slice(0, 64);
    }
    const calls = members.flatMap((s) => s.calls).sort((a, b) => a.firstOp - b.firstOp);
    return { sites: members, calls, options: combos };
  });
}

/** A plan (an option per group), simulated whole. */
function chainPlan(run: RunResult, pass: ForwardPass, settings: AnalysisSettings, groups: readonly PlanGroup[], fixed: readonly CheckpointRegion[], choice: number[]): ChainPlan {
  const opts = choice.map((oi, gi) => groups[gi].options[oi]);
  const regions = opts.flatMap((o) => o.regions);
  const peak = simulateStep({ ...stepInputOf(run, pass, settings, [...fixed, ...regions]), totalsOnly: true }).peakBytes;
  return { choice, regions, flops: opts.reduce((s, o) => s + o.flops, 0), peak, labels: opts.map((o) => o.label).filter(Boolean), edits: opts.flatMap((o) => o.edits) };
}

/**
 * Solves the chain for `budget`. `base`: the step simulated with `fixed` regions only (the plan in
 * force). Returns the cheapest plan the DP finds, simulated, or null when none of its plans fits.
 */
export function solveChain(run: RunResult, pass: ForwardPass, settings: AnalysisSettings, groups: readonly PlanGroup[], budget: number, fixed: readonly CheckpointRegion[] = [], base?: StepResult): ChainPlan | null {
  const simulate = (regions: readonly CheckpointRegion[]) => simulateStep({ ...stepInputOf(run, pass, settings, [...fixed, ...regions]), totalsOnly: true });
  const baseline = base ?? simulate([]);
  const first = pass.ops[0]?.index ?? 0;
  // Sub-units: every call of every group, in op order; their positions in ops.
  const units = groups.flatMap((g, gi) => g.calls.map((c) => ({ g: gi, a: c.firstOp - first, b: c.lastOp - first })));
  units.sort((x, y) => x.a - y.a);
  const unitOf = (g: number, c: ModuleCall) => units.findIndex((u) => u.g === g && u.a === c.firstOp - first);
  const m = units.length;
  if (!m) return null;
  // Covered prefix of a position: the units that end at or before it.
  const ends = units.map((u) => u.b);
  const coveredBy = (p: number) => {
    let lo = 0;
    let hi = m;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ends[mid] <= p) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const insideOf = (p: number) => {
    const j = coveredBy(p);
    return j < m && units[j].a <= p ? j : -1;
  };
  // Per-point needs of the baseline, folded by covered prefix (and inside a unit's backward).
  const needPlain = new Array<number>(m + 1).fill(-Infinity);
  const needInside = new Array<number>(m).fill(-Infinity);
  const baseInside = new Array<number>(m).fill(-Infinity);
  baseline.totals.forEach((bytes, i) => {
    const at = baseline.pointOps[i];
    const phase = baseline.phases[i];
    const p = at < 0 ? (phase === 'backward' ? Infinity : -1) : at;
    const J = phase === 'optimizer' ? 0 : p === Infinity ? m : coveredBy(p);
    const j = phase === 'backward' && at >= 0 ? insideOf(at) : -1;
    if (j >= 0) {
      needInside[j] = Math.max(needInside[j], bytes - budget);
      baseInside[j] = Math.max(baseInside[j], bytes);
    } else needPlain[J] = Math.max(needPlain[J], bytes - budget);
  });
  // Each option's costs from a simulation: a unit's savings are how much more its forward's last
  // point is lowered than the unit before it's; its extra, how far its backward's peak sits above the
  // baseline's less the savings of the units before it. Where the options are few each is simulated
  // alone (its costs then hold whatever the others choose); a long chain gets one simulation per
  // option index with every group's at once (the additive model's assumption; the plan is verified).
  const costs: OptionCost[][] = groups.map((g) => g.options.map(() => ({ saved: g.calls.map(() => 0), extra: g.calls.map(() => 0) })));
  const slot = units.map((u) => groups[u.g].calls.findIndex((c) => c.firstOp - first === u.a));
  const optionCount = groups.reduce((n, g) => n + g.options.length - 1, 0);
  const probes: number[][] = [];
  if (optionCount <= 64) groups.forEach((g, gi) => g.options.forEach((_, oi) => oi > 0 && probes.push(groups.map((__, hi) => (hi === gi ? oi : 0)))));
  else for (let oi = 1; oi < Math.max(...groups.map((g) => g.options.length)); oi++) probes.push(groups.map((g) => (oi < g.options.length ? oi : 0)));
  for (const probe of probes) {
    const step = simulate(groups.flatMap((g, gi) => g.options[probe[gi]].regions));
    const prefix: number[] = [];
    let before = 0;
    for (let j = 0; j < m; j++) {
      prefix.push(before);
      const p = Math.max(0, units[j].b - 1);
      const lowered = baseline.totals[p] - step.totals[p];
      const oi = probe[units[j].g];
      if (oi > 0) costs[units[j].g][oi].saved[slot[j]] = lowered - before;
      before = lowered;
    }
    const local = new Array<number>(m).fill(-Infinity);
    step.totals.forEach((bytes, i) => {
      const at = step.pointOps[i];
      if (step.phases[i] !== 'backward' || at < 0) return;
      const j = insideOf(at);
      if (j >= 0) local[j] = Math.max(local[j], bytes);
    });
    for (let j = 0; j < m; j++) {
      const oi = probe[units[j].g];
      if (oi === 0 || !Number.isFinite(local[j]) || !Number.isFinite(baseInside[j])) continue;
      // Negative when the option lowers its own backward's peak (checkpoint_sequential: its first
      // segments stay dropped while backward runs through the last).
      costs[units[j].g][oi].extra[slot[j]] = local[j] - (baseInside[j] - prefix[j]);
    }
  }
  // The DP's states after each group: the Pareto front of (savings so far, FLOPs), a state kept only
  // when no other saves as much for fewer FLOPs; each remembers its choice and predecessor.
  interface State {
    readonly saved: number;
    readonly flops: number;
    readonly choice: number;
    readonly prev: State | null;
  }
  const MAX_STATES = 512;
  /** Two lists sorted by savings (most first; then FLOPs, fewest first) as one. */
  const mergeStates = (a: State[], b: State[]): State[] => {
    if (!a.length) return b;
    if (!b.length) return a;
    const out: State[] = [];
    let i = 0;
    let j = 0;
    while (i < a.length && j < b.length) {
      const x = a[i];
      const y = b[j];
      if (x.saved > y.saved || (x.saved === y.saved && x.flops <= y.flops)) {
        out.push(x);
        i++;
      } else {
        out.push(y);
        j++;
      }
    }
    while (i < a.length) out.push(a[i++]);
    while (j < b.length) out.push(b[j++]);
    return out;
  };
  const solve = (target: number): number[] | null => {
    const need = (n: number) => n + (budget - target);
    if (need(needPlain[0]) > 0) return null;
    let states: State[] = [{ saved: 0, flops: 0, choice: -1, prev: null }];
    for (let gi = 0; gi < groups.length; gi++) {
      const g = groups[gi];
      const myUnits = g.calls.map((c) => unitOf(gi, c));
      // One list per option: each keeps the states' order (an option adds the same savings to
      // every state), so the lists merge instead of being sorted.
      let next: State[] = [];
      for (let oi = 0; oi < g.options.length; oi++) {
        const cost = costs[gi][oi];
        const list: State[] = [];
        for (const st of states) {
          let acc = st.saved;
          let ok = true;
          for (let k = 0; k < myUnits.length && ok; k++) {
            const j = myUnits[k];
            // Inside unit j's backward the units before it cover, plus its own recompute's extra.
            if (need(needInside[j] + cost.extra[k]) > acc) ok = false;
            acc += cost.saved[k];
            // After unit j ends: the prefix through j covers.
            if (need(needPlain[j + 1]) > acc) ok = false;
          }
          if (ok) list.push({ saved: acc, flops: st.flops + g.options[oi].flops, choice: oi, prev: st });
        }
        next = mergeStates(next, list);
      }
      // Pareto front: by savings, most first; kept when cheaper than every state saving more.
      const front: State[] = [];
      let cheapest = Infinity;
      for (const st of next) {
        if (st.flops < cheapest) {
          front.push(st);
          cheapest = st.flops;
        }
      }
      // Bounded: an evenly spaced subset (the cheapest and the most saving kept).
      states = front.length <= MAX_STATES ? front : front.filter((_, i) => i % Math.ceil(front.length / MAX_STATES) === 0 || i === front.length - 1);
      if (!states.length) return null;
    }
    let best = states[0];
    for (const st of states) if (st.flops < best.flops) best = st;
    const picks: number[] = [];
    for (let st: State | null = best; st && st.choice >= 0; st = st.prev) picks.unshift(st.choice);
    return picks;
  };
  const planOf = (choice: number[]): ChainPlan => chainPlan(run, pass, settings, groups, fixed, choice);
  // The DP aims at a target; every plan it gives is simulated. Over the budget: aim lower by the
  // excess. None found: aim a little higher (the additive model can be pessimistic). The cheapest
  // plan whose simulated peak fits wins.
  let best: ChainPlan | null = null;
  const tried = new Set<string>();
  const consider = (target: number): number | null => {
    const choice = solve(target);
    if (!choice) return null;
    const key = choice.join(',');
    if (tried.has(key)) return null;
    tried.add(key);
    const plan = planOf(choice);
    if (plan.peak <= budget && (!best || plan.flops < best.flops)) best = plan;
    return plan.peak;
  };
  let target = budget;
  for (let attempt = 0; attempt < 6; attempt++) {
    const peak = consider(target);
    if (peak === null || peak <= budget) break;
    target -= peak - budget;
  }
  // None found: the additive model may be pessimistic; aim a little higher, each simulated.
  const span = Math.max(0, baseline.peakBytes - budget);
  for (const f of [0.02, 0.05, 0.1, 0.2]) if (!best) consider(budget + span * f);
  return best;
}

/** Every group at its most memory-saving option: the lowest peak checkpointing reaches, simulated. */
export function lowestPeakPlan(run: RunResult, pass: ForwardPass, settings: AnalysisSettings, groups: readonly PlanGroup[], fixed: readonly CheckpointRegion[] = []): ChainPlan {
  const choice = groups.map((g) => {
    let best = 0;
    let bestPeak = Infinity;
    g.options.forEach((o, oi) => {
      if (!o.regions.length) return;
      const peak = simulateStep({ ...stepInputOf(run, pass, settings, [...fixed, ...o.regions]), totalsOnly: true }).peakBytes;
      if (peak < bestPeak) {
        bestPeak = peak;
        best = oi;
      }
    });
    return best;
  });
  return chainPlan(run, pass, settings, groups, fixed, choice);
}

/** The edits of a plan with the imports its options need. */
export function planEdits(tree: Tree, plan: ChainPlan, groups: readonly PlanGroup[]): SourceEdit[] {
  const imports = [...new Set(plan.choice.flatMap((oi, gi) => groups[gi].options[oi].imports))];
  const imp = imports.length ? importEdit(tree, imports) : null;
  return imp ? [imp, ...plan.edits] : [...plan.edits];
}

/** Edits applied to a text (positions in the original; non-overlapping). */
export function applyEdits(text: string, edits: readonly SourceEdit[]): string {
  const lines = text.split('\n');
  const starts: number[] = [];
  let o = 0;
  for (const l of lines) {
    starts.push(o);
    o += l.length + 1;
  }
  const offset = (line: number, ch: number) => (line < starts.length ? starts[line] + ch : text.length);
  const sorted = [...edits].map((e) => ({ s: offset(e.startLine, e.startCharacter), e: offset(e.endLine, e.endCharacter), t: e.newText })).sort((a, b) => b.s - a.s);
  let out = text;
  for (const e of sorted) out = out.slice(0, e.s) + e.t + out.slice(e.e);
  return out;
}

/**
 * Checkpoint edits inside forward's body together with wrapping that body in autocast: one edit of
 * the body's rows (the `with` line, the body indented, the calls rewritten).
 */
export function composeAutocast(text: string, wrap: SourceEdit, inner: readonly SourceEdit[]): SourceEdit[] {
  const inside = inner.filter((e) => e.startLine >= wrap.startLine && e.endLine <= wrap.endLine);
  const outside = inner.filter((e) => !inside.includes(e));
  if (!inside.length) return [...outside, wrap];
  const lines = text.split('\n');
  const body = lines.slice(wrap.startLine, wrap.endLine + 1).join('\n');
  const rel = inside.map((e) => ({ ...e, startLine: e.startLine - wrap.startLine, endLine: e.endLine - wrap.startLine }));
  const edited = applyEdits(body, rel).split('\n');
  // The wrap's text is the `with` line then the original body's rows indented; indent the edited rows alike.
  const wrapped = wrap.newText.split('\n');
  const header = wrapped[0];
  const unit = wrapped.length > 1 ? wrapped[1].slice(0, wrapped[1].length - lines[wrap.startLine].replace(/\r$/, '').length) : '    ';
  const out = [header, ...edited.map((l) => (l.trim() === '' ? l : `${unit}${l}`))];
  return [...outside, { ...wrap, newText: out.join('\n') }];
}

/** The directive edit for gradient accumulation: `microbatch=K` in the file's `# memlens:` line, or a new one above `line`. */
export function microbatchEdit(text: string, k: number, line: number): SourceEdit {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => /^\s*#\s*memlens:/.test(l));
  if (at >= 0) {
    const l = lines[at].replace(/\r$/, '');
    const m = /\bmicrobatch=\d+/.exec(l);
    if (m) return { startLine: at, startCharacter: m.index, endLine: at, endCharacter: m.index + m[0].length, newText: `microbatch=${k}` };
    return { startLine: at, startCharacter: l.length, endLine: at, endCharacter: l.length, newText: ` microbatch=${k}` };
  }
  const indent = /^[ \t]*/.exec(lines[line] ?? '')![0];
  return { startLine: line, startCharacter: 0, endLine: line, endCharacter: 0, newText: `${indent}# memlens: microbatch=${k}\n` };
}
