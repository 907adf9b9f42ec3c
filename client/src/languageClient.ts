// Starts the bundled language server (`dist/server.js lsp --stdio`) for Python files, and tells it
// which Python environment to read installed libraries from: the interpreter chosen in VS Code's
// Python extension (its public environments API, when the extension is installed) and whether the
// workspace is trusted (only then may the server ask that interpreter for its sys.path).

import * as vscode from 'vscode';
import { LanguageClient, LanguageClientOptions, ServerOptions, TransportKind } from 'vscode-languageclient/node';
import type { EnvironmentParams } from '../../protocol/messages';
import { memlensOutput } from './outputChannel';
import { notify } from './rpc';
import { installedRuntime } from './cudaProvider';

/** The `memlens` settings as plain JSON, for initializationOptions. */
function memlensSettings(): unknown {
  return JSON.parse(JSON.stringify(vscode.workspace.getConfiguration('memlens'))) as unknown;
}

/** The part of the Python extension's exported API Memlens uses (ms-python.python, `environments`). */
interface PythonEnvironmentsApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string } | undefined;
    onDidChangeActiveEnvironmentPath?: vscode.Event<{ path: string }>;
  };
}

async function pythonExtension(): Promise<PythonEnvironmentsApi | undefined> {
  const ext = vscode.extensions.getExtension<PythonEnvironmentsApi>('ms-python.python');
  if (!ext) return undefined;
  try {
    return ext.isActive ? ext.exports : await ext.activate();
  } catch {
    return undefined;
  }
}

function activeInterpreter(api: PythonEnvironmentsApi | undefined): string | null {
  try {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const p = api?.environments?.getActiveEnvironmentPath(folder)?.path;
    return typeof p === 'string' && p ? p : null;
  } catch {
    return null;
  }
}

export async function startLanguageClient(context: vscode.ExtensionContext): Promise<LanguageClient> {
  const module = context.asAbsolutePath('dist/server.js');
  // TransportKind.stdio appends --stdio to the arguments.
  // glibc gives each thread (the server and its analysis worker) its own malloc arenas, whose
  // fragmentation grows the server's memory over long sessions: two arenas bound it (measured in a
  // 9,000-edit soak: +5.7 → +4.6 MiB per 1,000 edits).
  const env = { ...process.env, MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2' };
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.stdio, args: ['lsp'], options: { env } },
    debug: { module, transport: TransportKind.stdio, args: ['lsp'], options: { env, execArgv: ['--nolazy', '--inspect=6010'] } },
  };
  const watcher = vscode.workspace.createFileSystemWatcher('**/*.py');
  context.subscriptions.push(watcher);
  const python = await pythonExtension();
  const environment = (): EnvironmentParams => ({ pythonPath: activeInterpreter(python), trusted: vscode.workspace.isTrusted, onnxRuntime: installedRuntime(context) });
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'python' },
      { scheme: 'untitled', language: 'python' },
    ],
    initializationOptions: { memlens: memlensSettings(), ...environment() },
    // Imported model files edited outside VS Code (git checkout, another editor) re-analyze their importers.
    synchronize: { configurationSection: 'memlens', fileEvents: watcher },
    outputChannel: memlensOutput(context),
  };
  const client = new LanguageClient('memlens', 'Memlens', serverOptions, clientOptions);
  await client.start();
  const update = (): void => {
    void notify(client, 'memlens/environment', environment());
  };
  context.subscriptions.push(vscode.workspace.onDidGrantWorkspaceTrust(update));
  const changed = python?.environments?.onDidChangeActiveEnvironmentPath;
  if (changed) context.subscriptions.push(changed(update));
  return client;
}
