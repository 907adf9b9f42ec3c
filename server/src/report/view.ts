// What the timeline view draws (protocol/messages.ts TimelineData), built from an analysis: the
// language server answers memlens/timeline with it, `memlens report --html` inlines it.

import type { TimelineData, WhatIf, WhatIfControls } from '../../../protocol/messages';
import { DEVICES, OPTIMIZERS, PRECISIONS } from './types';
import type { Analysis, AnalysisSettings } from './types';

/** The settings a what-if analysis runs with: the controls' overrides over the settings in force. */
export function whatIfSettings(base: AnalysisSettings, whatIf: WhatIf, planOffer: readonly string[]): AnalysisSettings {
  const positive = (n: number | undefined): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 1;
  return {
    ...base,
    ...(positive(whatIf.batch) ? { batch: whatIf.batch } : {}),
    // What the client sent is checked, not trusted: a value outside the settings' own is ignored.
    ...(PRECISIONS.includes(whatIf.precision!) ? { precision: whatIf.precision } : {}),
    ...(OPTIMIZERS.includes(whatIf.optimizer!) ? { optimizer: whatIf.optimizer } : {}),
    ...(DEVICES.includes(whatIf.device!) ? { device: whatIf.device } : {}),
    ...(positive(whatIf.microbatch) ? { microbatch: whatIf.microbatch } : {}),
    ...(typeof whatIf.checkpoint !== 'boolean' ? {} : whatIf.checkpoint ? { checkpoint: [...planOffer], noPlan: false } : { checkpoint: [], noPlan: true }),
  };
}

/**
 * The plan the view's checkpoint switch applies: the one in force, else every call of the block the
 * model repeats most (`class:Block`); empty when there is neither.
 */
export function planOffer(analysis: Analysis): string[] {
  if (analysis.planInForce?.length) return [...analysis.planInForce];
  return analysis.blockClass ? [`class:${analysis.blockClass}`] : [];
}

export function controlsOf(analysis: Analysis, offer: readonly string[]): WhatIfControls {
  return {
    batch: analysis.report.settings.batch,
    checkpointPlan: [...offer],
    checkpointOn: !!analysis.planInForce?.length,
    microbatch: analysis.report.settings.microbatch ?? 1,
  };
}

export function timelineData(analysis: Analysis, where: { uri: string | null; version: number | null }, whatIf: WhatIf | null, controls: WhatIfControls | null): TimelineData {
  const e = analysis.error;
  return {
    uri: where.uri,
    version: where.version,
    report: analysis.report,
    model: analysis.model ? { className: analysis.model.className, line: analysis.model.line } : null,
    bound: analysis.report.unknowns.length > 0,
    stale: !!analysis.stale,
    error: e ? { reason: e.reason, file: e.file, line: e.line } : null,
    whatIf,
    controls,
    ms: Math.round(analysis.ms),
  };
}
