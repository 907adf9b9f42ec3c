// "Memlens: Fit the Budget" from the command palette: runs the server's `memlens.fitBudget` on the
// active editor's document (the server applies the plan's edit through the client, as one undoable
// edit, or says why there is none).

import * as vscode from 'vscode';
import { executeCommand, registerCommand } from './rpc';

export function register(): vscode.Disposable {
  return registerCommand('memlens.fitBudgetForEditor', async () => {
    const target = vscode.window.activeTextEditor?.document.uri.toString();
    if (!target) {
      void vscode.window.showInformationMessage('Memlens: open a Python model file first.');
      return;
    }
    await executeCommand('memlens.fitBudget', target);
  });
}
