// `memlens.showReport`: the text report of a document's analysis in an output channel (the status
// bar item runs it with the document's URI). The server renders the text (the same table the CLI
// prints): the client holds no report code of its own.

import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { registerCommand, request } from './rpc';

export function register(client: LanguageClient): vscode.Disposable {
  const channel = vscode.window.createOutputChannel('Memlens Report');
  const command = registerCommand('memlens.showReport', async (uri?: string) => {
    const target = uri ?? vscode.window.activeTextEditor?.document.uri.toString();
    if (!target) {
      void vscode.window.showInformationMessage('Memlens: open a Python model file first.');
      return;
    }
    const report = await request(client, 'memlens/report', { uri: target, text: true });
    if (!report?.text) {
      void vscode.window.showWarningMessage('Memlens: no report for this file (see its problems).');
      return;
    }
    channel.clear();
    channel.appendLine(report.text);
    channel.show(true);
  });
  return vscode.Disposable.from(command, channel);
}
