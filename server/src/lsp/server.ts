// The language server: binds LSP messages to the workspace and the pure feature modules. Every
// handler is guarded: bad input is logged to the client's console and answered empty, never a crash.

import {
  ClientCapabilities,
  CodeAction,
  CodeActionKind,
  Connection,
  DidChangeConfigurationNotification,
  InitializeResult,
  ProposedFeatures,
  TextDocumentSyncKind,
  createConnection,
} from 'vscode-languageserver/node';
import { inspect } from 'util';
import { ENVIRONMENT_NOTIFICATION, EnvironmentParams, REPORT_REQUEST, ReportParams, ReportResult } from '../protocol';
import { loadPythonParser } from '../python/parser';
import { importedBySibling } from './modelClasses';
import { ANALYZE_CLASS_COMMAND, analyzeLenses, classesOf, codeActions, directiveEdit, resolveAction } from './actions';
import { codeLenses } from './codeLens';
import { diagnostics } from './diagnostics';
import { hover } from './hover';
import { inlayHints } from './inlayHints';
import { resolveSettings, ServerSettings } from './settings';
import { Workspace, uriToFile } from './workspace';

interface ClientSupport {
  configuration: boolean;
  dynamicConfiguration: boolean;
  inlayHintRefresh: boolean;
  codeLensRefresh: boolean;
}

function clientSupport(c: ClientCapabilities): ClientSupport {
  return {
    configuration: !!c.workspace?.configuration,
    dynamicConfiguration: !!c.workspace?.didChangeConfiguration?.dynamicRegistration,
    inlayHintRefresh: !!c.workspace?.inlayHint?.refreshSupport,
    codeLensRefresh: !!c.workspace?.codeLens?.refreshSupport,
  };
}

/** Runs the server on stdin/stdout until the client sends `exit`. */
export function startLanguageServer(): void {
  const connection = createConnection(ProposedFeatures.all, process.stdin, process.stdout);
  // stdout carries the protocol: anything printed with console.* goes to the client's log instead.
  const toLog = (...args: unknown[]): void => connection.console.log(args.map((a) => (typeof a === 'string' ? a : inspect(a))).join(' '));
  console.log = console.info = console.warn = console.error = console.debug = toLog;
  // Handlers are guarded; this is the net under anything asynchronous that still throws.
  process.on('uncaughtException', (e) => connection.console.error(`memlens: uncaught ${e.stack ?? e.message}`));
  process.on('unhandledRejection', (e) => connection.console.error(`memlens: unhandled rejection ${String(e)}`));
  bindServer(connection);
  connection.listen();
}

