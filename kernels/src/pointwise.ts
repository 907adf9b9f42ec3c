// Every aten op PyTorch tags `pointwise` (native_functions.yaml), as one rule: the tensor
// operands broadcast to the output, the output dtype follows the class the catalog generator
// measured for that op, and what autograd saves comes from the release's derivatives.yaml. An
// in-place variant (`abs_`, `add_.Tensor`) writes into self.
import { atenInplace, atenOp, derivativeEntry } from './autograd';
import { atenBase, atenEntry, PointwiseDtype } from './catalog';
import { isTensor, showShape } from './common';
import { ScalarOperand, resultType, toFloating } from './promotion';
import { isTensorType, schemaOf } from './schema';
import { broadcastShapes, iteratorStrides } from './shape';
import { DType, Graph, KernelError, KResult, OpCall, Tensor, isComplex, numel, realDtype } from './types';
import { KernelArgs, isPyFloat } from './args';

/** Constant folding of the ops model code applies to constant tensors (layer-width arithmetic). */
const FOLD: Readonly<Record<string, (...xs: number[]) => number>> = {
  abs: Math.abs,
  add: (x, y, alpha = 1) => x + alpha * y,
  ceil: Math.ceil,
  div: (x, y) => x / y,
  exp: Math.exp,
  floor: Math.floor,
  floor_divide: (x, y) => Math.floor(x / y),
  log: Math.log,
  log2: Math.log2,
  mul: (x, y) => x * y,
  neg: (x) => -x,
  pow: (x, y) => x ** y,
  reciprocal: (x) => 1 / x,
  round: (x) => {
    // torch.round rounds half to even.
    const r = Math.round(x);
    return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  },
  rsqrt: (x) => 1 / Math.sqrt(x),
  sqrt: Math.sqrt,
  sub: (x, y, alpha = 1) => x - alpha * y,
  trunc: Math.trunc,
};

/** Elements as a tensor of `dtype` stores them. */
export function castValues(values: readonly number[], dtype: DType): number[] {
  if (dtype === 'bool') return values.map((v) => (v !== 0 ? 1 : 0));
  if (dtype === 'float32') return values.map((v) => Math.fround(v));
  if (dtype.startsWith('float') || dtype === 'bfloat16') return [...values];
  return values.map((v) => Math.trunc(v));
}

function foldValues(base: string, operands: readonly unknown[], shape: readonly number[], dtype: DType): number[] | undefined {
  const f = FOLD[base.replace(/_$/, '')];
  if (!f) return undefined;
  const n = numel(shape);
  const per: ((i: number) => number)[] = [];
  for (const o of operands) {
    if (typeof o === 'number') per.push(() => o);
    else if (typeof o === 'boolean') per.push(() => (o ? 1 : 0));
    else if (isTensor(o) && o.values && (o.values.length === n || o.values.length === 1)) {
      const vs = o.values;
      per.push(vs.length === 1 ? () => vs[0] : (i) => vs[i]);
    } else if (o === null || o === undefined) continue;
    else return undefined;
  }
  return castValues(Array.from({ length: n }, (_, i) => f(...per.map((p) => p(i)))), dtype);
}

function outputDtype(cls: PointwiseDtype | undefined, operands: readonly unknown[], self: unknown): DType {
  const typed = operands.filter((o): o is Tensor | ScalarOperand => isTensor(o) || typeof o === 'number' || typeof o === 'boolean' || (typeof o === 'object' && o !== null && 'float' in o));
  switch (cls) {
    case 'bool':
      return 'bool';
    case 'int64':
      return 'int64';
    case 'same-as-self':
      return isTensor(self) ? self.dtype : resultType(typed);
    case 'promote-float':
      return toFloating(resultType(typed));
    default:
      return resultType(typed);
  }
}

/** Of a complex operand, `abs` and `angle` give the real dtype of its parts (measured, 1.13 and 2.14 CPU). */
const COMPLEX_TO_REAL = new Set(['abs', 'angle']);

