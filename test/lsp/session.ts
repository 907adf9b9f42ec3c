// A minimal LSP client for tests: spawns the real bundled server (`node dist/server.js lsp --stdio`)
// and speaks JSON-RPC over its stdio. No mocks; waits on notifications, never on timers.

import { ChildProcess, spawn } from 'child_process';
import { pathToFileURL } from 'url';
import {
  ClientCapabilities,
  CodeLens,
  createProtocolConnection,
  Hover,
  InlayHint,
  ProtocolConnection,
  PublishDiagnosticsParams,
  StreamMessageReader,
  StreamMessageWriter,
  TextDocumentContentChangeEvent,
} from 'vscode-languageserver/node'; // re-exports vscode-languageserver-protocol/node (a declared dependency)
import { fixturePath, readFixture, SERVER_BUNDLE } from '../fixtures';

interface DiagnosticsWaiter {
  uri: string;
  accept: (p: PublishDiagnosticsParams) => boolean;
  resolve: (p: PublishDiagnosticsParams) => void;
  reject: (e: Error) => void;
}

export interface SessionOptions {
  /** The `memlens` section of initializationOptions. */
  settings?: Record<string, unknown>;
  capabilities?: ClientCapabilities;
  /** Answers each item of a workspace/configuration request (only when capabilities allow the server to ask). */
  configuration?: (item: { scopeUri?: string; section?: string }) => unknown;
  /** The workspace folder (initialize's rootUri and workspaceFolders). */
  root?: string;
  /** More initializationOptions beside `memlens` (the client's `pythonPath`, `trusted`). */
  initialization?: Record<string, unknown>;
  /** Environment variables of the server beside this process's (e.g. MEMLENS_WORKER_MEMORY_MB). */
  env?: Record<string, string>;
}

export class LspSession {
  readonly stderr: string[] = [];
  /** Requests the server sent to the client, by method, in order. */
  readonly serverRequests: string[] = [];
  /** workspace/configuration items the server asked for, in order. */
  readonly configurationItems: { scopeUri?: string; section?: string }[] = [];
  /** window/showMessage notifications, in order. */
  readonly messages: { type: number; message: string }[] = [];
  /**
   * What the server sent, in order, as `method` or `method uri` (diagnostics, summaries) or
   * `$/progress token kind`: the order of progress, diagnostics and summaries.
   */
  readonly events: string[] = [];
  /** memlens/summary notifications, in order. */
  readonly summaries: { uri: string; version: number; summary: unknown }[] = [];
  private readonly eventWaiters: { accept: (event: string) => boolean; resolve: () => void }[] = [];
  /** Edits the server asked the client to apply (workspace/applyEdit), in order; all are accepted. */
  readonly appliedEdits: unknown[] = [];
  /** Every publishDiagnostics the server sent, in order. */
  readonly published: PublishDiagnosticsParams[] = [];
  private readonly waiters: DiagnosticsWaiter[] = [];
  private readonly versions = new Map<string, number>();
  private exited: Error | null = null;

  private constructor(
    private readonly child: ChildProcess,
    readonly connection: ProtocolConnection,
  ) {}

