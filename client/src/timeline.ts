// The timeline view: one webview panel beside the editor that draws the training step of the
// document in front of the user (memlens/timeline from the server), follows the active Python
// editor and its edits, runs what-if analyses for its controls (the user's settings change only on
// "Apply to settings"), reveals source lines, and comes back after a window reload (serializer).

import * as path from 'path';
import * as vscode from 'vscode';
import { DEVICES, OPTIMIZERS, PRECISIONS } from '../../common/settings';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { FromWebview, TimelineData, ToWebview, WebviewState, WhatIf } from '../../protocol/messages';
import { ServerEvents, registerCommand, request } from './rpc';

const VIEW_TYPE = 'memlens.timeline';
/** Edits arrive as summaries after each analysis; the view redraws at most this often. */
const REFRESH_DEBOUNCE_MS = 200;

function isPythonEditor(editor: vscode.TextEditor | undefined): editor is vscode.TextEditor {
  return !!editor && editor.document.languageId === 'python' && (editor.document.uri.scheme === 'file' || editor.document.uri.scheme === 'untitled');
}


/** The what-if with only values the settings take; null when none is left. */
function validWhatIf(w: unknown): WhatIf | null {
  if (!w || typeof w !== 'object') return null;
  const v = w as Record<string, unknown>;
  const count = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 1;
  const out: WhatIf = {
    ...(count(v.batch) ? { batch: v.batch } : {}),
    ...((PRECISIONS as readonly string[]).includes(v.precision as string) ? { precision: v.precision as WhatIf['precision'] } : {}),
    ...((OPTIMIZERS as readonly string[]).includes(v.optimizer as string) ? { optimizer: v.optimizer as WhatIf['optimizer'] } : {}),
    ...((DEVICES as readonly string[]).includes(v.device as string) ? { device: v.device as WhatIf['device'] } : {}),
    ...(typeof v.checkpoint === 'boolean' ? { checkpoint: v.checkpoint } : {}),
    ...(count(v.microbatch) ? { microbatch: v.microbatch } : {}),
  };
  return Object.keys(out).length ? out : null;
}

/** The active Python editor's document, else the first visible one's. */
function pythonEditorUri(): string | null {
  const active = vscode.window.activeTextEditor;
  const editor = isPythonEditor(active) ? active : vscode.window.visibleTextEditors.find(isPythonEditor);
  return editor ? editor.document.uri.toString() : null;
}

function nonce(): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  for (let i = 0; i < 32; i++) s += chars[Math.floor(Math.random() * chars.length)];
  return s;
}

/** The view's page: the bundled script and styles from dist/, nothing remote, scripts by nonce only. */
export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const dist = vscode.Uri.joinPath(extensionUri, 'dist');
  const asset = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(dist, name)).toString();
  const n = nonce();
  const csp = [`default-src 'none'`, `img-src ${webview.cspSource} data:`, `style-src ${webview.cspSource} 'nonce-${n}'`, `font-src ${webview.cspSource}`, `script-src 'nonce-${n}'`].join('; ');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${asset('uPlot.min.css')}" nonce="${n}">
