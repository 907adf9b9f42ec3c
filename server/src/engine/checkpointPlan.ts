// Checkpoint plans given as settings (`memlens.checkpoint`, `--checkpoint`, a directive's
// `checkpoint=`): which module calls run under activation checkpointing, without editing the code.
// Each item is
//   PATH             every call of the module at PATH (`layer3`; `*` matches one path segment: `blocks.*`)
//   PATH:selective   the same with selective checkpointing (outputs of matmuls and attention kept)
//   PATH/K           the nn.Sequential at PATH as checkpoint_sequential(PATH, K, x): its children in
//                    K segments, all but the last checkpointed
//   class:NAME       every call of a module of class NAME (`class:Block`), `:selective` allowed
// The regions they give are simulated as non-reentrant checkpoint (use_reentrant=False).

import type { Release } from '../../../kernels/src';
import type { ModuleCall } from '../interpreter/torch/library';
import type { CheckpointRegion } from '../memory/simulate';
import type { OpRecord } from '../interpreter/tracer';

export interface PlanItem {
  /** The text as given. */
  readonly text: string;
  /** A module path pattern, or null for a class item. */
  readonly path: string | null;
  readonly cls: string | null;
  readonly selective: boolean;
  /** checkpoint_sequential's segments. */
  readonly segments: number | null;
}

/**
 * Ops selective checkpointing keeps by default (the policy of the plans Memlens suggests): the
 * outputs of matrix multiplications and of attention, the most expensive to recompute per byte.
 */
export const SELECTIVE_KEEP: ReadonlySet<string> = new Set([
  'mm', 'addmm', 'bmm', 'baddbmm',
  '_scaled_dot_product_flash_attention', '_scaled_dot_product_flash_attention_for_cpu',
  '_scaled_dot_product_efficient_attention', '_scaled_dot_product_cudnn_attention',
  '_flash_attention_forward', '_efficient_attention_forward',
]);

const ITEM = /^(?:class:([A-Za-z_][A-Za-z0-9_]*)|([A-Za-z0-9_*]+(?:\.[A-Za-z0-9_*]+)*))(?:\/(\d+)|:(selective))?$/;

/** Parses plan items (comma-separated strings allowed); throws an Error naming a malformed one. */
export function parsePlan(items: readonly string[]): PlanItem[] {
  const out: PlanItem[] = [];
  for (const text of items.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean)) {
    const m = ITEM.exec(text);
    if (!m) throw new Error(`malformed checkpoint plan item '${text}' (expected a module path like layer3 or blocks.*, PATH/K for checkpoint_sequential, class:Block, with :selective allowed)`);
    const segments = m[3] ? Number(m[3]) : null;
    if (segments !== null && segments < 2) throw new Error(`checkpoint plan item '${text}': checkpoint_sequential needs at least 2 segments (1 checkpoints nothing)`);
    if (segments !== null && m[1]) throw new Error(`checkpoint plan item '${text}': segments apply to a module path, not a class`);
    out.push({ text, path: m[2] ?? null, cls: m[1] ?? null, selective: m[4] === 'selective', segments });
  }
  return out;
}

function pathPattern(path: string): RegExp {
  return new RegExp(`^${path.split('.').map((p) => (p === '*' ? '[^.]+' : p.replace(/[^A-Za-z0-9_]/g, '\\$&'))).join('\\.')}$`);
}

/** Non-reentrant checkpoint recomputes the whole region before PyTorch 2.1 (no early stop). */
export function fullRecompute(torch: Release): boolean {
  return torch[0] < 2 || (torch[0] === 2 && torch[1] < 1);
}

/** A region checkpointing one module call whole (non-reentrant), attributed to the module that made the call. */
export function callRegion(c: ModuleCall, full: boolean, keep?: ReadonlySet<string>): CheckpointRegion {
  return { first: c.firstOp, end: c.lastOp, full, ...(keep ? { keep } : {}), label: c.path || c.module.cls.name, caller: { module: c.caller ?? '', line: c.line } };
}

/**
 * The regions of `checkpoint_sequential(module, k, x)` on a call of an nn.Sequential: the direct
 * children the call ran, in PyTorch's segments of `len // k`, every segment but the last checkpointed.
 */
export function segmentRegions(c: ModuleCall, calls: readonly ModuleCall[], k: number, full: boolean, reentrant = false): CheckpointRegion[] {
  const prefix = c.path ? `${c.path}.` : '';
  const children = calls.filter((d) => d !== c && d.firstOp >= c.firstOp && d.lastOp <= c.lastOp && d.path.startsWith(prefix) && !d.path.slice(prefix.length).includes('.'));
  const size = Math.floor(children.length / k);
  const out: CheckpointRegion[] = [];
  for (let start = 0; size > 0 && start < size * (k - 1); start += size) {
    const from = children[start];
    const to = children[start + size - 1];
    if (to.lastOp > from.firstOp) out.push({ first: from.firstOp, end: to.lastOp, full, ...(reentrant ? { reentrant } : {}), label: `${c.path}[${start}:${start + size}]`, caller: { module: c.caller ?? '', line: c.line } });
  }
  return out;
}

/** FLOPs of the ops (of one forward pass) inside `regions`. */
export function regionFlops(ops: readonly OpRecord[], regions: readonly CheckpointRegion[]): number {
  let inside = 0;
  for (const o of ops) if (regions.some((r) => o.index >= r.first && o.index < r.end)) inside += o.flops;
  return inside;
}

/** The regions a plan marks among a forward pass's module calls; items that match no call are listed. */
export function regionsOfPlan(plan: readonly PlanItem[], calls: readonly ModuleCall[], torch: Release): { regions: CheckpointRegion[]; unmatched: string[] } {
  const regions: CheckpointRegion[] = [];
  const unmatched: string[] = [];
  const full = fullRecompute(torch);
  for (const item of plan) {
    const pattern = item.path !== null ? pathPattern(item.path) : null;
    const matching = calls.filter((c) => c.lastOp > c.firstOp && (pattern ? pattern.test(c.path) : c.module.cls.name === item.cls));
    const before = regions.length;
    for (const c of matching) {
      if (item.segments === null) regions.push(callRegion(c, full, item.selective ? SELECTIVE_KEEP : undefined));
      else regions.push(...segmentRegions(c, calls, item.segments, full));
    }
    if (regions.length === before) unmatched.push(item.text);
  }
  return { regions, unmatched };
}
