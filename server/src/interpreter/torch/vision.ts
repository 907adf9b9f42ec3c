// torchvision.datasets and torchvision.transforms as training scripts use them: a dataset's
// samples are images of the size the dataset is published in (MNIST 28×28 grayscale, CIFAR 32×32
// RGB …) with an integer class, run through the script's transforms (ToTensor makes a [C, H, W]
// float32 tensor; Resize and the crops change the size; Grayscale the channels; the colour and
// flip augmentations change nothing a shape shows). No file is read: ImageFolder's images have no
// known size until a transform fixes it (a crop, or Resize to both sides).

import type { DType } from '../../../../kernels/src';
import { Parameter, bindGiven } from '../binding';
import {
  Args, ClassV, InstanceV, Loc, NONE, NativeClass, PyException, Value, builtin, int, list, str, tensorV, tuple, typeName,
} from '../values';
import { DATASET_CLASS } from './data';
import type { TorchLibrary } from './library';

/** An image's channels and size; null where it is not known (ImageFolder). */
interface ImageSize {
  c: number;
  h: number | null;
  w: number | null;
}

function nativeClass(name: string, native: NativeClass, bases: ClassV[] = []): ClassV {
  return { k: 'class', name, bases, attrs: new Map(), native, loc: null };
}

const images = new WeakMap<InstanceV, ImageSize>();
const IMAGE: ClassV = nativeClass('Image', {});

/** A PIL image of `size` (`img.size` is (width, height) as PIL has it). */
function image(lib: TorchLibrary, size: ImageSize): InstanceV {
  const mode = size.c === 1 ? 'L' : size.c === 4 ? 'RGBA' : 'RGB';
  const inst: InstanceV = { k: 'instance', cls: IMAGE, attrs: new Map<string, Value>([['mode', str(mode)], ['size', tuple([size.w === null ? NONE : int(size.w), size.h === null ? NONE : int(size.h)])]]), id: lib.interp.newInstanceId() };
  images.set(inst, size);
  return inst;
}

/** What a transform sees: an image (its size) or a [..., C, H, W] tensor. */
type Picture = { k: 'image'; size: ImageSize } | { k: 'tensor'; dtype: DType; shape: readonly number[] };

function pictureOf(v: Value, at: Loc, transform: string): Picture {
  if (v.k === 'tensor') return { k: 'tensor', dtype: v.t.dtype, shape: v.t.shape };
  const size = v.k === 'instance' ? images.get(v) : undefined;
  if (size) return { k: 'image', size };
  throw new PyException('TypeError', `${transform}: expected a PIL image or a tensor, got ${typeName(v)}`, at);
}

function valueOf(lib: TorchLibrary, p: Picture): Value {
  if (p.k === 'image') return image(lib, p.size);
  return tensorV(lib.tracer.newTensor(p.shape, p.dtype, false, 'buffer'));
}

/** A picture with new height and width (either unknown: the transform needs the size it does not have). */
function resized(p: Picture, h: number | null, w: number | null, at: Loc, transform: string): Picture {
  if (p.k === 'image') return { k: 'image', size: { ...p.size, h, w } };
  if (h === null || w === null) throw new PyException('ValueError', `${transform}: the output size is not known`, at);
  return { ...p, shape: [...p.shape.slice(0, -2), h, w] };
}

const hw = (p: Picture): [number | null, number | null] => (p.k === 'image' ? [p.size.h, p.size.w] : [p.shape[p.shape.length - 2], p.shape[p.shape.length - 1]]);

/** `size` as (h, w): an int is a square (crops), a one-item sequence too. */
function pair(lib: TorchLibrary, v: Value | undefined, at: Loc): [number, number] | null {
  if (!v) return null;
  if (v.k === 'num') return [v.v, v.v];
  if (v.k === 'tuple' || v.k === 'list') {
    const xs = lib.interp.iterate(v, at).map((x) => (x.k === 'num' ? x.v : NaN));
    if (xs.length === 1 && !Number.isNaN(xs[0])) return [xs[0], xs[0]];
    if (xs.length === 2 && !xs.some(Number.isNaN)) return [xs[0], xs[1]];
  }
  return null;
}

type Apply = (p: Picture, bound: ReadonlyMap<string, Value>, at: Loc, lib: TorchLibrary) => Picture;

const normal = (names: readonly string[], required = 0): Parameter[] => [...names.map((name, i): Parameter => ({ name, kind: 'normal', required: i < required })), { name: 'kwargs', kind: 'varkw' }];

