import type { Value } from './values';

// Python control flow that unwinds the evaluator's stack: `return`, `break`, `continue`.
export class ReturnSignal { constructor(readonly value: Value) {} }
export class BreakSignal {}
export class ContinueSignal {}