<link rel="stylesheet" href="${asset('webview.css')}" nonce="${n}">
<title>Memory Timeline</title></head>
<body><div id="app" role="main"></div>
<script nonce="${n}" src="${asset('webview.js')}"></script>
</body></html>`;
}

class TimelinePanel implements vscode.Disposable {
  private uri: string | null;
  private whatIf: WhatIf | null;
  /** The seq of the view's latest what-if: every message after it carries it (the view's wait ends). */
  private whatIfSeq: number | undefined;
  /** The last data with numbers at the settings in force, of the document shown: kept while the text does not build. */
  private lastGood: { uri: string; data: TimelineData } | null = null;
  /** The data on screen (what a reveal may open). */
  private shown: TimelineData | null = null;
  /** A line this view just revealed: the editor change it causes is not a switch of document. */
  private revealed: { uri: string; until: number } | null = null;
  private visible: boolean;
  private refreshTimer: NodeJS.Timeout | undefined;
  private generation = 0;
  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  /** Where the view last revealed a line: the editor column it came from. */
  private editorColumn: vscode.ViewColumn = vscode.ViewColumn.One;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly client: LanguageClient,
    extensionUri: vscode.Uri,
    state: WebviewState | undefined,
    private readonly onDispose: () => void,
  ) {
    this.uri = state?.uri ?? null;
    this.whatIf = state?.whatIf ?? null;
    this.visible = panel.visible;
    panel.webview.options = { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist')] };
    panel.webview.html = webviewHtml(panel.webview, extensionUri);
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icon.png');
    this.disposables.push(
      panel.webview.onDidReceiveMessage((m: FromWebview) => void this.received(m)),
      panel.onDidDispose(() => this.dispose()),
      // Shown again after being hidden (its page was reloaded): fresh data. Focus changes alone: nothing.
      panel.onDidChangeViewState(() => {
        const was = this.visible;
        this.visible = panel.visible;
        if (panel.visible && !was) this.scheduleRefresh();
      }),
    );
    const active = vscode.window.activeTextEditor;
    if (isPythonEditor(active) && active.viewColumn) this.editorColumn = active.viewColumn;
  }

  /**
   * Shows `uri` (a new document drops the what-if of the last one); with none (a restored panel
   * that had none), the Python editor in front.
   */
  show(uri: string | null, force = true): void {
    uri ??= this.uri ?? pythonEditorUri();
    const other = !!uri && uri !== this.uri;
    if (other) {
      this.uri = uri;
      this.whatIf = null;
      this.lastGood = null;
    }
    this.updateTitle();
    if (other || force) this.scheduleRefresh(0);
  }

  follow(editor: vscode.TextEditor | undefined): void {
    if (!isPythonEditor(editor)) return;
    if (editor.viewColumn) this.editorColumn = editor.viewColumn;
    const uri = editor.document.uri.toString();
    // The editor this view just opened to show a line (an imported file's layer): not a switch.
    if (this.revealed && this.revealed.uri === uri && Date.now() < this.revealed.until) return;
    this.show(uri, false);
  }

  /** A new analysis of `uri` landed (an edit, new settings). */
  analyzed(uri: string): void {
    if (uri === this.uri) this.scheduleRefresh();
  }

  private updateTitle(): void {
    const name = this.uri ? path.basename(vscode.Uri.parse(this.uri).path) : '';
    this.panel.title = name ? `Memory Timeline: ${name}` : 'Memory Timeline';
  }

  private post(message: ToWebview): void {
    void this.panel.webview.postMessage(message);
  }

  private scheduleRefresh(delay = REFRESH_DEBOUNCE_MS): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      void this.refresh();
    }, delay);
  }

  /** Asks the server for the view's data (at the what-if, when one is active) and posts it. */
  private async refresh(answering?: number): Promise<void> {
    if (!this.ready || (!this.panel.visible && answering === undefined)) return;
    const seq = answering ?? this.whatIfSeq;
    const uri = this.uri;
    const generation = ++this.generation;
    if (!uri) {
      this.post({ type: 'empty', message: 'Open a Python file with a torch.nn.Module to see its training step.' });
      return;
    }
    this.post({ type: 'busy', busy: true });
    let data: TimelineData | null;
    try {
      data = await request(this.client, 'memlens/timeline', { uri, whatIf: this.whatIf });
    } catch (e) {
      if (generation === this.generation) this.post({ type: 'error', message: `Memlens: ${e instanceof Error ? e.message : String(e)}`, seq });
      return;
    } finally {
      if (generation === this.generation) this.post({ type: 'busy', busy: false });
    }
    // A newer request (another file, another what-if, a later edit) answers instead.
    if (generation !== this.generation || uri !== this.uri) return;
    if (!data) {
      this.post({ type: 'empty', message: 'Memlens has no analysis of this file (it names no model, or is not a Python file Memlens reads).' });
      return;
    }
    if (data.error && data.whatIf) {
      // A what-if that could not be analyzed: said beside the chart, which keeps the last numbers.
      this.post({ type: 'error', message: `What-if: ${data.error.reason}`, seq });
      return;
    }
    if (data.error && !data.report.timeline.length) {
      const good = this.lastGood?.uri === uri ? this.lastGood.data : null;
      // The text does not build (mid-edit): keep the last numbers on screen, marked, with the reason.
      if (good) data = { ...good, stale: true, error: data.error };
    } else if (!data.error && !data.whatIf) this.lastGood = { uri, data };
    this.shown = data;
    this.post({ type: 'data', data, seq });
  }

  /** What the page posts is checked before use (it is a web page: treat its messages as input). */
  private async received(m: FromWebview): Promise<void> {
    if (!m || typeof m !== 'object') return;
    switch (m.type) {
      case 'ready':
        this.ready = true;
        if (!this.uri) this.uri = pythonEditorUri();
        this.updateTitle();
        return this.refresh();
      case 'reveal':
        if (typeof m.line !== 'number' || !Number.isSafeInteger(m.line) || (m.file !== undefined && typeof m.file !== 'string')) return;
        return this.reveal(m.file, m.line);
      case 'whatIf': {
        if (typeof m.seq !== 'number') return;
        this.whatIfSeq = m.seq;
        // A what-if for the document the view showed before a switch: the new document's data answers it.
        if (m.uri !== this.uri) return this.refresh(m.seq);
        this.whatIf = validWhatIf(m.whatIf);
        return this.refresh(m.seq);
      }
      case 'applySettings': {
        const whatIf = validWhatIf(m.whatIf);
        if (m.uri !== this.uri || !whatIf) return;
        return this.applySettings(whatIf);
      }
    }
  }

  /** Files the data on screen names: the only ones a reveal opens besides the document. */
  private knownFiles(): Set<string> {
    const files = new Set<string>();
    const r = this.shown?.report;
    if (!r) return files;
    files.add(r.file);
    for (const p of r.timeline) if (p.file) files.add(p.file);
    for (const l of r.layers) files.add(l.file);
    for (const t of r.peakTensors ?? []) if (t.file) files.add(t.file);
    return new Set([...files].map((f) => path.resolve(f)));
  }

  private async reveal(file: string | undefined, line: number): Promise<void> {
    if (!this.uri || !(line >= 1)) return;
    const own = vscode.Uri.parse(this.uri);
    const elsewhere = file && path.isAbsolute(file) && (own.scheme !== 'file' || path.resolve(file) !== path.resolve(own.fsPath));
    if (elsewhere && !this.knownFiles().has(path.resolve(file))) return;
    const uri = elsewhere ? vscode.Uri.file(file) : own;
    this.revealed = { uri: uri.toString(), until: Date.now() + 1500 };
    try {
      const doc = await vscode.workspace.openTextDocument(uri);
      const target = Math.min(line - 1, doc.lineCount - 1);
      const range = doc.lineAt(target).range;
      const editor = await vscode.window.showTextDocument(doc, { viewColumn: this.editorColumn, preserveFocus: false, selection: new vscode.Range(range.start, range.start) });
      editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    } catch (e) {
      void vscode.window.showWarningMessage(`Memlens: cannot open ${uri.fsPath}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Writes the what-if into the memlens.* settings of the workspace (the user asked for it). */
  private async applySettings(whatIf: WhatIf): Promise<void> {
    if (!this.uri) return;
    const resource = vscode.Uri.parse(this.uri);
    const config = vscode.workspace.getConfiguration('memlens', resource);
    // The folder's settings in a multi-root workspace (a folder value would override the workspace's).
    const folders = vscode.workspace.workspaceFolders?.length ?? 0;
    const target = folders > 1 && vscode.workspace.getWorkspaceFolder(resource) ? vscode.ConfigurationTarget.WorkspaceFolder : folders ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    const written: string[] = [];
    const set = async (key: string, value: unknown) => {
      await config.update(key, value, target);
      written.push(`memlens.${key} = ${JSON.stringify(value)}`);
    };
    try {
      if (whatIf.batch !== undefined) await set('batchSize', whatIf.batch);
      if (whatIf.precision !== undefined) await set('precision', whatIf.precision);
      if (whatIf.optimizer !== undefined) await set('optimizer', whatIf.optimizer);
      if (whatIf.device !== undefined) await set('device', whatIf.device);
      if (whatIf.microbatch !== undefined) await set('microbatch', whatIf.microbatch > 1 ? whatIf.microbatch : null);
      if (whatIf.checkpoint !== undefined) await set('checkpoint', whatIf.checkpoint ? this.shown?.controls?.checkpointPlan ?? [] : []);
    } catch (e) {
      void vscode.window.showErrorMessage(`Memlens: could not write the settings: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    // The settings now say what the what-if said: the analysis they cause refreshes the view (its summary).
    this.whatIf = null;
    const where = target === vscode.ConfigurationTarget.WorkspaceFolder ? 'folder' : target === vscode.ConfigurationTarget.Workspace ? 'workspace' : 'user';
    void vscode.window.showInformationMessage(`Memlens: ${written.join(', ')} (${where} settings).`);
  }

  dispose(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    for (const d of this.disposables.splice(0)) d.dispose();
    this.onDispose();
  }
}

/** The command, the serializer, and the wiring that keeps the one panel following the editor. */
export function register(context: vscode.ExtensionContext, client: LanguageClient, events: ServerEvents): vscode.Disposable {
  let current: TimelinePanel | undefined;
  const adopt = (panel: vscode.WebviewPanel, state: WebviewState | undefined): TimelinePanel => {
    current?.panel.dispose();
    const created = new TimelinePanel(panel, client, context.extensionUri, state, () => {
      if (current === created) current = undefined;
    });
    current = created;
    return created;
  };
  const command = registerCommand('memlens.showTimeline', (uri?: string) => {
    const target = uri ?? pythonEditorUri();
    if (current) {
      current.panel.reveal(vscode.ViewColumn.Beside, true);
      current.show(target);
      return;
    }
    const panel = vscode.window.createWebviewPanel(VIEW_TYPE, 'Memory Timeline', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'dist')],
    });
    adopt(panel, undefined).show(target);
  });
  const serializer = vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
    deserializeWebviewPanel: async (panel: vscode.WebviewPanel, state: unknown) => {
      const restored = adopt(panel, (state ?? undefined) as WebviewState | undefined);
      restored.show((state as WebviewState | undefined)?.uri ?? null);
    },
  });
  const switched = vscode.window.onDidChangeActiveTextEditor((editor) => current?.follow(editor));
  const analyzed = events.onSummary((params) => current?.analyzed(params.uri));
  return vscode.Disposable.from(command, serializer, switched, analyzed, { dispose: () => current?.panel.dispose() });
}
