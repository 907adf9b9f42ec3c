// What-if controls: batch, precision, optimizer, device, the checkpoint plan, microbatches. They
// ask the extension for the same text analyzed at other settings (the user's settings untouched).

import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import type { WhatIf, WhatIfControls } from '../../protocol/messages';
import type { Device, OptimizerKind, Precision, ReportSettings } from '../../protocol/report';
import { el } from './table';
import { DEVICES, OPTIMIZERS, PRECISIONS } from '../../common/settings';

/** What the controls show: a value for every field a what-if can change. */
export interface ControlValues {
  batch: number;
  precision: Precision;
  optimizer: OptimizerKind;
  device: Device;
  checkpoint: boolean;
  microbatch: number;
}

export type Field = keyof ControlValues;
export const FIELDS: readonly Field[] = ['batch', 'precision', 'optimizer', 'device', 'checkpoint', 'microbatch'];


/** The values an analysis ran at: its settings, with the controls' batch, plan and microbatches. */
export function valuesOf(settings: ReportSettings, controls: WhatIfControls): ControlValues {
  return {
    batch: settings.batch ?? controls.batch,
    precision: settings.precision,
    optimizer: settings.optimizer,
    device: settings.device,
    checkpoint: controls.checkpointOn,
    // The report leaves microbatch out when it is 1.
    microbatch: settings.microbatch ?? 1,
  };
}

export interface ControlEvents {
  /** A value changed (typing already debounced). */
  change(values: ControlValues, field: Field): void;
  reset(): void;
  apply(): void;
}

type Select = HTMLElement & { value: string; disabled: boolean };
type TextField = HTMLElement & { value: string; disabled: boolean; invalid: boolean };
type Checkbox = HTMLElement & { checked: boolean; disabled: boolean; label: string };
type Button = HTMLElement & { disabled: boolean };

export class Controls {
  readonly section: HTMLElement;
  private readonly batch: TextField;
  private readonly microbatch: TextField;
  private readonly precision: Select;
  private readonly optimizer: Select;
  private readonly device: Select;
  private readonly checkpoint: Checkbox;
  private readonly plan: HTMLElement;
  private readonly resetButton: Button;
  private readonly applyButton: Button;
  private readonly error: HTMLElement;
  private readonly chip: HTMLElement;
  private values: ControlValues | null = null;
  private timer = 0;

  constructor(parent: HTMLElement, private readonly events: ControlEvents) {
    this.section = el('section', 'controls');
    this.section.id = 'controls';
    this.section.setAttribute('aria-labelledby', 'controls-title');
    const title = el('h2', 'controls-title');
    title.id = 'controls-title';
    title.append('What if');
    this.chip = el('span', 'chip whatif', 'what-if active');
    this.chip.id = 'whatif-chip';
    this.chip.hidden = true;
    title.append(this.chip);
    const hint = el('span', 'muted', 'the same code at other settings; your settings stay as they are');
    hint.id = 'controls-hint';
    title.append(hint);
    const row = el('div', 'controls-row');
    this.batch = this.number(row, 'ctl-batch', 'batch', 'Batch size');
    this.precision = this.select(row, 'ctl-precision', 'precision', PRECISIONS, 'Precision');
    this.optimizer = this.select(row, 'ctl-optimizer', 'optimizer', OPTIMIZERS, 'Optimizer');
    this.device = this.select(row, 'ctl-device', 'device', DEVICES, 'Device');
    this.microbatch = this.number(row, 'ctl-microbatch', 'microbatches', 'Microbatches per optimizer step (gradient accumulation)');
    const cp = el('div', 'control checkpoint');
    this.checkpoint = document.createElement('vscode-checkbox') as unknown as Checkbox;
    this.checkpoint.id = 'ctl-checkpoint';
    this.checkpoint.setAttribute('toggle', '');
    this.checkpoint.setAttribute('label', 'checkpoint plan');
    this.checkpoint.addEventListener('change', () => this.changed('checkpoint'));
    this.plan = el('span', 'plan');
    this.plan.id = 'ctl-checkpoint-plan';
    cp.append(this.checkpoint, this.plan);
    row.append(cp);
    const buttons = el('div', 'control-buttons');
    this.resetButton = document.createElement('vscode-button') as unknown as Button;
    this.resetButton.id = 'ctl-reset';
    this.resetButton.setAttribute('secondary', '');
    this.resetButton.textContent = 'Reset';
    this.resetButton.title = 'Back to the settings in force';
    this.resetButton.addEventListener('click', () => {
      if (!this.resetButton.disabled) this.events.reset();
    });
    this.applyButton = document.createElement('vscode-button') as unknown as Button;
    this.applyButton.id = 'ctl-apply';
    this.applyButton.textContent = 'Apply to settings';
    this.applyButton.title = "Write these values into the workspace's memlens.* settings";
    this.applyButton.addEventListener('click', () => {
      if (!this.applyButton.disabled) this.events.apply();
    });
    buttons.append(this.resetButton, this.applyButton);
    row.append(buttons);
    this.error = el('div', 'controls-error');
    this.error.id = 'controls-error';
    this.error.setAttribute('role', 'alert');
    this.error.hidden = true;
    this.section.append(title, row, this.error);
    parent.append(this.section);
  }

