// torch.utils.data as training scripts use it: datasets (TensorDataset, a user's Dataset subclass,
// random_split, Subset, ConcatDataset) and the DataLoader, whose iteration yields one batch — the
// first sample collated `batch_size` times as `default_collate` does (tensors stacked, Python
// numbers as int64/float64 tensors, tuples, lists and dicts collated item by item) or passed to
// the loader's `collate_fn`. The batch is the script's input to its model (engine/discover.ts).

import type { DType } from '../../../../kernels/src';
import { Parameter, bindGiven } from '../binding';
import {
  Args, ClassV, DictV, InstanceV, Loc, NONE, NativeClass, PyException, Value, builtin, int, list, tensorV, tuple, typeName,
} from '../values';
import type { TorchLibrary } from './library';

/** A DataLoader the script made, with its batch once computed. */
export interface SeenLoader {
  readonly loader: InstanceV;
  readonly batchSize: number | null;
  batch?: Value;
}

/** What the script's data pipeline showed: its DataLoaders and the library datasets it made, in order. */
export class ScriptData {
  readonly loaders: SeenLoader[] = [];
  readonly datasets: InstanceV[] = [];

  constructor(private readonly lib: TorchLibrary) {}

  /** The batch size of the DataLoader the script iterated first. */
  get iteratedBatchSize(): number | null {
    return this.loaders.find((l) => l.batch !== undefined)?.batchSize ?? null;
  }

  /**
   * Batches the script would feed a model it never called: each DataLoader's first batch, then a
   * batch of `batch` samples of each dataset no loader reads (computed on demand).
   */
  *batches(batch: number): Generator<{ batch: Value; batchSize: number | null }> {
    const at = this.lib.interp.current;
    for (const l of this.loaders) yield { batch: this.batchOf(l, at), batchSize: l.batchSize };
    for (const ds of this.datasets) {
      if (this.loaders.some((l) => l.loader.attrs.get('dataset') === ds)) continue;
      yield { batch: this.lib.interp.guarded(() => collate(this.lib, item(this.lib, ds, 0, at), batch, at)), batchSize: batch };
    }
  }

  batchOf(seen: SeenLoader, at: Loc): Value {
    seen.batch ??= this.lib.interp.guarded(() => loaderBatch(this.lib, seen, at));
    return seen.batch;
  }
}

function nativeClass(name: string, native: NativeClass, bases: ClassV[] = []): ClassV {
  return { k: 'class', name, bases, attrs: new Map(), native, loc: null };
}

const param = (name: string, required = false): Parameter => ({ name, kind: 'normal', required });
const REST: Parameter = { name: 'kwargs', kind: 'varkw' };


const method = (self: InstanceV, name: string, fn: (a: Args, at: Loc) => Value) => builtin(`${self.cls.name}.${name}`, fn);

/** `dataset[i]`. */
function item(lib: TorchLibrary, ds: Value, i: number, at: Loc): Value {
  if (ds.k === 'unknown') return ds;
  const get = lib.interp.getattrOrUndefined(ds, '__getitem__', at);
  if (!get) throw new PyException('TypeError', `'${typeName(ds)}' object is not subscriptable`, at);
  return lib.interp.call(get, { pos: [int(i)], kw: new Map() }, at);
}

/** `len(dataset)`, or null when it is not known. */
function lengthOf(lib: TorchLibrary, ds: Value, at: Loc): number | null {
  const len = lib.builtins.get('len');
  if (!len) return null;
  const n = lib.interp.guarded(() => lib.interp.call(len, { pos: [ds], kw: new Map() }, at));
  return n.k === 'num' ? n.v : null;
}

/** `default_collate` of `n` copies of `sample`. */
export function collate(lib: TorchLibrary, sample: Value, n: number, at: Loc): Value {
  const stacked = (shape: readonly number[], dtype: DType) => tensorV(lib.tracer.newTensor([n, ...shape], dtype, false, 'buffer'));
  switch (sample.k) {
    case 'tensor': return stacked(sample.t.shape, sample.t.dtype);
    case 'num': return stacked([], sample.int ? 'int64' : 'float64');
    case 'bool': return stacked([], 'bool');
    case 'str': return list(Array.from({ length: n }, () => sample));
    case 'tuple': return sample.fields ? { k: 'tuple', items: sample.items.map((x) => collate(lib, x, n, at)), fields: sample.fields } : tuple(sample.items.map((x) => collate(lib, x, n, at)));
    case 'list': return list(sample.items.map((x) => collate(lib, x, n, at)));
    case 'dict': return { k: 'dict', map: new Map([...sample.map].map(([k, [key, x]]) => [k, [key, collate(lib, x, n, at)]])) } as DictV;
    case 'unknown': return sample;
    default:
      throw new PyException('TypeError', `default_collate: batch must contain tensors, numbers, dicts or lists; found ${typeName(sample)}`, at);
  }
}

