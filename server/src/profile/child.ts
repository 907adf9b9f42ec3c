// The profiling process (dist/profiler.js): started by profile/run.ts with a time limit and a
// memory cap, it loads onnxruntime-node, runs one inference of the model it is given with ONNX
// Runtime's profiler on, and prints one JSON line: what ran where, and per node its output bytes,
// the arena's bytes in use and peak, and its duration. Anything that goes wrong is printed as a
// finding (`kind`), never thrown past this file; a native crash ends only this process.

import * as fs from 'fs';
import { createRequire } from 'module';
import * as os from 'os';
import * as path from 'path';
import type { ProfileJob, ProfileOutcome, MeasuredNode } from './protocol';

/** Execution providers to try for `auto`, best first, per platform. */
function candidates(ep: string, available: readonly { name: string; bundled: boolean }[]): string[] {
  if (ep !== 'auto') return [ep];
  const have = new Set(available.map((b) => b.name));
  const order = process.platform === 'win32' ? ['cuda', 'dml', 'webgpu'] : process.platform === 'darwin' ? ['coreml', 'webgpu'] : ['cuda', 'webgpu'];
  return [...order.filter((name) => have.has(name)), 'cpu'];
}

function randomInput(ort: typeof import('onnxruntime-node'), type: string, shape: number[]): import('onnxruntime-node').Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  switch (type) {
    case 'float32': {
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = Math.random() * 2 - 1;
      return new ort.Tensor('float32', data, shape);
    }
    case 'int64':
      return new ort.Tensor('int64', new BigInt64Array(n), shape);
    case 'int32':
      return new ort.Tensor('int32', new Int32Array(n), shape);
    case 'bool':
      return new ort.Tensor('bool', new Uint8Array(n), shape);
    case 'float64':
      return new ort.Tensor('float64', new Float64Array(n), shape);
    default:
      throw new Error(`inputs of type ${type} are not supported by the profiler`);
  }
}

const TYPE_BYTES: Record<string, number> = { float: 4, float16: 2, bfloat16: 2, double: 8, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1 };

/** Bytes of each output from the profiler's `output_type_shape` ([{"float": [8, 16]}, …]). */
function outputSizes(v: unknown): number[] {
  if (!Array.isArray(v)) return [];
  return v.map((o) => {
    const [type, shape] = Object.entries((o ?? {}) as Record<string, unknown>)[0] ?? ['', []];
    return Array.isArray(shape) ? shape.reduce((a: number, d) => a * Number(d), 1) * (TYPE_BYTES[type] ?? 0) : 0;
  });
}

/** Why a provider could not run, in a few words. */
function whyNot(ep: string, message: string): string {
  if (/Failed to load shared library|cannot open shared object|LoadLibrary/i.test(message)) return 'its provider libraries are not installed';
  if (ep === 'webgpu' && /WebGpuContext|adapter/i.test(message)) return 'no WebGPU adapter on this machine';
  return message.slice(0, 120);
}

function oomMessage(message: string): boolean {
  return /bad_alloc|Failed to allocate|out of memory|OOM|std::bad_alloc|ENOMEM/i.test(message);
}