/** A transform class: its constructor's parameters and what it does to a picture. */
function transform(lib: TorchLibrary, name: string, params: readonly Parameter[], apply: Apply): ClassV {
  const boundOf = new WeakMap<InstanceV, ReadonlyMap<string, Value>>();
  const run = (self: InstanceV, a: Args, at: Loc): Value => {
    const input = a.pos[0] ?? NONE;
    if (input.k === 'unknown') return input;
    return valueOf(lib, apply(pictureOf(input, at, name), boundOf.get(self) ?? new Map(), at, lib));
  };
  return nativeClass(name, {
    init: (self, a, at) => {
      const b = bindGiven(name, params, a, at);
      boundOf.set(self, b);
      for (const [k, v] of b) if (v !== undefined && k !== 'kwargs') self.attrs.set(k, v);
    },
    attr: (self, attr) => (attr === '__call__' || attr === 'forward' ? builtin(`${name}.__call__`, (a, at) => run(self, a, at)) : undefined),
  });
}

/** Transforms that change no shape (flips, colour, geometry within the frame, erasing, normalization). */
const SHAPE_PRESERVING = [
  'Normalize', 'RandomHorizontalFlip', 'RandomVerticalFlip', 'ColorJitter', 'RandomRotation', 'RandomAffine', 'RandomPerspective',
  'GaussianBlur', 'RandomErasing', 'AutoAugment', 'RandAugment', 'TrivialAugmentWide', 'AugMix', 'RandomGrayscale', 'RandomInvert',
  'RandomPosterize', 'RandomSolarize', 'RandomAdjustSharpness', 'RandomAutocontrast', 'RandomEqualize', 'ElasticTransform',
  'RandomApply', 'ConvertImageDtype', 'ToPILImage', 'Identity', 'SanitizeBoundingBoxes', 'ClampBoundingBoxes',
];

/** Output size of `Resize(size)` on an (h, w) picture, as torchvision computes it. */
function resizeTo(lib: TorchLibrary, size: Value | undefined, h: number | null, w: number | null, at: Loc): [number | null, number | null] {
  const both = size && (size.k === 'tuple' || size.k === 'list') && size.items.length === 2 ? pair(lib, size, at) : null;
  if (both) return both;
  const s = size?.k === 'num' ? size.v : pair(lib, size, at)?.[0];
  if (s === undefined) throw new PyException('TypeError', 'Resize: size must be an int or a sequence of one or two ints', at);
  if (h === null || w === null) return [null, null];
  // The shorter side becomes `size`; the longer keeps the aspect ratio (truncated).
  return h <= w ? [s, Math.trunc((s * w) / h)] : [Math.trunc((s * h) / w), s];
}