function loaderBatch(lib: TorchLibrary, seen: SeenLoader, at: Loc): Value {
  const self = seen.loader;
  const sample = item(lib, self.attrs.get('dataset') ?? NONE, 0, at);
  if (seen.batchSize === null) return sample;
  const fn = self.attrs.get('collate_fn');
  if (fn && fn.k !== 'none') return lib.interp.call(fn, { pos: [list(Array.from({ length: seen.batchSize }, () => sample))], kw: new Map() }, at);
  return collate(lib, sample, seen.batchSize, at);
}

const DATASET: ClassV = nativeClass('Dataset', {
  init: () => undefined,
  attr: (self, name, _at, lib: TorchLibrary) => (name === '__add__' ? method(self, name, (a, at) => concat(lib, [self, a.pos[0] ?? NONE], at)) : undefined),
});

/** A dataset of other datasets' samples: `Subset`, `random_split`'s parts, `ConcatDataset`. */
function derived(lib: TorchLibrary, name: string, sampleFrom: Value, length: number | null): InstanceV {
  const inst: InstanceV = { k: 'instance', cls: DERIVED, attrs: new Map<string, Value>([['dataset', sampleFrom]]), id: lib.interp.newInstanceId() };
  derivedInfo.set(inst, { name, length });
  return inst;
}
const derivedInfo = new WeakMap<InstanceV, { name: string; length: number | null }>();
const DERIVED: ClassV = nativeClass('Subset', {
  attr: (self, name, _at, lib: TorchLibrary) => {
    const info = derivedInfo.get(self);
    if (name === '__getitem__') return method(self, name, (_a, at) => item(lib, self.attrs.get('dataset') ?? NONE, 0, at));
    if (name === '__len__' && info) return method(self, name, (_a, at) => (info.length === null ? lib.interp.fail(`the length of this ${info.name} is not known`, at) : int(info.length)));
    return undefined;
  },
}, [DATASET]);

function concat(lib: TorchLibrary, parts: readonly Value[], at: Loc): Value {
  const lengths = parts.map((p) => lengthOf(lib, p, at));
  return derived(lib, 'ConcatDataset', parts[0] ?? NONE, lengths.some((n) => n === null) ? null : lengths.reduce((s, n) => s! + n!, 0));
}

const TENSOR_DATASET: ClassV = nativeClass('TensorDataset', {
  init: (self, a, _at, lib: TorchLibrary) => {
    self.attrs.set('tensors', tuple(a.pos));
    lib.data.datasets.push(self);
  },
  attr: (self, name, _at, lib: TorchLibrary) => {
    const tensors = self.attrs.get('tensors');
    const items = tensors?.k === 'tuple' ? tensors.items : [];
    if (name === '__getitem__') {
      return method(self, name, (a, at) => tuple(items.map((t) => (t.k === 'tensor' ? lib.tensorSubscript(t, a.pos[0] ?? int(0), at) ?? t : lib.interp.fail('a TensorDataset of something other than tensors', at)))));
    }
    if (name === '__len__') return method(self, name, (_a, at) => (items[0]?.k === 'tensor' ? int(items[0].t.shape[0] ?? 0) : lib.interp.fail('a TensorDataset without tensors', at)));
    return undefined;
  },
}, [DATASET]);

const LOADER_PARAMS = ['dataset', 'batch_size', 'shuffle', 'sampler', 'batch_sampler', 'num_workers', 'collate_fn', 'pin_memory', 'drop_last'].map((n, i) => param(n, i === 0));