async function run(job: ProfileJob): Promise<ProfileOutcome> {
  let ort: typeof import('onnxruntime-node');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    // The CUDA-capable copy the extension installed, when the job names one (checked: a package folder).
    const runtime = job.runtime ?? process.env.MEMLENS_ONNXRUNTIME;
    // A path only known at run time: Node's own require (the bundler's would look in its bundle).
    const load = createRequire(__filename);
    ort = (runtime && fs.existsSync(path.join(runtime, 'package.json')) ? load(runtime) : require('onnxruntime-node')) as typeof import('onnxruntime-node');
  } catch (e) {
    return { ok: false, kind: 'error', message: `ONNX Runtime could not be loaded: ${(e as Error).message.split('\n')[0]}` };
  }
  const version = ort.env.versions.node ?? ort.env.versions.common ?? '';
  const available = ort.listSupportedBackends().map((b) => ({ name: b.name, bundled: b.bundled }));
  const notes: string[] = [];
  const dir = job.dir && fs.existsSync(job.dir) ? job.dir : fs.mkdtempSync(path.join(os.tmpdir(), 'memlens-ort-'));
  try {
    for (const ep of candidates(job.ep, available)) {
      let session: import('onnxruntime-node').InferenceSession;
      try {
        session = await ort.InferenceSession.create(job.model, {
          executionProviders: ep === 'cpu' ? ['cpu'] : [ep, 'cpu'],
          enableProfiling: true,
          profileFilePrefix: path.join(dir, 'profile'),
          // One node of the estimate, one kernel: no fusion or layout rewrites.
          graphOptimizationLevel: 'disabled',
          logSeverityLevel: 3,
        });
      } catch (e) {
        const message = (e as Error).message.split('\n')[0];
        // With auto, a provider that cannot start (even for lack of memory) gives way to the next.
        if (job.ep === 'auto' && ep !== 'cpu') {
          notes.push(`${ep}: ${whyNot(ep, message)}`);
          continue;
        }
        if (oomMessage(message)) return { ok: false, kind: 'oom', message, ep };
        return { ok: false, kind: 'error', message: `ONNX Runtime refused the model on ${ep}: ${message}`, ep };
      }
      const feeds: Record<string, import('onnxruntime-node').Tensor> = {};
      for (const i of job.inputs) feeds[i.name] = randomInput(ort, i.dtype, i.shape);
      const t0 = performance.now();
      try {
        await session.run(feeds);
      } catch (e) {
        const message = (e as Error).message.split('\n')[0];
        return { ok: false, kind: oomMessage(message) ? 'oom' : 'error', message, ep };
      }
      const runMs = performance.now() - t0;
      // Unprofiled time of the same session is not available; a second run measures the steady state.
      const t1 = performance.now();
      await session.run(feeds).catch(() => undefined);
      const secondMs = performance.now() - t1;
      session.endProfiling();
      await session.release();
      const file = fs.readdirSync(dir).filter((f) => f.startsWith('profile')).map((f) => path.join(dir, f))[0];
      const events = file ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { cat?: string; name?: string; dur?: number; args?: Record<string, unknown> }[]) : [];
      // The first run's node events (each node once per run; the second run repeats them).
      const nodes: MeasuredNode[] = [];
      const seen = new Set<string>();
      for (const e of events) {
        if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || !e.args) continue;
        const name = e.name.slice(0, -'_kernel_time'.length);
        if (seen.has(name)) continue;
        seen.add(name);
        const num = (k: string) => Number(e.args![k] ?? 0);
        nodes.push({
          name,
          opType: String(e.args.op_name ?? ''),
          provider: String(e.args.provider ?? ''),
          outputBytes: num('output_size'),
          outputs: outputSizes(e.args.output_type_shape),
          inUseBytes: num('mem_bytes_in_use'),
          peakBytes: num('mem_in_use_peak'),
          arenaBytes: num('mem_arena_held'),
          us: e.dur ?? 0,
        });
      }
      const providers = [...new Set(nodes.map((n) => n.provider))];
      let unprofiledMs: number | undefined;
      if (job.baseline) {
        // The same model and provider without the profiler: a warm-up run, then the timed one.
        const plain = await ort.InferenceSession.create(job.model, { executionProviders: ep === 'cpu' ? ['cpu'] : [ep, 'cpu'], graphOptimizationLevel: 'disabled', logSeverityLevel: 3 });
        await plain.run(feeds);
        const t2 = performance.now();
        await plain.run(feeds);
        unprofiledMs = performance.now() - t2;
        await plain.release();
      }
      return { ok: true, version, ep, providers, notes, nodes, runMs, secondRunMs: secondMs, ...(unprofiledMs !== undefined ? { unprofiledMs } : {}) };
    }
    return { ok: false, kind: 'error', message: 'no execution provider could run the model', notes };
  } finally {
    if (dir !== job.dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', () => {
  let job: ProfileJob;
  try {
    job = JSON.parse(input) as ProfileJob;
  } catch {
    process.stdout.write(JSON.stringify({ ok: false, kind: 'error', message: 'the profiler got no job' } satisfies ProfileOutcome) + '\n');
    return;
  }
  run(job).then(
    (outcome) => process.stdout.write(JSON.stringify(outcome) + '\n'),
    (e: unknown) => {
      const message = e instanceof Error ? e.message.split('\n')[0] : String(e);
      process.stdout.write(JSON.stringify({ ok: false, kind: oomMessage(message) ? 'oom' : 'error', message } satisfies ProfileOutcome) + '\n');
    },
  );
});
