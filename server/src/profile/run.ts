// Runs a profiling pass in a child process (profile/child.ts → dist/profiler.js) with a time
// limit and a memory cap, so that a native crash, a GPU or host out-of-memory or a hang ends that
// process only: each comes back as a finding with its reason, never an exception of the caller.

import { spawn } from 'child_process';
import * as fs from 'fs';
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

export function runProfiler(job: ProfileJob, limits: ProfileLimits = DEFAULT_LIMITS, signal?: AbortSignal): Promise<ProfileOutcome> {
  return new Promise((resolve) => {
    const script = profilerScript();
    const node = process.execPath;
    // ulimit -v bounds what native code may map (ONNX Runtime's arena); V8's heap has its own flag.
    const useShell = process.platform === 'linux' || process.platform === 'darwin';
    const args = ['--max-old-space-size=1024', script];
    const child = useShell
      ? spawn('/bin/sh', ['-c', `ulimit -v ${Math.max(256, Math.floor(limits.memoryMb)) * 1024} 2>/dev/null; exec "$0" "$@"`, node, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
      : spawn(node, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let settled = false;
    const finish = (o: ProfileOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
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
