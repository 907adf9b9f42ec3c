// The one "Memlens" output channel: the language client's trace and the extension's own log lines
// (ONNX Runtime status) go to the same place, so a bug report needs one paste.

import * as vscode from 'vscode';

let channel: vscode.LogOutputChannel | undefined;

/** The shared "Memlens" channel, created on first use and disposed with the extension. */
export function memlensOutput(context: vscode.ExtensionContext): vscode.LogOutputChannel {
  if (!channel) {
    const created = vscode.window.createOutputChannel('Memlens', { log: true });
    channel = created;
    context.subscriptions.push(created, { dispose: () => { if (channel === created) channel = undefined; } });
  }
  return channel;
}