function dataLoader(lib: TorchLibrary): ClassV {
  const seenOf = new WeakMap<InstanceV, SeenLoader>();
  return nativeClass('DataLoader', {
    init: (self, a, at) => {
      const b = bindGiven('DataLoader', [...LOADER_PARAMS, REST], a, at);
      for (const [k, v] of b) if (k !== 'kwargs') self.attrs.set(k, v);
      const bs = b.get('batch_size') ?? int(1);
      const sampled = b.get('batch_sampler');
      const batchSize = sampled && sampled.k !== 'none' ? -1 : bs.k === 'num' ? bs.v : bs.k === 'none' ? null : -1;
      if (batchSize === -1) {
        lib.interp.report('the DataLoader\'s batch size is not known (a batch_sampler, or a batch_size that is not a number)', at);
        return;
      }
      self.attrs.set('batch_size', batchSize === null ? NONE : int(batchSize));
      const seen: SeenLoader = { loader: self, batchSize };
      seenOf.set(self, seen);
      lib.data.loaders.push(seen);
    },
    attr: (self, name) => {
      const seen = seenOf.get(self);
      if (!seen) return undefined;
      // One iteration: a training loop's first batch is the model's input.
      if (name === '__iter__') return method(self, name, (_a, at) => list([lib.data.batchOf(seen, at)]));
      if (name === '__len__') {
        return method(self, name, (_a, at) => {
          const n = lengthOf(lib, self.attrs.get('dataset') ?? NONE, at);
          if (n === null) return lib.interp.fail('the length of the DataLoader\'s dataset is not known', at);
          const bs = seen.batchSize ?? 1;
          return int(self.attrs.get('drop_last')?.k === 'bool' && (self.attrs.get('drop_last') as { v: boolean }).v ? Math.floor(n / bs) : Math.ceil(n / bs));
        });
      }
      return undefined;
    },
  });
}

/** `random_split(dataset, [n1, n2])` (or fractions summing to 1). */
function randomSplit(lib: TorchLibrary, a: Args, at: Loc): Value {
  const b = bindGiven('random_split', [param('dataset', true), param('lengths', true), param('generator')], a, at);
  const ds = b.get('dataset')!;
  const total = lengthOf(lib, ds, at);
  const parts = lib.interp.iterate(b.get('lengths')!, at).map((v) => (v.k === 'num' ? v : null));
  const fractions = parts.every((p) => p !== null && !p.int) && total !== null;
  const sizes = parts.map((p) => (p === null ? null : fractions ? Math.floor(total! * p.v) : p.v));
  if (fractions) {
    // Like torch: the remainder goes round-robin to the parts.
    let rest = total! - sizes.reduce((s, n) => s! + n!, 0)!;
    for (let i = 0; rest > 0; i = (i + 1) % sizes.length, rest--) sizes[i]! += 1;
  }
  return list(sizes.map((n) => derived(lib, 'Subset', ds, n)));
}

/** The `torch.utils` and `torch.utils.data` namespaces. */
export function dataModules(lib: TorchLibrary): Record<string, Value> {
  const subset = nativeClass('Subset', {
    construct: (a, at) => {
      const b = bindGiven('Subset', [param('dataset', true), param('indices', true)], a, at);
      const n = lengthOf(lib, b.get('indices')!, at);
      return derived(lib, 'Subset', b.get('dataset')!, n);
    },
  }, [DATASET]);
  const concatDataset = nativeClass('ConcatDataset', { construct: (a, at) => concat(lib, lib.interp.iterate(a.pos[0] ?? list([]), at), at) }, [DATASET]);
  const sampler = (name: string) => nativeClass(name, { init: () => undefined });
  const data = lib.ns('torch.utils.data', {
    Dataset: DATASET,
    IterableDataset: nativeClass('IterableDataset', { init: () => undefined }, [DATASET]),
    TensorDataset: TENSOR_DATASET,
    DataLoader: dataLoader(lib),
    Subset: subset,
    ConcatDataset: concatDataset,
    random_split: builtin('torch.utils.data.random_split', (a, at) => randomSplit(lib, a, at)),
    default_collate: builtin('torch.utils.data.default_collate', (a, at) => {
      const samples = lib.interp.iterate(a.pos[0] ?? list([]), at);
      return samples.length ? collate(lib, samples[0], samples.length, at) : list([]);
    }),
    Sampler: sampler('Sampler'), RandomSampler: sampler('RandomSampler'), SequentialSampler: sampler('SequentialSampler'),
    SubsetRandomSampler: sampler('SubsetRandomSampler'), WeightedRandomSampler: sampler('WeightedRandomSampler'),
    get_worker_info: builtin('torch.utils.data.get_worker_info', () => NONE),
  });
  data.attrs.set('distributed', lib.ns('torch.utils.data.distributed', { DistributedSampler: sampler('DistributedSampler') }));
  data.attrs.set('dataloader', lib.ns('torch.utils.data.dataloader', { default_collate: data.attrs.get('default_collate')!, DataLoader: data.attrs.get('DataLoader')! }));
  const utils = lib.ns('torch.utils', { data });
  return { 'torch.utils': utils, 'torch.utils.data': data, 'torch.utils.data.distributed': data.attrs.get('distributed')!, 'torch.utils.data.dataloader': data.attrs.get('dataloader')! };
}

/** `torch.utils.data.Dataset`, the base of torchvision's datasets too. */
export const DATASET_CLASS = DATASET;
