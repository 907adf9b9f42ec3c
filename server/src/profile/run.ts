// Runs a profiling pass in a child process (profile/child.ts → dist/profiler.js) with a time
// limit and a memory cap, so that a native crash, a GPU or host out-of-memory or a hang ends that
// process only: each comes back as a finding with its reason, never an exception of the caller.

import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { ProfileJob, ProfileOutcome } from './protocol';

export interface ProfileLimits {
  /** Wall-clock limit of the whole run (loading ONNX Runtime, the session, the inference). */
  timeoutMs: number;
  /** Address-space cap of the process (ulimit -v) in MiB, where the platform has one. */
  memoryMb: number;
}

export const DEFAULT_LIMITS: ProfileLimits = { timeoutMs: 120_000, memoryMb: 8192 };

/** The profiler script: dist/profiler.js next to the bundled server, or child.js under tsc's out/. */
export function profilerScript(): string {
  const candidates = [path.join(__dirname, 'profiler.js'), path.join(__dirname, 'child.js'), path.join(__dirname, '..', '..', '..', '..', 'dist', 'profiler.js')];
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) throw new Error('the profiler script is missing next to the server (build it: npm run build)');
  return found;
}

/** The largest of many numbers (no spread: a big profile has more nodes than the stack has room for arguments). */
export function maxOf(values: readonly number[]): number {
  let m = 0;
  for (const v of values) if (v > m) m = v;
  return m;
}

/** What a failed run found, in words: `out of memory at batch 64 on cuda`, `timed out`… */
export function findingOf(o: Extract<ProfileOutcome, { ok: false }>, batch: number, ep: string): string {
  switch (o.kind) {
    case 'oom':
      return `out of memory at batch ${batch} on ${o.ep ?? ep}`;
    case 'timeout':
      return 'timed out';
    case 'crash':
      return 'the profiling process crashed';
    default:
      return 'failed';
  }
}

/** Profiler processes running now: ended with the server (endProfilers), never left behind. */
const running = new Set<ChildProcess>();

/** Ends every profiling process (the language server is exiting). */
export function endProfilers(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

export function runProfiler(job0: ProfileJob, limits: ProfileLimits = DEFAULT_LIMITS, signal?: AbortSignal): Promise<ProfileOutcome> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve({ ok: false, kind: 'error', message: 'cancelled', ep: job0.ep });
    const script = profilerScript();
    const node = process.execPath;
    // The profile's folder is the server's: removed here even when the child is killed.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memlens-ort-'));
    const job: ProfileJob = { ...job0, dir };
    // ulimit -v bounds what native code may map (ONNX Runtime's arena); V8's heap has its own flag.
    // Not for GPU providers: a CUDA or WebGPU context reserves far more address space than it uses.
    const gpu = job.ep !== 'cpu';
    const useShell = !gpu && (process.platform === 'linux' || process.platform === 'darwin');
    const args = ['--max-old-space-size=1024', script];
    const child = useShell
      ? spawn('/bin/sh', ['-c', `ulimit -v ${Math.max(256, Math.floor(limits.memoryMb)) * 1024} 2>/dev/null; exec "$0" "$@"`, node, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
      : spawn(node, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let settled = false;
    running.add(child);
    // On Linux, a resident-memory watchdog as well (GPU providers run without the address-space cap).
    const watchdog = process.platform === 'linux' && child.pid ? setInterval(() => {
      try {
        const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
        const kb = Number(status.match(/^VmRSS:\s+(\d+)/m)?.[1] ?? 0);
        if (kb > limits.memoryMb * 1024) {
          child.kill('SIGKILL');
          finish({ ok: false, kind: 'oom', message: `the profiling process used over ${limits.memoryMb.toLocaleString('en-US')} MiB`, ep: job.ep });
        }
      } catch {
        // The process has ended.
      }
    }, 200) : undefined;
    const finish = (o: ProfileOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (watchdog) clearInterval(watchdog);
      signal?.removeEventListener('abort', onAbort);
      fs.rmSync(dir, { recursive: true, force: true });
      resolve(o);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish({ ok: false, kind: 'timeout', message: `the profiling run did not finish within ${Math.round(limits.timeoutMs / 1000)} s`, ep: job.ep });
    }, limits.timeoutMs);
    const onAbort = () => {
      child.kill('SIGKILL');
      finish({ ok: false, kind: 'error', message: 'cancelled', ep: job.ep });
    };
    signal?.addEventListener('abort', onAbort);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      if (out.length < 64 * 2 ** 20) out += d;
    });
    child.stderr.on('data', (d: string) => {
      if (err.length < 2 ** 16) err += d;
    });
    child.on('error', (e) => finish({ ok: false, kind: 'error', message: `the profiler could not start: ${e.message}` }));
    child.on('close', (code, sig) => {
      running.delete(child);
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        try {
          return finish(JSON.parse(line) as ProfileOutcome);
        } catch {
          // fall through: a partial line
        }
      }
      const oom = /out of memory|bad_alloc|Cannot allocate|heap limit/i.test(err);
      const why = sig ? `signal ${sig}` : `exit code ${code}`;
      finish({ ok: false, kind: oom ? 'oom' : 'crash', message: `${oom ? 'out of memory' : 'the profiler crashed'} (${why})${err.trim() ? `: ${err.trim().split('\n').pop()!.slice(0, 200)}` : ''}`, ep: job.ep });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(JSON.stringify(job));
  });
}
