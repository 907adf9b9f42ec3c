import { KernelArgs, strArg } from './args';
import { autocastInputs, isTensor } from './common';
import { atenTensor } from './dispatch';
import { bmm } from './linear';
import { permute, reshape } from './shapeops';
import { Graph, KernelError, Tensor, numel } from './types';

/**
 * `torch.einsum` with two operands, as ATen's `sumproduct_pair` runs it: both operands are
 * permuted to (batch, free, contracted) order and reshaped to 3-D — a view when the strides
 * allow, else a copy — and multiplied with `bmm`, which keeps both 3-D operands. Measured on
 * PyTorch 1.13 CPU: 'bhqd,bhkd->bhqk' and 'bij,jk->bik' keep views of their inputs, exactly like
 * the equivalent `matmul`. Under CPU autocast einsum itself is not cast: the `bmm` it runs casts
 * its 3-D operands (measured on 1.13 and 2.14). One operand is permuted and summed. With two, a
 * label summed away within one operand, repeated labels, ellipses and more than two operands are
 * refused.
 */
export function einsum(g: Graph, equation: string, operands0: readonly Tensor[]): Tensor {
  const op = 'einsum';
  const eq = equation.replace(/\s+/g, '');
  if (eq.includes('.')) throw new KernelError(op, `ellipsis in '${equation}' is not modelled`);
  const [lhs, rhs] = eq.split('->');
  if (rhs === undefined) throw new KernelError(op, `equation '${equation}' needs an explicit '->' output`);
  const ins = lhs.split(',');
  if (ins.length !== operands0.length) throw new KernelError(op, `equation '${equation}' names ${ins.length} operands, got ${operands0.length}`);
  const operands = autocastInputs(g, 'einsum', operands0);
  const sizes = new Map<string, number>();
  ins.forEach((labels, i) => {
    const t = operands[i];
    if (labels.length !== t.shape.length) throw new KernelError(op, `operand ${i} has ${t.shape.length} dims but subscripts '${labels}'`);
    if (new Set(labels).size !== labels.length) throw new KernelError(op, `repeated subscript in '${labels}' (a diagonal) is not modelled`);
    [...labels].forEach((l, j) => {
      const s = sizes.get(l);
      if (s !== undefined && s !== t.shape[j]) throw new KernelError(op, `subscript '${l}' has size ${t.shape[j]} for operand ${i} but ${s} before`);
      sizes.set(l, t.shape[j]);
    });
  });
  if (ins.length === 1) {
    // One operand: permuted to (output labels, summed labels in label order), then one `sum`
    // over the summed dims (measured with a dispatch mode on 1.13 and 2.14: 'ijk->i' runs
    // permute [0, 1, 2] and sum.dim_IntList [1, 2]).
    const [la] = ins;
    for (const l of rhs) if (!la.includes(l)) throw new KernelError(op, `output subscript '${l}' does not appear in the equation for any input operand`);
    if (new Set(rhs).size !== rhs.length) throw new KernelError(op, `an output subscript appears more than once in '${equation}'`);
    const summed = [...la].filter((l) => !rhs.includes(l)).sort();
    const permuted = permute(g, operands[0], [...rhs, ...summed].map((l) => la.indexOf(l)));
    if (summed.length === 0) return permuted;
    return atenTensor(g, 'sum.dim_IntList', { self: permuted, dim: summed.map((_, i) => rhs.length + i), keepdim: false });
  }
  if (ins.length !== 2) throw new KernelError(op, `${ins.length} operands are not modelled (one or two)`);
  const [la, lb] = ins;
  for (const l of rhs) if (!sizes.has(l)) throw new KernelError(op, `output subscript '${l}' does not appear in the inputs`);
  const batch = [...la].filter((l) => lb.includes(l) && rhs.includes(l));
  const contracted = [...la].filter((l) => lb.includes(l) && !rhs.includes(l));
  const freeA = [...la].filter((l) => !lb.includes(l));
  const freeB = [...lb].filter((l) => !la.includes(l));
  for (const l of [...freeA, ...freeB]) if (!rhs.includes(l)) throw new KernelError(op, `subscript '${l}' is summed within one operand; not modelled`);
  const n = (ls: string[]) => numel(ls.map((l) => sizes.get(l)!));
  const [a, b] = operands;
  const a3 = reshape(g, permute(g, a, [...batch, ...freeA, ...contracted].map((l) => la.indexOf(l))), [n(batch), n(freeA), n(contracted)]);
  const b3 = reshape(g, permute(g, b, [...batch, ...contracted, ...freeB].map((l) => lb.indexOf(l))), [n(batch), n(contracted), n(freeB)]);
  // Where einsum is on no autocast list (CPU), its `bmm` casts the 3-D operands.
  const [a3c, b3c] = autocastInputs(g, 'bmm', [a3, b3]);
  const out = bmm(g, a3c, b3c);
  const order = [...batch, ...freeA, ...freeB];
  const shaped = reshape(g, out, order.map((l) => sizes.get(l)!));
  return permute(g, shaped, [...rhs].map((l) => order.indexOf(l)));
}

export const einsumRules = {
  einsum: (g: Graph, a: KernelArgs) => {
    let ops = a.operands;
    if (Array.isArray(ops) && ops.length === 1 && Array.isArray(ops[0])) ops = ops[0];
    if (!Array.isArray(ops) || !ops.every(isTensor)) throw new KernelError('einsum', 'operands must be tensors');
    return einsum(g, strArg('einsum', a, 'equation'), ops as Tensor[]);
  },
};
