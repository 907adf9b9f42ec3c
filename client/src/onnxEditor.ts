// `.onnx` files open in a read-only report: the graph's per-node memory (shapes, output bytes, the
// forward's live-bytes peak; the language server reads the file, never runs it), with a button
// that profiles it in ONNX Runtime (trusted workspaces; a child process with limits).

import * as crypto from 'crypto';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { OnnxResult } from '../../protocol/messages';
import { request } from './rpc';

const VIEW_TYPE = 'memlens.onnxReport';

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

function page(title: string, result: OnnxResult, busy: boolean): string {
  const nonce = crypto.randomBytes(16).toString('base64');
  const csp = `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'`;
  const trusted = vscode.workspace.isTrusted;
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<style nonce="${nonce}">
body{font-family:var(--vscode-font-family);color:var(--vscode-foreground);background:var(--vscode-editor-background);padding:12px 20px}
pre{font-family:var(--vscode-editor-font-family);font-size:var(--vscode-editor-font-size);white-space:pre;overflow:auto}
.error{color:var(--vscode-errorForeground)}
button{background:var(--vscode-button-background);color:var(--vscode-button-foreground);border:1px solid var(--vscode-button-border,transparent);padding:4px 12px;cursor:pointer}
button:disabled{opacity:.5;cursor:default}
button:focus-visible{outline:1px solid var(--vscode-focusBorder);outline-offset:2px}
</style><title>${escapeHtml(title)}</title></head><body>
<h2>${escapeHtml(title)}</h2>
<p><button id="profile" ${trusted && !busy ? '' : 'disabled'} title="${trusted ? 'Run it once in ONNX Runtime with its profiler' : 'Only in trusted workspaces'}">${busy ? 'Profiling…' : 'Profile with ONNX Runtime'}</button></p>
<pre id="report" class="${result.ok ? '' : 'error'}" role="document">${escapeHtml(result.text)}</pre>
<script nonce="${nonce}">
const vscode = acquireVsCodeApi();
document.getElementById('profile').addEventListener('click', () => vscode.postMessage({ type: 'profile' }));
</script></body></html>`;
}

export function register(client: LanguageClient): vscode.Disposable {
  const provider: vscode.CustomReadonlyEditorProvider = {
    openCustomDocument: (uri) => ({ uri, dispose: () => undefined }),
    resolveCustomEditor: async (document, panel) => {
      panel.webview.options = { enableScripts: true, localResourceRoots: [] };
      const file = document.uri.fsPath;
      const title = `Memlens: ${file.split(/[\\/]/).pop()}`;
      const show = async (profile: boolean) => {
        const ep = vscode.workspace.getConfiguration('memlens', document.uri).get<string>('profiler.executionProvider', 'auto');
        let result: OnnxResult;
        try {
          result = await request(client, 'memlens/onnx', { file, profile, ep });
        } catch (e) {
          result = { ok: false, text: e instanceof Error ? e.message : String(e) };
        }
        panel.webview.html = page(title, result, false);
        if (!result.ok) void vscode.window.showErrorMessage(`Memlens: ${result.text.split('\n')[0]}`);
      };
      panel.webview.html = page(title, { ok: true, text: 'Reading the graph…' }, true);
      panel.webview.onDidReceiveMessage((m: { type?: string }) => {
        if (m?.type !== 'profile' || !vscode.workspace.isTrusted) return;
        panel.webview.html = page(title, { ok: true, text: 'Profiling with ONNX Runtime…' }, true);
        void show(true);
      });
      await show(false);
    },
  };
  return vscode.window.registerCustomEditorProvider(VIEW_TYPE, provider, { supportsMultipleEditorsPerDocument: true });
}
