export * from './types';
export * from './shape';
export { KernelArgs } from './args';
export { isTensor } from './common';
export { KERNELS, KernelRule, kernel } from './registry';
export { binary, binaryInplace, neg, Operand, BinaryKind } from './elementwise';
export { dropout } from './activation';
export { batchNorm, layerNorm } from './normalization';
export { contiguous, reshape, view, transpose, permute, flatten, unsqueeze, squeeze, expand, cat } from './shapeops';
