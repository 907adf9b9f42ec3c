// ONNX Runtime in the extension host: loaded lazily after activation, only to learn which
// execution providers this machine offers (logged to the "Memlens" output channel). Profiling itself
// runs in a child process, so a native crash there never takes the editor down.
//
// onnxruntime-node is a native addon: webpack leaves it external and the platform-specific VSIX
// carries node_modules/onnxruntime-node with one platform's binaries (scripts/package.js).

import * as vscode from 'vscode';
import { memlensOutput } from './outputChannel';

/** One entry of onnxruntime-node's `listSupportedBackends()`. */
export interface ExecutionProvider {
  /** e.g. `cpu`, `webgpu`, `cuda`, `tensorrt`, `dml`, `coreml`. */
  name: string;
  /** false: the provider needs libraries that the package does not ship (CUDA, TensorRT). */
  bundled: boolean;
}

export type OnnxRuntimeStatus =
  | { loaded: true; version: string; providers: ExecutionProvider[] }
  | { loaded: false; reason: string };

let status: Promise<OnnxRuntimeStatus> | undefined;

/** Loads onnxruntime-node once; never throws (a missing or broken binary becomes `loaded: false`). */
export function onnxRuntimeStatus(): Promise<OnnxRuntimeStatus> {
  status ??= new Promise<OnnxRuntimeStatus>((resolve) => {
    // Deferred past activation: requiring the addon maps ~20 MB of native code.
    setImmediate(() => resolve(probe()));
  });
  return status;
}

function probe(): OnnxRuntimeStatus {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
    const version = ort.env.versions.node ?? ort.env.versions.common;
    const providers = ort.listSupportedBackends().map((b) => ({ name: b.name, bundled: b.bundled }));
    return { loaded: true, version, providers };
  } catch (e) {
    return { loaded: false, reason: e instanceof Error ? e.message.split('\n')[0] : String(e) };
  }
}

/**
 * Logs ONNX Runtime's execution providers at activation; one error message if it cannot load. In
 * Restricted Mode nothing native is loaded (static analysis still works) until trust is granted.
 */
export function register(context: vscode.ExtensionContext): vscode.Disposable {
  const output = memlensOutput(context);
  let disposed = false;
  const load = (): void => {
    void onnxRuntimeStatus().then((s) => {
      if (disposed) return;
      if (s.loaded) {
        const providers = s.providers.map((p) => (p.bundled ? p.name : `${p.name} (not bundled)`)).join(', ');
        output.info(`[onnxruntime] onnxruntime-node ${s.version} on ${process.platform}-${process.arch}; execution providers: ${providers}`);
      } else {
        output.error(`[onnxruntime] not available on ${process.platform}-${process.arch}: ${s.reason}`);
        void vscode.window.showErrorMessage(
          `Memlens: ONNX Runtime could not be loaded (${s.reason}). Profiling is unavailable; memory estimates still work.`,
        );
      }
    });
  };
  if (vscode.workspace.isTrusted) {
    load();
    return { dispose: () => { disposed = true; } };
  }
  output.info('[onnxruntime] not loaded: this workspace is in Restricted Mode (static analysis works; profiling needs a trusted workspace)');
  const granted = vscode.workspace.onDidGrantWorkspaceTrust(load);
  return { dispose: () => { disposed = true; granted.dispose(); } };
}