  static async start(options: SessionOptions = {}): Promise<LspSession> {
    const child = spawn(process.execPath, [SERVER_BUNDLE, 'lsp', '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
    const connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const session = new LspSession(child, connection);
    child.stderr!.on('data', (d: Buffer) => session.stderr.push(d.toString()));
    child.on('exit', (code, signal) => {
      const error = new Error(`server exited (code ${code}, signal ${signal}): ${session.stderr.join('')}`);
      session.exited = error;
      for (const w of session.waiters.splice(0)) w.reject(error);
    });
    connection.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      session.record(`textDocument/publishDiagnostics ${p.uri}`);
      session.published.push(p);
      for (const w of [...session.waiters]) {
        if (w.uri === p.uri && w.accept(p)) {
          session.waiters.splice(session.waiters.indexOf(w), 1);
          w.resolve(p);
        }
      }
    });
    connection.onNotification('window/logMessage', (p: { message: string }) => {
      session.stderr.push(p.message);
    });
    connection.onRequest('workspace/configuration', (p: { items: { scopeUri?: string; section?: string }[] }) => {
      session.serverRequests.push('workspace/configuration');
      session.configurationItems.push(...p.items);
      return p.items.map((item) => options.configuration?.(item) ?? null);
    });
    connection.onRequest('window/workDoneProgress/create', (p: { token: string | number }) => {
      session.serverRequests.push('window/workDoneProgress/create');
      session.record(`window/workDoneProgress/create ${p.token}`);
      return null;
    });
    connection.onNotification('$/progress', (p: { token: string | number; value: { kind: string; title?: string; message?: string } }) => {
      session.record(`$/progress ${p.token} ${p.value.kind}${p.value.kind === 'begin' ? ` ${p.value.title}: ${p.value.message}` : ''}`);
    });
    connection.onNotification('window/showMessage', (p: { type: number; message: string }) => {
      session.messages.push(p);
      session.record(`window/showMessage ${p.message}`);
    });
    connection.onNotification('memlens/summary', (p: { uri: string; version: number; summary: unknown }) => {
      session.summaries.push(p);
      session.record(`memlens/summary ${p.uri}`);
    });
    connection.onRequest('workspace/applyEdit', (p: { edit: unknown }) => {
      session.serverRequests.push('workspace/applyEdit');
      session.appliedEdits.push(p.edit);
      return { applied: true };
    });
    for (const method of ['workspace/inlayHint/refresh', 'workspace/codeLens/refresh', 'client/registerCapability']) {
      connection.onRequest(method, () => {
        session.serverRequests.push(method);
        return null;
      });
    }
    connection.listen();
    await connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: options.root ? pathToFileURL(options.root).href : null,
      workspaceFolders: options.root ? [{ uri: pathToFileURL(options.root).href, name: 'workspace' }] : null,
      capabilities: options.capabilities ?? {},
      initializationOptions: { memlens: options.settings ?? {}, ...options.initialization },
    });
    await connection.sendNotification('initialized', {});
    return session;
  }

  private record(event: string): void {
    this.events.push(event);
    for (const w of [...this.eventWaiters]) {
      if (w.accept(event)) {
        this.eventWaiters.splice(this.eventWaiters.indexOf(w), 1);
        w.resolve();
      }
    }
  }

  /**
   * Resolves once the server sends something recorded in `events` that `accept` takes, counting
   * those already recorded from index `since` on (take `events.length` before triggering it).
   */
  nextEvent(accept: (event: string) => boolean, since = 0): Promise<void> {
    if (this.events.slice(since).some(accept)) return Promise.resolve();
    return new Promise((resolve) => this.eventWaiters.push({ accept, resolve }));
  }

  /** The next diagnostics published for `uri` that `accept` takes; register before triggering them. */
  nextDiagnostics(uri: string, accept: (p: PublishDiagnosticsParams) => boolean = () => true): Promise<PublishDiagnosticsParams> {
    return new Promise((resolve, reject) => {
      if (this.exited) reject(this.exited);
      else this.waiters.push({ uri, accept, resolve, reject });
    });
  }

  /** Opens a document and returns its first diagnostics. */
  async open(uri: string, text: string): Promise<PublishDiagnosticsParams> {
    this.versions.set(uri, 1);
    const published = this.nextDiagnostics(uri, (p) => p.version === undefined || p.version === 1);
    await this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text } });
    return published;
  }

  /** Opens test/fixtures/NAME under its file: URI. */
  openFixture(name: string): Promise<PublishDiagnosticsParams> {
    return this.open(fixtureUri(name), readFixture(name));
  }

  async change(uri: string, changes: TextDocumentContentChangeEvent[]): Promise<PublishDiagnosticsParams> {
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    const published = this.nextDiagnostics(uri, (p) => p.version === version);
    await this.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: changes });
    return published;
  }

  async configure(settings: Record<string, unknown>, uri: string): Promise<PublishDiagnosticsParams> {
    const published = this.nextDiagnostics(uri);
    await this.connection.sendNotification('workspace/didChangeConfiguration', { settings: { memlens: settings } });
    return published;
  }

  inlayHints(uri: string, lines = 10_000): Promise<InlayHint[] | null> {
    return this.connection.sendRequest('textDocument/inlayHint', {
      textDocument: { uri },
      range: { start: { line: 0, character: 0 }, end: { line: lines, character: 0 } },
    });
  }

  hover(uri: string, line: number, character = 8): Promise<Hover | null> {
    return this.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line, character } });
  }

  codeLenses(uri: string): Promise<CodeLens[] | null> {
    return this.connection.sendRequest('textDocument/codeLens', { textDocument: { uri } });
  }

  report<T>(uri: string): Promise<T | null> {
    return this.connection.sendRequest('memlens/report', { uri });
  }

  async stop(): Promise<void> {
    if (!this.exited) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      await this.connection.sendRequest('shutdown');
      await this.connection.sendNotification('exit');
      await exited;
    }
    this.connection.dispose();
  }

  /** The server is still running (did not crash). */
  get alive(): boolean {
    return this.exited === null;
  }
}

export function fixtureUri(name: string): string {
  return pathToFileURL(fixturePath(name)).toString();
}

export function markdown(h: Hover | null): string {
  if (!h) return '';
  const c = h.contents;
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) return c.map((x) => (typeof x === 'string' ? x : x.value)).join('\n');
  return c.value;
}

/** The value column of a `| key | value |` row of a hover table, for each table in order. */
export function tableValues(md: string, key: string): string[] {
  const row = new RegExp(`^\\| ${key} \\| (.*) \\|$`, 'gm');
  return [...md.matchAll(row)].map((m) => m[1]);
}