  private number(row: HTMLElement, id: string, label: string, title: string): TextField {
    const wrap = el('div', 'control');
    const l = el('label', undefined, label);
    l.htmlFor = id;
    const f = document.createElement('vscode-textfield') as unknown as TextField;
    f.id = id;
    f.setAttribute('type', 'number');
    f.setAttribute('min', '1');
    f.setAttribute('step', '1');
    f.setAttribute('aria-label', title);
    f.title = title;
    const field: Field = id === 'ctl-batch' ? 'batch' : 'microbatch';
    f.addEventListener('input', () => {
      window.clearTimeout(this.timer);
      this.timer = window.setTimeout(() => this.changed(field), 150);
    });
    f.addEventListener('change', () => {
      window.clearTimeout(this.timer);
      this.changed(field);
    });
    f.addEventListener('keydown', (e) => {
      if ((e as KeyboardEvent).key === 'Enter') {
        window.clearTimeout(this.timer);
        this.changed(field);
      }
    });
    wrap.append(l, f);
    row.append(wrap);
    return f;
  }

  private select(row: HTMLElement, id: string, label: string, options: readonly string[], title: string): Select {
    const wrap = el('div', 'control');
    const l = el('label', undefined, label);
    l.htmlFor = id;
    const s = document.createElement('vscode-single-select') as unknown as Select;
    s.id = id;
    s.setAttribute('aria-label', title);
    for (const o of options) {
      const opt = document.createElement('vscode-option') as HTMLElement & { value: string };
      opt.setAttribute('value', o);
      opt.textContent = o;
      s.append(opt);
    }
    const field = id.slice(4) as Field;
    s.addEventListener('change', () => this.changed(field));
    wrap.append(l, s);
    row.append(wrap);
    return s;
  }

  /** Shows the values of the data drawn (unless the user is typing in that field). */
  set(values: ControlValues, controls: WhatIfControls, active: boolean): void {
    this.values = { ...values };
    const active_ = document.activeElement;
    if (active_ !== this.batch) this.setField(this.batch, String(values.batch));
    if (active_ !== this.microbatch) this.setField(this.microbatch, String(values.microbatch));
    this.precision.value = values.precision;
    this.optimizer.value = values.optimizer;
    this.device.value = values.device;
    this.checkpoint.checked = values.checkpoint;
    const plan = controls.checkpointPlan;
    this.checkpoint.disabled = plan.length === 0 && !values.checkpoint;
    const text = plan.length > 0 ? plan.join(', ') : 'no plan to apply';
    this.plan.textContent = text;
    this.plan.title = plan.length > 0 ? `Checkpoint ${text}` : 'Neither the settings nor the budget plan name a checkpoint plan.';
    this.checkpoint.setAttribute('aria-label', plan.length > 0 ? `Checkpoint plan: ${text}` : 'Checkpoint plan (none to apply)');
    this.setActive(active);
  }

  /** `active`: the data shown is a what-if's; `requested`: a what-if is asked for (Reset can cancel it). */
  setActive(active: boolean, requested = active): void {
    this.applyButton.disabled = !active;
    this.resetButton.disabled = !active && !requested;
    this.chip.hidden = !active;
    this.section.classList.toggle('active', active);
  }

  setError(message: string | null): void {
    this.error.hidden = message === null;
    this.error.textContent = message ?? '';
  }

  private setField(f: TextField, v: string): void {
    if (f.value !== v) f.value = v;
    f.invalid = false;
  }

  /** The values now shown, or null when a number field holds no valid number. */
  read(): ControlValues | null {
    const batch = Number(this.batch.value);
    const micro = Number(this.microbatch.value);
    const okBatch = Number.isInteger(batch) && batch >= 1 && batch <= 2 ** 31;
    const okMicro = Number.isInteger(micro) && micro >= 1 && micro <= 2 ** 20;
    this.batch.invalid = !okBatch;
    this.microbatch.invalid = !okMicro;
    if (!okBatch || !okMicro) return null;
    return {
      batch,
      precision: this.precision.value as Precision,
      optimizer: this.optimizer.value as OptimizerKind,
      device: this.device.value as Device,
      checkpoint: this.checkpoint.checked,
      microbatch: micro,
    };
  }

  private changed(field: Field): void {
    const v = this.read();
    if (!v) {
      this.setError(field === 'batch' ? 'The batch is a whole number ≥ 1.' : field === 'microbatch' ? 'Microbatches: a whole number ≥ 1.' : null);
      return;
    }
    this.setError(null);
    const prev = this.values;
    if (prev && FIELDS.every((f) => prev[f] === v[f])) return;
    this.values = v;
    this.events.change(v, field);
  }
}

/** The what-if of control values against the base settings (null: no difference). */
export function diffWhatIf(values: ControlValues, base: Partial<ControlValues>, keep: ReadonlySet<Field>): WhatIf | null {
  const w: WhatIf = {};
  let any = false;
  for (const f of FIELDS) {
    const b = base[f];
    const differs = b === undefined ? keep.has(f) : b !== values[f];
    if (differs) {
      (w as Record<string, unknown>)[f] = values[f];
      any = true;
    }
  }
  return any ? w : null;
}
