// The simulated training step in the format of PyTorch's memory snapshots
// (`torch.cuda.memory._snapshot()` / `_dump_snapshot`, a pickled dict), so that PyTorch's own
// memory_viz (https://pytorch.org/memory_viz) opens it beside a real run: `device_traces[0]` holds
// one `alloc` per rise of a category's live bytes and a `free_requested` + `free_completed` per
// fall, each with a frame naming the op, its line and the category; `segments` is empty (the step
// ends with everything but parameters and optimizer state freed, which are allocated first).
// The live bytes after every event equal the report's timeline; which bytes form a block is the
// simulator's bookkeeping (per category, last allocated first freed), not the caching allocator's.

import type { Composition, Report } from './types';

type PickleValue = null | boolean | number | string | PickleValue[] | { [key: string]: PickleValue };

/** Python pickle, protocol 2: dicts, lists, str, int, float, bool, None. */
export function pickle(value: PickleValue): Uint8Array {
  const out: number[] = [0x80, 2];
  const u32 = (n: number) => out.push(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
  const write = (v: PickleValue): void => {
    if (v === null) out.push(0x4e); // NONE
    else if (v === true) out.push(0x88); // NEWTRUE
    else if (v === false) out.push(0x89); // NEWFALSE
    else if (typeof v === 'number') {
      if (Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31) {
        out.push(0x4a); // BININT
        u32(v >>> 0);
      } else if (Number.isSafeInteger(v)) {
        // LONG1: little-endian two's complement.
        let n = BigInt(v);
        const bytes: number[] = [];
        while (true) {
          const b = Number(n & 0xffn);
          bytes.push(b);
          n >>= 8n;
          if ((n === 0n && !(b & 0x80)) || (n === -1n && b & 0x80)) break;
        }
        out.push(0x8a, bytes.length, ...bytes);
      } else {
        out.push(0x47); // BINFLOAT, big-endian
        const buf = new DataView(new ArrayBuffer(8));
        buf.setFloat64(0, v);
        for (let i = 0; i < 8; i++) out.push(buf.getUint8(i));
      }
    } else if (typeof v === 'string') {
      const bytes = Buffer.from(v, 'utf8');
      out.push(0x58); // BINUNICODE
      u32(bytes.length);
      for (const b of bytes) out.push(b);
    } else if (Array.isArray(v)) {
      out.push(0x5d); // EMPTY_LIST
      for (let i = 0; i < v.length; i += 1000) {
        out.push(0x28); // MARK
        for (const x of v.slice(i, i + 1000)) write(x);
        out.push(0x65); // APPENDS
      }
    } else {
      out.push(0x7d); // EMPTY_DICT
      const entries = Object.entries(v);
      if (entries.length) {
        out.push(0x28); // MARK
        for (const [k, x] of entries) {
          write(k);
          write(x);
        }
        out.push(0x75); // SETITEMS
      }
    }
  };
  write(value);
  out.push(0x2e); // STOP
  return Uint8Array.from(out);
}

const CATEGORIES: (keyof Composition)[] = ['params', 'optimizer', 'grads', 'activations', 'temporaries'];
const NAMES: Record<keyof Composition, string> = { params: 'parameters', optimizer: 'optimizer state', grads: 'gradients', activations: 'saved activations', temporaries: 'temporaries' };

/** The snapshot dict of a report (see the file's comment). */
export function memorySnapshot(report: Report): { [key: string]: PickleValue } {
  const trace: { [key: string]: PickleValue }[] = [];
  const stacks = new Map<keyof Composition, { addr: number; size: number; frames: PickleValue[] }[]>(CATEGORIES.map((c) => [c, []]));
  let next = 0x7f0000000000;
  const prev: Composition = { params: 0, grads: 0, optimizer: 0, activations: 0, temporaries: 0 };
  let t = 0;
  const event = (action: string, addr: number, size: number, frames: PickleValue[]) => trace.push({ action, addr, size, stream: 0, frames, time_us: t });
  for (const p of report.timeline) {
    t = p.i;
    // Falls before rises: the live bytes between two points never exceed either.
    const deltas = CATEGORIES.map((c) => [c, p.bytes[c] - prev[c]] as const).sort((a, b) => Math.sign(a[1]) - Math.sign(b[1]));
    for (const [c, delta] of deltas) {
      prev[c] = p.bytes[c];
      const stack = stacks.get(c)!;
      if (delta > 0) {
        const frames: PickleValue[] = [{ filename: report.file, line: p.line ?? 0, name: `${p.op} [${NAMES[c]}, ${p.phase}${p.recompute ? ', recompute' : ''}]` }];
        const block = { addr: next, size: delta, frames };
        next += Math.ceil(delta / 512) * 512 + 512;
        stack.push(block);
        event('alloc', block.addr, block.size, frames);
      } else if (delta < 0) {
        let left = -delta;
        while (left > 0 && stack.length) {
          const top = stack.pop()!;
          event('free_requested', top.addr, top.size, top.frames);
          event('free_completed', top.addr, top.size, top.frames);
          if (top.size > left) {
            // Part of it stays live: as a block of its own.
            const rest = { addr: next, size: top.size - left, frames: top.frames };
            next += Math.ceil(rest.size / 512) * 512 + 512;
            stack.push(rest);
            event('alloc', rest.addr, rest.size, rest.frames);
            left = 0;
          } else left -= top.size;
        }
      }
    }
  }
  return { segments: [], device_traces: [trace], allocator_settings: {}, memlens: { file: report.file, peakBytes: report.totals.peakBytes, peakPhase: report.totals.peakPhase } };
}