function transformsModule(lib: TorchLibrary, name: string, v2: boolean): Value {
  const entries: Record<string, Value> = {};
  const add = (cls: ClassV) => (entries[cls.name] = cls);
  // Compose applies its list in order (each may be any callable: a Lambda, a user function).
  entries.Compose = nativeClass('Compose', {
    init: (self, a) => self.attrs.set('transforms', a.pos[0] ?? a.kw.get('transforms') ?? list([])),
    attr: (self, attr) => (attr === '__call__' || attr === 'forward'
      ? builtin('Compose.__call__', (a, at) => lib.interp.iterate(self.attrs.get('transforms') ?? list([]), at).reduce((x, t) => (x.k === 'unknown' ? x : lib.interp.call(t, { pos: [x], kw: new Map() }, at)), a.pos[0] ?? NONE))
      : undefined),
  });
  entries.Lambda = nativeClass('Lambda', {
    init: (self, a) => self.attrs.set('lambd', a.pos[0] ?? a.kw.get('lambd') ?? NONE),
    attr: (self, attr) => (attr === '__call__' ? builtin('Lambda.__call__', (a, at) => lib.interp.call(self.attrs.get('lambd') ?? NONE, { pos: a.pos, kw: new Map() }, at)) : undefined),
  });
  const toTensor = (dtype: DType): Apply => (p, _b, at) => {
    if (p.k === 'tensor') return p;
    const { c, h, w } = p.size;
    if (h === null || w === null) throw new PyException('ValueError', 'the images have no known size (no file is read): add a transform that fixes it (Resize((h, w)), CenterCrop, RandomResizedCrop)', at);
    return { k: 'tensor', dtype, shape: [c, h, w] };
  };
  add(transform(lib, 'ToTensor', normal([]), toTensor('float32')));
  add(transform(lib, 'PILToTensor', normal([]), toTensor('uint8')));
  if (v2) {
    add(transform(lib, 'ToImage', normal([]), toTensor('uint8')));
    add(transform(lib, 'ToDtype', normal(['dtype', 'scale'], 1), (p, b) => {
      const d = b.get('dtype');
      return p.k === 'tensor' && d?.k === 'dtype' ? { ...p, dtype: d.v } : p;
    }));
  }
  add(transform(lib, 'Resize', normal(['size', 'interpolation', 'max_size', 'antialias'], 1), (p, b, at) => {
    const [h, w] = hw(p);
    const [nh, nw] = resizeTo(lib, b.get('size'), h, w, at);
    return resized(p, nh, nw, at, 'Resize');
  }));
  for (const crop of ['CenterCrop', 'RandomCrop', 'RandomResizedCrop', 'RandomSizedCrop']) {
    add(transform(lib, crop, normal(['size'], 1), (p, b, at) => {
      const s = pair(lib, b.get('size'), at);
      if (!s) throw new PyException('TypeError', `${crop}: size must be an int or a sequence of one or two ints`, at);
      return resized(p, s[0], s[1], at, crop);
    }));
  }
  add(transform(lib, 'Pad', normal(['padding', 'fill', 'padding_mode'], 1), (p, b, at) => {
    const pad = b.get('padding');
    const xs = pad?.k === 'num' ? [pad.v, pad.v, pad.v, pad.v] : lib.interp.iterate(pad ?? list([]), at).map((x) => (x.k === 'num' ? x.v : 0));
    const [l, t, r, bo] = xs.length === 2 ? [xs[0], xs[1], xs[0], xs[1]] : xs.length === 4 ? xs : [xs[0] ?? 0, xs[0] ?? 0, xs[0] ?? 0, xs[0] ?? 0];
    const [h, w] = hw(p);
    return resized(p, h === null ? null : h + t + bo, w === null ? null : w + l + r, at, 'Pad');
  }));
  add(transform(lib, 'Grayscale', normal(['num_output_channels']), (p, b) => {
    const n = b.get('num_output_channels');
    const c = n?.k === 'num' ? n.v : 1;
    return p.k === 'image' ? { k: 'image', size: { ...p.size, c } } : { ...p, shape: [...p.shape.slice(0, -3), c, ...p.shape.slice(-2)] };
  }));
  const anything: Parameter[] = [{ name: 'args', kind: 'varargs' }, { name: 'kwargs', kind: 'varkw' }];
  for (const t of SHAPE_PRESERVING) add(transform(lib, t, anything, (p) => p));
  return lib.ns(name, entries);
}

/** One dataset of torchvision: its images, its length per split, its classes. */
interface DatasetInfo {
  readonly image: ImageSize;
  /** Samples in the training split and the other one. */
  readonly lengths: readonly [number, number];
  readonly classes: number | null;
  /** Parameters after `root`; `train` (a bool) or `split` (a string) picks the split. */
  readonly params: readonly string[];
}

const MNIST_LIKE: DatasetInfo = { image: { c: 1, h: 28, w: 28 }, lengths: [60000, 10000], classes: 10, params: ['train', 'transform', 'target_transform', 'download'] };
const CIFAR: DatasetInfo = { image: { c: 3, h: 32, w: 32 }, lengths: [50000, 10000], classes: 10, params: ['train', 'transform', 'target_transform', 'download'] };

const DATASETS: Record<string, DatasetInfo> = {
  MNIST: MNIST_LIKE,
  FashionMNIST: MNIST_LIKE,
  KMNIST: MNIST_LIKE,
  QMNIST: { ...MNIST_LIKE, params: ['what', 'compat', 'train', 'transform', 'target_transform', 'download'] },
  CIFAR10: CIFAR,
  CIFAR100: { ...CIFAR, classes: 100 },
  SVHN: { image: { c: 3, h: 32, w: 32 }, lengths: [73257, 26032], classes: 10, params: ['split', 'transform', 'target_transform', 'download'] },
  STL10: { image: { c: 3, h: 96, w: 96 }, lengths: [5000, 8000], classes: 10, params: ['split', 'folds', 'transform', 'target_transform', 'download'] },
  ImageFolder: { image: { c: 3, h: null, w: null }, lengths: [-1, -1], classes: null, params: ['transform', 'target_transform', 'loader', 'is_valid_file'] },
  ImageNet: { image: { c: 3, h: null, w: null }, lengths: [1281167, 50000], classes: 1000, params: ['split', 'transform', 'target_transform'] },
};

