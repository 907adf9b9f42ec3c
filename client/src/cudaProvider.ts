// "Memlens: Install the CUDA Provider for Profiling" (Linux x64): with the user's consent, downloads
// ONNX Runtime's GPU package for Linux (Microsoft.ML.OnnxRuntime.Gpu.Linux, the same release as the
// bundled onnxruntime-node) from NuGet (api.nuget.org), and keeps its CUDA provider libraries in the
// extension's storage beside a copy of the bundled onnxruntime-node, which the profiler then loads.
// Nothing is downloaded without the user's yes; nothing of it runs until a profile is asked for.

import * as fs from 'fs';
import * as https from 'https';
import * as path from 'path';
import * as vscode from 'vscode';
import { readZipEntries } from './unzip';
import { registerCommand } from './rpc';

export const ORT_VERSION = '1.30.0';
const PACKAGE = 'microsoft.ml.onnxruntime.gpu.linux';
export const NUGET_URL = `https://api.nuget.org/v3-flatcontainer/${PACKAGE}/${ORT_VERSION}/${PACKAGE}.${ORT_VERSION}.nupkg`;
const LIBRARIES = ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'];

/** Where the CUDA-capable copy of onnxruntime-node lives once installed (its package folder), or null. */
export function installedRuntime(context: vscode.ExtensionContext): string | null {
  const dir = path.join(context.globalStorageUri.fsPath, `onnxruntime-cuda-${ORT_VERSION}`, 'node_modules', 'onnxruntime-node');
  return fs.existsSync(path.join(dir, '.memlens-installed')) ? dir : null;
}

function download(url: string, to: string, token: vscode.CancellationToken, progress: (done: number, total: number) => void, redirects = 5): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, (res) => {
      if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && res.headers.location && redirects > 0) {
        res.resume();
        download(new URL(res.headers.location, url).toString(), to, token, progress, redirects - 1).then(resolve, reject);
        return;
      }
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`${url} answered ${res.statusCode}`));
        return;
      }
      const total = Number(res.headers['content-length'] ?? 0);
      let done = 0;
      const out = fs.createWriteStream(to);
      res.on('data', (chunk: Buffer) => {
        done += chunk.length;
        progress(done, total);
      });
      res.pipe(out);
      out.on('finish', () => resolve());
      out.on('error', reject);
      res.on('error', reject);
    });
    req.on('error', reject);
    token.onCancellationRequested(() => {
      req.destroy(new Error('cancelled'));
    });
  });
}

function copyTree(from: string, to: string): void {
  fs.cpSync(from, to, { recursive: true, dereference: true });
}

export function register(context: vscode.ExtensionContext, changed: (runtime: string | null) => void): vscode.Disposable {
  return registerCommand('memlens.installCudaProvider', async () => {
    if (process.platform !== 'linux' || process.arch !== 'x64') {
      void vscode.window.showInformationMessage('Memlens: the CUDA provider download is for Linux x64. On Windows, profiling uses DirectML; on macOS, CoreML (both come with ONNX Runtime).');
      return;
    }
    if (installedRuntime(context)) {
      void vscode.window.showInformationMessage('Memlens: the CUDA provider is already installed.');
      return;
    }
    const yes = 'Download and install';
    const answer = await vscode.window.showWarningMessage(
      `Memlens will download ONNX Runtime ${ORT_VERSION}'s GPU package for Linux (${PACKAGE}, several hundred MB) from api.nuget.org and keep its CUDA provider libraries (${LIBRARIES.join(', ')}) in the extension's storage. They need the NVIDIA driver, CUDA 12 and cuDNN 9 on this machine. Profiling with memlens.profiler.executionProvider "auto" or "cuda" then runs on the GPU.`,
      { modal: true },
      yes,
    );
    if (answer !== yes) return;
    const root = path.join(context.globalStorageUri.fsPath, `onnxruntime-cuda-${ORT_VERSION}`);
    const staging = `${root}.partial`;
    try {
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Memlens: CUDA provider', cancellable: true }, async (progress, token) => {
        fs.rmSync(staging, { recursive: true, force: true });
        fs.mkdirSync(staging, { recursive: true });
        const nupkg = path.join(staging, `${PACKAGE}.nupkg`);
        let reported = 0;
        await download(NUGET_URL, nupkg, token, (done, total) => {
          const pct = total ? Math.floor((100 * done) / total) : 0;
          if (pct > reported) {
            progress.report({ increment: pct - reported, message: `downloading ${(done / 2 ** 20).toFixed(0)} MiB` });
            reported = pct;
          }
        });
        progress.report({ message: 'extracting the provider libraries' });
        const entries = readZipEntries(nupkg, LIBRARIES.map((l) => `runtimes/linux-x64/native/${l}`));
        if (entries.size !== LIBRARIES.length) throw new Error(`the package lacks ${LIBRARIES.filter((l) => !entries.has(`runtimes/linux-x64/native/${l}`)).join(', ')}`);
        // A copy of the bundled onnxruntime-node: ONNX Runtime loads providers from its own library's folder.
        const modules = path.join(staging, 'node_modules');
        copyTree(path.join(context.extensionPath, 'node_modules', 'onnxruntime-node'), path.join(modules, 'onnxruntime-node'));
        copyTree(path.join(context.extensionPath, 'node_modules', 'onnxruntime-common'), path.join(modules, 'onnxruntime-common'));
        const bin = path.join(modules, 'onnxruntime-node', 'bin', 'napi-v6', 'linux', 'x64');
        for (const [name, data] of entries) fs.writeFileSync(path.join(bin, path.basename(name)), data);
        fs.rmSync(nupkg, { force: true });
        fs.writeFileSync(path.join(modules, 'onnxruntime-node', '.memlens-installed'), `${NUGET_URL}\n${new Date().toISOString()}\n`);
        fs.rmSync(root, { recursive: true, force: true });
        fs.renameSync(staging, root);
      });
    } catch (e) {
      fs.rmSync(staging, { recursive: true, force: true });
      void vscode.window.showErrorMessage(`Memlens: the CUDA provider was not installed: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    const runtime = installedRuntime(context);
    changed(runtime);
    void vscode.window.showInformationMessage(`Memlens: the CUDA provider is installed (${root}). Profiling uses it when a GPU and CUDA 12 are present.`);
  });
}
