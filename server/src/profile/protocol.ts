// Messages between the server (profile/run.ts) and its profiling process (profile/child.ts).

/** Server → profiler, on stdin. */
export interface ProfileJob {
  /** The .onnx file to run. */
  model: string;
  /** auto | cuda | webgpu | dml | coreml | cpu */
  ep: string;
  inputs: { name: string; dtype: string; shape: number[] }[];
  /** Also time the same model in a session without profiling (the bench's overhead figure). */
  baseline?: boolean;
  /** The onnxruntime-node package to load (a CUDA-capable copy); absent: the bundled one. */
  runtime?: string;
  /** A folder the server made for the profile's files (it removes it). */
  dir?: string;
}

/** One node as ONNX Runtime's profiler measured it. */
export interface MeasuredNode {
  name: string;
  opType: string;
  provider: string;
  outputBytes: number;
  /** Bytes of each output (from the shapes and types the profiler recorded). */
  outputs: number[];
  /** The arena's bytes in use after the node, and their peak so far. */
  inUseBytes: number;
  peakBytes: number;
  /** Bytes the arena holds from the system (its chunks). */
  arenaBytes: number;
  /** Duration in microseconds. */
  us: number;
}

/** Profiler → server, one JSON line on stdout. */
export type ProfileOutcome =
  | { ok: true; version: string; ep: string; providers: string[]; notes: string[]; nodes: MeasuredNode[]; runMs: number; secondRunMs: number; unprofiledMs?: number }
  | { ok: false; kind: 'error' | 'oom' | 'timeout' | 'crash'; message: string; ep?: string; notes?: string[] };