function datasetClass(lib: TorchLibrary, name: string, info: DatasetInfo): ClassV {
  const params: Parameter[] = [{ name: 'root', kind: 'normal', required: name !== 'FakeData' }, ...info.params.map((p): Parameter => ({ name: p, kind: 'normal' })), { name: 'kwargs', kind: 'varkw' }];
  const state = new WeakMap<InstanceV, { bound: ReadonlyMap<string, Value>; length: number | null }>();
  return nativeClass(name, {
    init: (self, a, at) => {
      const bound = bindGiven(name, params, a, at);
      const train = bound.get('train');
      const split = bound.get('split');
      const first = split?.k === 'str' ? split.v === 'train' : !(train?.k === 'bool' && !train.v);
      const n = info.lengths[first ? 0 : 1];
      state.set(self, { bound, length: n < 0 ? null : n });
      if (info.classes !== null) self.attrs.set('classes', list(Array.from({ length: info.classes }, (_, i) => str(String(i)))));
      // The MNIST family holds its images and labels as tensors: uint8 [N, 28, 28] and int64 [N].
      if (info.image.c === 1 && n > 0) {
        self.attrs.set('data', tensorV(lib.tracer.newTensor([n, info.image.h!, info.image.w!], 'uint8', false, 'buffer')));
        self.attrs.set('targets', tensorV(lib.tracer.newTensor([n], 'int64', false, 'buffer')));
      }
      for (const k of ['transform', 'target_transform']) self.attrs.set(k, bound.get(k) ?? NONE);
      lib.data.datasets.push(self);
    },
    attr: (self, attr) => {
      const s = state.get(self);
      if (!s) return undefined;
      if (attr === '__len__') return builtin(`${name}.__len__`, (_a, at) => (s.length === null ? lib.interp.fail(`the length of ${name} is not known (no file is read)`, at) : int(s.length)));
      if (attr === '__getitem__') return builtin(`${name}.__getitem__`, (_a, at) => sample(lib, self, info.image, at));
      return undefined;
    },
  }, [DATASET_CLASS]);
}

/** `(transform(image), target_transform(class))`. */
function sample(lib: TorchLibrary, ds: InstanceV, size: ImageSize, at: Loc): Value {
  const apply = (t: Value | undefined, v: Value) => (t && t.k !== 'none' ? lib.interp.call(t, { pos: [v], kw: new Map() }, at) : v);
  return tuple([apply(ds.attrs.get('transform'), image(lib, size)), apply(ds.attrs.get('target_transform'), int(0))]);
}

/** `FakeData(size, image_size=(3, 224, 224), num_classes=10, transform, …)`: random images of a given size. */
function fakeData(lib: TorchLibrary): ClassV {
  const params: Parameter[] = ['size', 'image_size', 'num_classes', 'transform', 'target_transform', 'random_offset'].map((name): Parameter => ({ name, kind: 'normal' }));
  const sizes = new WeakMap<InstanceV, { image: ImageSize; length: number }>();
  return nativeClass('FakeData', {
    init: (self, a, at) => {
      const b = bindGiven('FakeData', params, a, at);
      const dims = b.get('image_size') ? lib.interp.iterate(b.get('image_size')!, at).map((x) => (x.k === 'num' ? x.v : NaN)) : [3, 224, 224];
      const n = b.get('size');
      sizes.set(self, { image: { c: dims[0], h: dims[1], w: dims[2] }, length: n?.k === 'num' ? n.v : 1000 });
      for (const k of ['transform', 'target_transform']) self.attrs.set(k, b.get(k) ?? NONE);
      lib.data.datasets.push(self);
    },
    attr: (self, attr) => {
      const s = sizes.get(self);
      if (!s) return undefined;
      if (attr === '__len__') return builtin('FakeData.__len__', () => int(s.length));
      if (attr === '__getitem__') return builtin('FakeData.__getitem__', (_a, at) => sample(lib, self, s.image, at));
      return undefined;
    },
  }, [DATASET_CLASS]);
}

/** The modelled `torchvision.datasets`, `torchvision.transforms` and `torchvision.transforms.v2`. */
export function visionModules(lib: TorchLibrary): Record<string, Value> {
  const datasets = lib.ns('torchvision.datasets', {
    ...Object.fromEntries(Object.entries(DATASETS).map(([name, info]) => [name, datasetClass(lib, name, info)])),
    FakeData: fakeData(lib),
  });
  const transforms = transformsModule(lib, 'torchvision.transforms', false);
  const v2 = transformsModule(lib, 'torchvision.transforms.v2', true);
  if (transforms.k === 'module') transforms.attrs.set('v2', v2);
  return { 'torchvision.datasets': datasets, 'torchvision.transforms': transforms, 'torchvision.transforms.v2': v2 };
}
