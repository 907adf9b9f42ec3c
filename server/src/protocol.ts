// Custom messages between the extension (client) and the language server, declared once.
// Plain method names and payload types, so the client and the server can bind them with their own
// copies of vscode-jsonrpc.

import type { Report } from './report/types';

/**
 * Sent by the client (the "Show report" command, later the timeline webview): the Report of the
 * last analysis of an open document at the current settings; null when the document is not open
 * or the analysis failed (the failure is in the document's diagnostics).
 */
export const REPORT_REQUEST = 'memlens/report';

export interface ReportParams {
  uri: string;
}

export type ReportResult = Report | null;

/** The command a code lens carries; the client handles it (the server only names it). */
export const SHOW_REPORT_COMMAND = 'memlens.showReport';
