// The client's side of protocol/messages.ts: requests, notifications and commands by their
// declared names, typed by the declaration (the client imports no server code), and one
// dispatcher for the server's summaries, which the status bar and the timeline view both follow.

import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { ClientNotifications, CommandId, Commands, ServerNotifications, ServerRequests } from '../../protocol/messages';

export function request<M extends keyof ServerRequests>(client: LanguageClient, method: M, params: ServerRequests[M]['params'], token?: vscode.CancellationToken): Promise<ServerRequests[M]['result']> {
  return client.sendRequest(method, params, token);
}

export function notify<M extends keyof ServerNotifications>(client: LanguageClient, method: M, params: ServerNotifications[M]): Promise<void> {
  return client.sendNotification(method, params);
}

export function registerCommand<C extends CommandId>(id: C, run: (...args: Commands[C]) => unknown): vscode.Disposable {
  return vscode.commands.registerCommand(id, run as (...args: unknown[]) => unknown);
}

export function executeCommand<C extends CommandId>(id: C, ...args: Commands[C]): Thenable<unknown> {
  return vscode.commands.executeCommand(id, ...args);
}

/**
 * The server's notifications, each heard by every listener (the language client keeps one
 * handler per method). Registered on the client, so they survive a restart of the server.
 */
export class ServerEvents implements vscode.Disposable {
  private readonly summary = new vscode.EventEmitter<ClientNotifications['memlens/summary']>();
  readonly onSummary = this.summary.event;
  private readonly registration: vscode.Disposable;

  constructor(client: LanguageClient) {
    this.registration = client.onNotification('memlens/summary' satisfies keyof ClientNotifications, (params: ClientNotifications['memlens/summary']) => this.summary.fire(params));
  }

  dispose(): void {
    this.registration.dispose();
    this.summary.dispose();
  }
}