/**
 * Pointwise ops whose result on complex operands follows the promotion (complex stays complex):
 * arithmetic and the analytic functions. Anything else (`relu`, `clamp`, `floor`…) refuses
 * complex tensors in PyTorch or is not checked here, so it is not modelled for them.
 */
const COMPLEX_OPS = new Set([
  'add', 'sub', 'rsub', 'mul', 'div', 'true_divide', 'neg', 'reciprocal', 'exp', 'expm1', 'log', 'log1p', 'log10', 'log2', 'sqrt', 'rsqrt',
  'sin', 'cos', 'tan', 'sinh', 'cosh', 'tanh', 'asin', 'acos', 'atan', 'asinh', 'acosh', 'atanh', 'sigmoid', 'pow', 'sgn', 'conj_physical',
  'copy', 'fill', 'zero', 'where', 'lerp', '_conj_physical', 'addcmul', 'addcdiv', 'square', 'isnan', 'isfinite', 'isinf', 'eq', 'ne', 'logical_not', 'logical_and', 'logical_or', 'logical_xor',
]);

/** Runs a pointwise aten overload (`call.aten`) with schema-named arguments. */
export function pointwise(g: Graph, a: KernelArgs, call: OpCall): KResult {
  const overload = call.aten ?? call.name;
  const base = atenBase(overload);
  const entry = atenEntry(g.ctx.torch, overload) ?? derivativeEntry(g.ctx.torch, overload);
  if (!entry) throw new KernelError(base, `no schema for aten::${overload} in PyTorch ${g.ctx.torch.join('.')}`);
  const schema = schemaOf(entry.schema);
  const operandArgs = schema.args.filter((x) => isTensorType(x.type) || x.type.startsWith('Scalar'));
  const operands = operandArgs.map((x) => a[x.name]);
  const tensors = operands.filter(isTensor);
  if (tensors.length === 0) throw new KernelError(base, 'expected at least one tensor operand');
  const shape = tensors.reduce<number[]>((s, t) => broadcastShapes(base, s, t.shape), []);
  const inplace = base.endsWith('_') || !!entry.inplace;
  const functional = atenEntry(g.ctx.torch, base.replace(/_$/, '') + overload.slice(base.length));
  // `alpha` scales an operand; it takes no part in type promotion.
  const promoted = operandArgs.filter((x) => x.name !== 'alpha').map((x) => (typeof a[x.name] === 'number' && isPyFloat(a, x.name) ? { float: a[x.name] as number } : a[x.name]));
  let dtype = outputDtype(entry.dtype ?? functional?.dtype, promoted, a.self);
  const complexIn = tensors.find((t) => isComplex(t.dtype));
  if (complexIn) {
    const op = base.replace(/_$/, '');
    if (COMPLEX_TO_REAL.has(op)) dtype = realDtype(dtype);
    else if (!COMPLEX_OPS.has(op)) throw new KernelError(base, `${complexIn.dtype} operands are not modelled for this op`);
  }
  if (inplace) {
    const self = a.self;
    if (!isTensor(self)) throw new KernelError(base, 'expected a tensor self');
    if (shape.length !== self.shape.length || shape.some((d, i) => d !== self.shape[i])) {
      throw new KernelError(base, `output with shape ${showShape(self.shape)} doesn't match the broadcast shape ${showShape(shape)}`);
    }
    return atenInplace(g, overload, a, numel(shape));
  }
  const strides = iteratorStrides(shape, tensors);
  const outs = atenOp(g, overload, a, schema.returns.map(() => ({ shape, dtype, strides })), { flops: numel(shape) });
  const values = isComplex(dtype) ? undefined : foldValues(base, operands, shape, dtype);
  if (values && outs.length === 1) return { ...outs[0], values };
  return outs.length === 1 ? outs[0] : outs;
}
