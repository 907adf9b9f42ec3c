// torch.optim as a training script touches it before its model's first call: optimizers built
// from parameters or parameter groups (their `param_groups` readable and writable, `step` and
// `zero_grad` doing nothing here) and learning-rate schedulers. The memory an optimizer keeps is
// the `optimizer` setting's business (memory/simulate.ts), not the script's choice.

import { ClassV, DictV, InstanceV, NONE, Value, builtin, list, str } from '../values';
import type { TorchLibrary } from './library';

const OPTIMIZERS = ['SGD', 'Adam', 'AdamW', 'Adadelta', 'Adagrad', 'Adamax', 'ASGD', 'LBFGS', 'NAdam', 'RAdam', 'RMSprop', 'Rprop', 'SparseAdam', 'Adafactor'];
const SCHEDULERS = [
  'LambdaLR', 'MultiplicativeLR', 'StepLR', 'MultiStepLR', 'ConstantLR', 'LinearLR', 'ExponentialLR', 'SequentialLR', 'CosineAnnealingLR',
  'ChainedScheduler', 'ReduceLROnPlateau', 'CyclicLR', 'CosineAnnealingWarmRestarts', 'OneCycleLR', 'PolynomialLR', 'LRScheduler',
];

const dict = (entries: [string, Value][]): DictV => ({ k: 'dict', map: new Map(entries.map(([k, v]) => [JSON.stringify(k), [str(k), v]])) });

/** The `torch.optim` and `torch.optim.lr_scheduler` namespaces. */
export function optimModules(lib: TorchLibrary): Record<string, Value> {
  const noop = (cls: string, name: string) => builtin(`${cls}.${name}`, () => NONE);
  const optimizer = (name: string, base?: ClassV): ClassV => ({
    k: 'class', name, bases: base ? [base] : [], attrs: new Map(), loc: null,
    native: {
      // `param_groups`: one group of the parameters given, or the groups given, with the keyword options.
      init: (self, a, at) => {
        const params = a.pos[0] ?? a.kw.get('params') ?? list([]);
        const items = params.k === 'unknown' ? [] : lib.interp.iterate(params, at);
        const options = [...a.kw].filter(([k]) => k !== 'params');
        const groups = items.length && items.every((g) => g.k === 'dict')
          ? items.map((g) => dict([...[...(g as DictV).map.values()].flatMap(([k, v]) => (k.k === 'str' ? [[k.v, v] as [string, Value]] : [])), ...options]))
          : [dict([['params', list(items)], ...options])];
        self.attrs.set('param_groups', list(groups));
        self.attrs.set('state', { k: 'dict', map: new Map() });
        self.attrs.set('defaults', dict(options));
      },
      attr: (_self: InstanceV, attr) => (['step', 'zero_grad', 'add_param_group', 'load_state_dict'].includes(attr) ? noop(name, attr) : attr === 'state_dict' ? builtin(`${name}.state_dict`, () => dict([['state', NONE]])) : undefined),
    },
  });
  const base = optimizer('Optimizer');
  const optim = lib.ns('torch.optim', { Optimizer: base, ...Object.fromEntries(OPTIMIZERS.map((n) => [n, optimizer(n, base)])) });
  const scheduler = (name: string): ClassV => ({
    k: 'class', name, bases: [], attrs: new Map(), loc: null,
    native: {
      init: (self, a) => self.attrs.set('optimizer', a.pos[0] ?? a.kw.get('optimizer') ?? NONE),
      attr: (_self, attr) => (['step', 'load_state_dict'].includes(attr) ? noop(name, attr) : undefined),
    },
  });
  const lrScheduler = lib.ns('torch.optim.lr_scheduler', Object.fromEntries(SCHEDULERS.map((n) => [n, scheduler(n)])));
  optim.attrs.set('lr_scheduler', lrScheduler);
  return { 'torch.optim': optim, 'torch.optim.lr_scheduler': lrScheduler };
}
