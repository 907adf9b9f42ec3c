// `memlens.showReport`: the text report of a document's analysis in an output channel (the code
// lens on the model class runs it with the document's URI).

import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { REPORT_REQUEST, ReportParams, ReportResult, SHOW_REPORT_COMMAND } from '../../server/src/protocol';
import { renderTable } from '../../server/src/report/table';

export function register(client: LanguageClient): vscode.Disposable {
  const channel = vscode.window.createOutputChannel('Memlens Report');
  const command = vscode.commands.registerCommand(SHOW_REPORT_COMMAND, async (uri?: string) => {
    const target = uri ?? vscode.window.activeTextEditor?.document.uri.toString();
    if (!target) {
      void vscode.window.showInformationMessage('Memlens: open a Python model file first.');
      return;
    }
    const params: ReportParams = { uri: target };
    const report = await client.sendRequest<ReportResult>(REPORT_REQUEST, params);
    if (!report) {
      void vscode.window.showWarningMessage('Memlens: no report for this file (see its problems).');
      return;
    }
    channel.clear();
    channel.appendLine(renderTable(report));
    channel.show(true);
  });
  return vscode.Disposable.from(command, channel);
}
