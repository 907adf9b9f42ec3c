// The extension's entry point: wires each feature; the features live in their own modules.

import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { startLanguageClient } from './languageClient';
import * as fitBudget from './fitBudget';
import * as onnxRuntime from './onnxRuntime';
import * as onnxEditor from './onnxEditor';
import * as cudaProvider from './cudaProvider';
import { installedRuntime } from './cudaProvider';
import { notify } from './rpc';
import * as profile from './profile';
import { ServerEvents } from './rpc';
import * as showReport from './showReport';
import * as statusBar from './statusBar';
import * as timeline from './timeline';

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  try {
    context.subscriptions.push(onnxRuntime.register(context));
    client = await startLanguageClient(context);
    const events = new ServerEvents(client);
    context.subscriptions.push(events, showReport.register(client), statusBar.register(events), fitBudget.register(), timeline.register(context, client, events), profile.register(client), onnxEditor.register(client));
    context.subscriptions.push(cudaProvider.register(context, () => void notify(client!, 'memlens/environment', { onnxRuntime: installedRuntime(context) })));
  } catch (e) {
    void vscode.window.showErrorMessage(`Memlens failed to start: ${e instanceof Error ? e.message : String(e)}`);
    throw e;
  }
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
