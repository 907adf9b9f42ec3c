// The values the analysis settings take, declared once: the server checks settings and what-ifs
// against them, the client checks what the webview posts, the webview offers them as choices.

import type { Device, OptimizerKind, Precision } from '../protocol/report';

export const PRECISIONS: readonly Precision[] = ['fp32', 'amp-fp16', 'amp-bf16', 'bf16'];
export const OPTIMIZERS: readonly OptimizerKind[] = ['none', 'sgd', 'momentum', 'adam', 'adamw'];
export const DEVICES: readonly Device[] = ['cuda', 'cpu', 'mps'];
