// Starts the bundled language server (`dist/server.js lsp --stdio`) for Python files.

import * as vscode from 'vscode';
import { LanguageClient, LanguageClientOptions, ServerOptions, TransportKind } from 'vscode-languageclient/node';
import { memlensOutput } from './outputChannel';

/** The `memlens` settings as plain JSON, for initializationOptions. */
function memlensSettings(): unknown {
  return JSON.parse(JSON.stringify(vscode.workspace.getConfiguration('memlens'))) as unknown;
}

export async function startLanguageClient(context: vscode.ExtensionContext): Promise<LanguageClient> {
  const module = context.asAbsolutePath('dist/server.js');
  // TransportKind.stdio appends --stdio to the arguments.
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.stdio, args: ['lsp'] },
    debug: { module, transport: TransportKind.stdio, args: ['lsp'], options: { execArgv: ['--nolazy', '--inspect=6010'] } },
  };
  const watcher = vscode.workspace.createFileSystemWatcher('**/*.py');
  context.subscriptions.push(watcher);
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'python' },
      { scheme: 'untitled', language: 'python' },
    ],
    initializationOptions: { memlens: memlensSettings() },
    // Imported model files edited outside VS Code (git checkout, another editor) re-analyze their importers.
    synchronize: { configurationSection: 'memlens', fileEvents: watcher },
    outputChannel: memlensOutput(context),
  };
  const client = new LanguageClient('memlens', 'Memlens', serverOptions, clientOptions);
  await client.start();
  return client;
}
