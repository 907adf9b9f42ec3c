import { activationRules } from './activation';
import { attentionRules } from './attention';
import { KernelArgs } from './args';
import { convolutionRules } from './convolution';
import { einsumRules } from './einsum';
import { elementwiseRules } from './elementwise';
import { embeddingRules } from './embedding';
import { linearRules } from './linear';
import { lossRules } from './loss';
import { normalizationRules } from './normalization';
import { poolingRules } from './pooling';
import { reductionRules } from './reduction';
import { resamplingRules } from './resampling';
import { shapeRules } from './shapeops';
import { Graph, Tensor } from './types';

/** A kernel rule: runs one operator on symbolic tensors through the graph, recording what it saves. */
export type KernelRule = (g: Graph, args: KernelArgs) => Tensor;

/** Every operator the engine models, by name (alphabetical; one family per file). */
export const KERNELS: Readonly<Record<string, KernelRule>> = Object.freeze(
  Object.fromEntries(
    Object.entries({
      ...activationRules,
      ...attentionRules,
      ...convolutionRules,
      ...einsumRules,
      ...elementwiseRules,
      ...embeddingRules,
      ...linearRules,
      ...lossRules,
      ...normalizationRules,
      ...poolingRules,
      ...reductionRules,
      ...resamplingRules,
      ...shapeRules,
    }).sort(([a], [b]) => a.localeCompare(b)),
  ),
);

export function kernel(name: string): KernelRule | undefined {
  return Object.prototype.hasOwnProperty.call(KERNELS, name) ? KERNELS[name] : undefined;
}
