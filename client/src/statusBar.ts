// The status bar item for the active Python editor: the file's training-step peak, precision and
// batch (`$(pulse) 1.21 GiB · fp32 · B=8`, `≥` when unknowns leave things out), the phase,
// optimizer, budget and largest batch in its tooltip; a click opens the report. The server sends
// the figures after each analysis (memlens/summary); hidden for other editors and files with no model.

import * as vscode from 'vscode';
import type { CommandId, DocumentSummary } from '../../protocol/messages';
import type { ServerEvents } from './rpc';

export function register(events: ServerEvents): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('memlens.summary', vscode.StatusBarAlignment.Right, 100);
  item.name = 'Memlens';
  const summaries = new Map<string, DocumentSummary | null>();

  const show = (): void => {
    const doc = vscode.window.activeTextEditor?.document;
    const summary = doc?.languageId === 'python' ? summaries.get(doc.uri.toString()) : undefined;
    if (!doc || !summary) {
      item.hide();
      return;
    }
    item.text = `$(pulse) ${summary.text}`;
    item.tooltip = summary.tooltip;
    item.command = { title: 'Show Memory Report', command: 'memlens.showReport' satisfies CommandId, arguments: [doc.uri.toString()] };
    item.show();
  };

  const notifications = events.onSummary((params) => {
    summaries.set(params.uri, params.summary);
    if (params.uri === vscode.window.activeTextEditor?.document.uri.toString()) show();
  });
  const closed = vscode.workspace.onDidCloseTextDocument((doc) => summaries.delete(doc.uri.toString()));
  const switched = vscode.window.onDidChangeActiveTextEditor(show);
  show();
  return vscode.Disposable.from(item, notifications, closed, switched);
}
