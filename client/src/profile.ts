// "Memlens: Profile with ONNX Runtime" (palette, the "Profile" code lens): asks the language server
// for a profiling pass of the document (it runs ONNX Runtime in a child process with limits, in
// trusted workspaces only), says what ran where and how the measurement compares, and opens the
// timeline view, which draws the measured forward over the estimate.

import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { executeCommand, registerCommand, request } from './rpc';

export function register(client: LanguageClient): vscode.Disposable {
  return registerCommand('memlens.profile', async (uri?: string) => {
    const target = uri ?? (vscode.window.activeTextEditor?.document.languageId === 'python' ? vscode.window.activeTextEditor.document.uri.toString() : undefined);
    if (!target) {
      void vscode.window.showInformationMessage('Memlens: open a Python model file first.');
      return;
    }
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('Memlens profiles only in trusted workspaces: ONNX Runtime is native code run on your machine.');
      return;
    }
    const ep = vscode.workspace.getConfiguration('memlens', vscode.Uri.parse(target)).get<string>('profiler.executionProvider', 'auto');
    // The server reports its own work-done progress (with a cancel button); this one covers clients' waiting.
    const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Memlens: profiling…' }, () => request(client, 'memlens/profile', { uri: target, ep }));
    if (!result.ok) {
      void (result.kind === 'untrusted' || result.kind === 'lowering' || result.kind === 'no-analysis' ? vscode.window.showWarningMessage(result.message) : vscode.window.showErrorMessage(result.message));
      return;
    }
    void vscode.window.showInformationMessage(result.message);
    await executeCommand('memlens.showTimeline', target);
  });
}