export function bindServer(connection: Connection): void {
  const log = (message: string): void => connection.console.error(`memlens: ${message}`);
  const workspace = new Workspace(log);
  let support: ClientSupport = { configuration: false, dynamicConfiguration: false, inlayHintRefresh: false, codeLensRefresh: false };

  function guard<A extends unknown[], R>(name: string, fallback: R, handler: (...args: A) => R): (...args: A) => R {
    return (...args: A): R => {
      try {
        return handler(...args);
      } catch (e) {
        log(`${name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        return fallback;
      }
    };
  }

  // Diagnostics go out once per burst of changes: the analysis runs on the next turn of the event
  // loop, after every queued didChange has been applied.
  const pendingPublish = new Set<string>();
  function schedulePublish(uri: string): void {
    if (pendingPublish.has(uri)) return;
    pendingPublish.add(uri);
    setImmediate(guard('publishing diagnostics', undefined, () => {
      pendingPublish.delete(uri);
      const doc = workspace.get(uri);
      if (doc && workspace.isLibrary(uri)) {
        // An installed library's file opened to read it: no diagnostics of its own.
        void connection.sendDiagnostics({ uri, version: doc.version, diagnostics: [] });
        return;
      }
      const analysis = workspace.analysis(uri);
      if (!doc || !analysis) return;
      void connection.sendDiagnostics({ uri, version: doc.version, diagnostics: diagnostics(analysis, doc.file, doc.lines, partsFile(uri) ? [] : classesOf(doc)) });
    }));
  }

  /** A file of layer parts: its classes are imported by an open document or a file beside it. */
  function partsFile(uri: string): boolean {
    const doc = workspace.get(uri);
    return !!doc && (workspace.importers(uri).length > 0 || importedBySibling(doc.file));
  }

  /** Publishes `uri` and every open document that imports it (their numbers depend on its text). */
  function schedulePublishWithImporters(uri: string): void {
    schedulePublish(uri);
    for (const importer of workspace.importers(uri)) schedulePublish(importer);
  }

  function applySettings(settings: ServerSettings): void {
    for (const p of settings.problems) log(p);
    workspace.settings = settings;
    if (support.inlayHintRefresh) void connection.languages.inlayHint.refresh().catch((e: unknown) => log(`inlay hint refresh failed: ${String(e)}`));
    if (support.codeLensRefresh) void connection.sendRequest('workspace/codeLens/refresh').catch((e: unknown) => log(`code lens refresh failed: ${String(e)}`));
    for (const uri of workspace.uris()) schedulePublish(uri);
  }

  async function pullSettings(): Promise<void> {
    if (!support.configuration) return;
    const section: unknown = await connection.workspace.getConfiguration('memlens');
    applySettings(resolveSettings(section));
  }

  connection.onInitialize(async (params): Promise<InitializeResult> => {
    await loadPythonParser();
    support = clientSupport(params.capabilities);
    const options = params.initializationOptions as ({ memlens?: unknown } & EnvironmentParams) | undefined;
    workspace.settings = resolveSettings(options?.memlens);
    const roots = (params.workspaceFolders ?? []).map((f) => uriToFile(f.uri));
    if (!roots.length && params.rootUri) roots.push(uriToFile(params.rootUri));
    // A client that says nothing about trust (another editor) is one the user started on their own files.
    workspace.setEnvironmentSources({ roots, pythonPath: options?.pythonPath ?? null, trusted: options?.trusted ?? true });
    for (const p of workspace.settings.problems) log(p);
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        hoverProvider: true,
        codeLensProvider: { resolveProvider: false },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix], resolveProvider: true },
        executeCommandProvider: { commands: [ANALYZE_CLASS_COMMAND] },
        inlayHintProvider: { resolveProvider: false },
      },
      serverInfo: { name: 'memlens' },
    };
  });

  connection.onInitialized(() => {
    if (support.dynamicConfiguration) void connection.client.register(DidChangeConfigurationNotification.type, { section: 'memlens' });
    pullSettings().catch((e: unknown) => log(`reading settings failed: ${String(e)}`));
  });

  connection.onDidChangeConfiguration(
    guard('didChangeConfiguration', undefined, (params) => {
      const settings = (params.settings as { memlens?: unknown } | null | undefined)?.memlens;
      if (settings !== undefined) applySettings(resolveSettings(settings));
      else pullSettings().catch((e: unknown) => log(`reading settings failed: ${String(e)}`));
    }),
  );

  connection.onNotification(
    ENVIRONMENT_NOTIFICATION,
    guard('environment', undefined, (params: EnvironmentParams) => {
      workspace.setEnvironmentSources({ pythonPath: params.pythonPath, trusted: params.trusted });
      applySettings(workspace.settings);
    }),
  );

  connection.onDidOpenTextDocument(
    guard('didOpen', undefined, ({ textDocument: d }) => {
      workspace.open(d.uri, d.text, d.version);
      schedulePublishWithImporters(d.uri);
    }),
  );

  connection.onDidChangeTextDocument(
    guard('didChange', undefined, ({ textDocument: d, contentChanges }) => {
      if (workspace.change(d.uri, d.version ?? 0, contentChanges)) schedulePublishWithImporters(d.uri);
    }),
  );

  connection.onDidCloseTextDocument(
    guard('didClose', undefined, ({ textDocument: d }) => {
      // Importers read the file from disk again once its editor closes.
      const importers = workspace.importers(d.uri);
      workspace.close(d.uri);
      void connection.sendDiagnostics({ uri: d.uri, diagnostics: [] });
      for (const importer of importers) schedulePublish(importer);
    }),
  );

  // Files changed outside the editor (the client watches **/*.py): re-analyze the open documents
  // that imported them. Open documents follow their editor, not the disk.
  connection.onDidChangeWatchedFiles(
    guard('didChangeWatchedFiles', undefined, ({ changes }) => {
      const onDisk = changes.filter((c) => !workspace.get(c.uri));
      if (onDisk.length === 0) return;
      workspace.fileChangedOnDisk();
      for (const c of onDisk) for (const importer of workspace.importersOfFile(uriToFile(c.uri))) schedulePublish(importer);
    }),
  );

  connection.languages.inlayHint.on(
    guard('inlayHint', [], ({ textDocument, range }) => {
      const doc = workspace.get(textDocument.uri);
      const analysis = workspace.analysis(textDocument.uri);
      if (!doc || !analysis || !workspace.settings.inlayHintsEnabled) return [];
      return inlayHints(analysis, doc.file, doc.lines, range, workspace.settings.hints);
    }),
  );

  connection.onHover(
    guard('hover', null, ({ textDocument, position }) => {
      const doc = workspace.get(textDocument.uri);
      const analysis = workspace.analysis(textDocument.uri);
      if (!doc || !analysis) return null;
      return hover(analysis, doc.file, doc.lines, position.line);
    }),
  );

  connection.onCodeLens(
    guard('codeLens', [], ({ textDocument }) => {
      const doc = workspace.get(textDocument.uri);
      const analysis = workspace.analysis(textDocument.uri);
      if (!doc || !analysis) return [];
      return [...codeLenses(analysis, doc.file, doc.lines, doc.uri), ...analyzeLenses(doc, analysis, partsFile(doc.uri))];
    }),
  );

  connection.onCodeAction(
    guard('codeAction', [], ({ textDocument, range, context }) => {
      const doc = workspace.get(textDocument.uri);
      if (!doc || workspace.isLibrary(textDocument.uri)) return [];
      return codeActions(doc, range.start.line, context.diagnostics);
    }),
  );

  connection.onCodeActionResolve(guard('codeActionResolve', null as unknown as CodeAction, (action: CodeAction) => {
    const uri = (action.data as { uri?: string } | undefined)?.uri;
    return resolveAction(action, uri ? workspace.get(uri) : undefined, workspace.settings.analysis, workspace);
  }));

  // The "Analyze" lens: the directive goes in only through the client applying this edit.
  connection.onExecuteCommand(
    guard('executeCommand', undefined, ({ command, arguments: args }) => {
      if (command !== ANALYZE_CLASS_COMMAND) return;
      const [uri, className] = (args ?? []) as [string, string];
      const doc = workspace.get(uri);
      const cls = doc ? classesOf(doc).find((c) => c.name === className) : undefined;
      if (!doc || !cls) return;
      void connection.workspace.applyEdit({ label: `Memlens: analyze ${className}`, edit: directiveEdit(doc, cls, workspace.settings.analysis, workspace) });
    }),
  );

  connection.onRequest(
    REPORT_REQUEST,
    guard('report', null, (params: ReportParams): ReportResult => {
      const analysis = workspace.analysis(params.uri);
      return analysis && !analysis.error ? analysis.report : null;
    }),
  );
}
