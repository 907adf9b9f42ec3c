// "Memlens: Fit the Budget" from the command palette: runs the server's `memlens.fitBudget` on the
// active editor's document (the server applies the plan's edit through the client, as one undoable
// edit, or says why there is none).

import * as vscode from 'vscode';
import { FIT_BUDGET_COMMAND, FIT_BUDGET_EDITOR_COMMAND } from '../../server/src/protocol';

export function register(): vscode.Disposable {
  return vscode.commands.registerCommand(FIT_BUDGET_EDITOR_COMMAND, async (uri?: string) => {
    const target = uri ?? vscode.window.activeTextEditor?.document.uri.toString();
    if (!target) {
      void vscode.window.showInformationMessage('Memlens: open a Python model file first.');
      return;
    }
    await vscode.commands.executeCommand(FIT_BUDGET_COMMAND, target);
  });
}
