// The server's names for the custom messages and commands of protocol/messages.ts (declared
// there once, as types). Each constant is checked against that declaration.

import type { ClientNotifications, CommandId, ServerNotifications, ServerRequests } from '../../protocol/messages';

export type {
  DocumentSummary,
  EnvironmentParams,
  ReportParams,
  ReportResult,
  SummaryParams,
  TimelineData,
  TimelineParams,
  TimelineResult,
  WhatIf,
  ProfileParams,
  ProfileResult,
} from '../../protocol/messages';

export const REPORT_REQUEST = 'memlens/report' satisfies keyof ServerRequests;
export const TIMELINE_REQUEST = 'memlens/timeline' satisfies keyof ServerRequests;
export const ENVIRONMENT_NOTIFICATION = 'memlens/environment' satisfies keyof ServerNotifications;
export const SUMMARY_NOTIFICATION = 'memlens/summary' satisfies keyof ClientNotifications;
/** The command a code lens carries to open the text report; the client handles it. */
export const SHOW_REPORT_COMMAND = 'memlens.showReport' satisfies CommandId;
/** The command a code lens carries to open the timeline view; the client handles it. */
export const SHOW_TIMELINE_COMMAND = 'memlens.showTimeline' satisfies CommandId;
/** `memlens/profile`: a profiling pass of a document. */
export const PROFILE_REQUEST = 'memlens/profile' satisfies keyof ServerRequests;
/** The command the "Profile" code lens carries; the client handles it (trust, the provider setting). */
export const PROFILE_COMMAND = 'memlens.profile' satisfies CommandId;
/** The server's command that applies the budget plan of a document: arguments [uri]. */
export const FIT_BUDGET_COMMAND = 'memlens.fitBudget' satisfies CommandId;
