import catalog from '../../../catalog/torch-1.13.json';
import { DType } from '../../../../kernels/src';
import { Parameter as CatalogParam, bindCatalog } from '../binding';
import { Args, ClassV, NONE, TRUE, FALSE, Value, bool, builtin, int, str, tensorV, tuple } from '../values';
import { MAX_CONSTANT_ELEMENTS, constantFunctions, constantTensor, flattenData } from './constants';
import { DTYPES, shapeFrom } from './convert';
import type { TorchLibrary } from './library';
import { nnClasses } from './nn';
import { splitValue, tensorBinary } from './tensor';

/** `torch.nn.functional` signatures, generated from PyTorch (server/catalog/generate.py). */
const FUNCTIONAL_SIGNATURES = catalog.functional as unknown as Record<string, CatalogParam[]>;

/** Which kernel runs each modelled `torch.nn.functional` function (arguments bound by the catalog). */
const FUNCTIONAL_KERNELS: Record<string, string> = {
  adaptive_avg_pool2d: 'adaptive_avg_pool2d',
  avg_pool2d: 'avg_pool2d',
  batch_norm: 'batch_norm',
  conv1d: 'conv1d',
  conv2d: 'conv2d',
  conv3d: 'conv3d',
  conv_transpose1d: 'conv_transpose1d',
  conv_transpose2d: 'conv_transpose2d',
  conv_transpose3d: 'conv_transpose3d',
  cross_entropy: 'cross_entropy',
  dropout: 'dropout',
  elu: 'elu',
  embedding: 'embedding',
  gelu: 'gelu',
  group_norm: 'group_norm',
  hardsigmoid: 'hardsigmoid',
  hardswish: 'hardswish',
  hardtanh: 'hardtanh',
  instance_norm: 'instance_norm',
  interpolate: 'interpolate',
  layer_norm: 'layer_norm',
  leaky_relu: 'leaky_relu',
  linear: 'linear',
  log_softmax: 'log_softmax',
  max_pool2d: 'max_pool2d',
  mish: 'mish',
  nll_loss: 'nll_loss',
  pad: 'pad',
  relu: 'relu',
  relu6: 'relu6',
  relu_: 'relu_',
  sigmoid: 'sigmoid',
  silu: 'silu',
  softmax: 'softmax',
  tanh: 'tanh',
  upsample: 'interpolate',
};

/** Signatures of `torch.*` functions we model (C++ builtins have no Python signature to read). */
const TORCH_FUNCTIONS: Record<string, [string, CatalogParam[]]> = {
  adaptive_avg_pool2d: ['adaptive_avg_pool2d', [p('input'), p('output_size')]],
  bmm: ['bmm', [p('input'), p('mat2')]],
  cat: ['cat', [p('tensors'), p('dim', 0)]],
  concat: ['cat', [p('tensors'), p('dim', 0)]],
  concatenate: ['cat', [p('tensors'), p('dim', 0)]],
  conv1d: ['conv1d', FUNCTIONAL_SIGNATURES.conv1d],
  conv2d: ['conv2d', FUNCTIONAL_SIGNATURES.conv2d],
  dropout: ['dropout', [p('input'), p('p'), p('training')]],
  embedding: ['embedding', [p('weight'), p('input')]],
  flatten: ['flatten', [p('input'), p('start_dim', 0), p('end_dim', -1)]],
  einsum: ['einsum', [p('equation'), p('operands', undefined, 'varargs')]],
  layer_norm: ['layer_norm', FUNCTIONAL_SIGNATURES.layer_norm],
  log_softmax: ['log_softmax', [p('input'), p('dim'), p('dtype', null)]],
  masked_fill: ['masked_fill', [p('input'), p('mask'), p('value')]],
  matmul: ['matmul', [p('input'), p('other')]],
  mean: ['mean', [p('input'), p('dim', null), p('keepdim', false), p('dtype', null, 'keyword')]],
  mm: ['mm', [p('input'), p('mat2')]],
  permute: ['permute', [p('input'), p('dims')]],
  relu: ['relu', [p('input')]],
  relu_: ['relu_', [p('input')]],
  reshape: ['reshape', [p('input'), p('shape')]],
  sigmoid: ['sigmoid', [p('input')]],
  softmax: ['softmax', [p('input'), p('dim'), p('dtype', null)]],
  squeeze: ['squeeze', [p('input'), p('dim', null)]],
  stack: ['stack', [p('tensors'), p('dim', 0)]],
  sum: ['sum', [p('input'), p('dim', null), p('keepdim', false), p('dtype', null, 'keyword')]],
  t: ['t', [p('input')]],
  tanh: ['tanh', [p('input')]],
  transpose: ['transpose', [p('input'), p('dim0'), p('dim1')]],
  unsqueeze: ['unsqueeze', [p('input'), p('dim')]],
};

function p(name: string, dflt?: unknown, kind: CatalogParam['kind'] = 'normal'): CatalogParam {
  return dflt === undefined ? { name, kind, required: true } : { name, kind, default: dflt };
}

function kernelFunction(lib: TorchLibrary, qualified: string, kernelName: string, sig: CatalogParam[]): Value {
  return builtin(qualified, (a, at) => {
    const bound = lib.interp.guarded(() => {
      const b = bindCatalog(qualified, sig, a, at);
      return lib.runKernelWith(kernelName, b, at);
    });
    return bound;
  });
}

function unmodelled(lib: TorchLibrary, qualified: string): Value {
  return builtin(qualified, (_a, at) => lib.interp.fail(`${qualified}() is not modelled yet`, at));
}

function dtypeOf(lib: TorchLibrary, a: Args): DType {
  const d = a.kw.get('dtype');
  return d?.k === 'dtype' ? d.v : lib.settings.paramDtype === 'bfloat16' && lib.inForward ? 'bfloat16' : 'float32';
}

/** `torch.zeros(*size, dtype=…)` and friends. */
function factory(lib: TorchLibrary, name: string, intByDefault = false): Value {
  return builtin(`torch.${name}`, (a, at) => {
    const sizeArgs = name === 'full' ? a.pos.slice(0, 1) : a.pos;
    const shape = shapeFrom(sizeArgs.length ? sizeArgs : [a.kw.get('size') ?? tuple([])], at);
    if (!Array.isArray(shape)) return shape;
    const d = a.kw.get('dtype');
    const rg = a.kw.get('requires_grad');
    return lib.factory(shape, d?.k === 'dtype' ? d.v : intByDefault ? 'int64' : dtypeOf(lib, a), rg?.k === 'bool' && rg.v);
  });
}

function likeFactory(lib: TorchLibrary, name: string): Value {
  return builtin(`torch.${name}`, (a, at) => {
    const x = a.pos[0] ?? a.kw.get('input');
    if (x?.k !== 'tensor') return x?.k === 'unknown' ? x : lib.interp.fail(`torch.${name}() needs a tensor`, at);
    const d = a.kw.get('dtype');
    return lib.factory(x.t.shape, d?.k === 'dtype' ? d.v : x.t.dtype);
  });
}

function arange(lib: TorchLibrary): Value {
  return builtin('torch.arange', (a, at) => {
    const nums = a.pos.map((v) => (v.k === 'num' ? v.v : NaN));
    if (nums.some(Number.isNaN) || nums.length === 0) return lib.interp.fail('torch.arange() with non-constant bounds', at);
    const [start, end, step] = nums.length === 1 ? [0, nums[0], 1] : [nums[0], nums[1], nums[2] ?? 1];
    const n = Math.max(0, Math.ceil((end - start) / step));
    const d = a.kw.get('dtype');
    const allInt = a.pos.every((v) => v.k === 'num' && v.int);
    return constantTensor(lib, [n], d?.k === 'dtype' ? d.v : allInt ? 'int64' : 'float32', Array.from({ length: Math.min(n, MAX_CONSTANT_ELEMENTS + 1) }, (_, i) => start + i * step));
  });
}

/** `torch.tril`/`triu`: a new tensor; backward keeps nothing. */
function triangle(lib: TorchLibrary, name: string): Value {
  return builtin(`torch.${name}`, (a, at) => {
    const x = a.pos[0] ?? a.kw.get('input');
    if (x?.k !== 'tensor') return x?.k === 'unknown' ? x : lib.interp.fail(`torch.${name}() needs a tensor`, at);
    if (!lib.inForward) return lib.factory(x.t.shape, x.t.dtype);
    return tensorV(lib.tracer.op({ kind: name, inputs: [x.t], outputs: [{ shape: x.t.shape, dtype: x.t.dtype }] })[0]);
  });
}

function arith(lib: TorchLibrary, op: string): Value {
  return builtin(`torch.${op}`, (a, at) => tensorBinary(lib, op === 'add' ? '+' : op === 'sub' ? '-' : op === 'mul' ? '*' : '/', a.pos[0] ?? a.kw.get('input') ?? NONE, a.pos[1] ?? a.kw.get('other') ?? NONE, at) ?? NONE);
}

function gradMode(lib: TorchLibrary, name: string, enabled: boolean | null): Value {
  return builtin(`torch.${name}`, (a) => {
    const on = enabled ?? (a.pos[0]?.k === 'bool' ? a.pos[0].v : true);
    const before = lib.tracer.ctx.gradEnabled;
    return lib.contextManager(name, () => lib.tracer.setContext({ gradEnabled: on }), () => lib.tracer.setContext({ gradEnabled: before }));
  });
}

function autocast(lib: TorchLibrary): Value {
  return builtin('torch.autocast', (a) => {
    const d = a.kw.get('dtype');
    const enabled = a.kw.get('enabled');
    const dtype: DType = d?.k === 'dtype' ? d.v : 'float16';
    const before = lib.tracer.ctx.autocast;
    const on = !(enabled?.k === 'bool' && !enabled.v);
    return lib.contextManager('autocast', () => lib.tracer.setContext({ autocast: on ? dtype : null }), () => lib.tracer.setContext({ autocast: before }));
  });
}

const identityDecorator = (name: string): Value => builtin(name, (a) => a.pos[0] ?? NONE);

/**
 * Release that added each modelled name newer than the 1.13 catalog; under an older `--torch`
 * the name is absent, so `hasattr(F, 'scaled_dot_product_attention')` is False as in that release.
 */
const ADDED_IN: Record<string, readonly [number, number]> = {
  'torch.nn.functional.scaled_dot_product_attention': [2, 0],
  'torch.compile': [2, 0],
};

function existsIn(version: readonly [number, number], qualified: string): boolean {
  const since = ADDED_IN[qualified];
  return !since || version[0] > since[0] || (version[0] === since[0] && version[1] >= since[1]);
}

/** The modelled torch namespaces, by import name. */
export function buildTorchModules(lib: TorchLibrary): Map<string, Value> {
  const functional = new Map<string, Value>();
  for (const [name, sig] of Object.entries(FUNCTIONAL_SIGNATURES)) {
    const k = FUNCTIONAL_KERNELS[name];
    functional.set(name, k ? kernelFunction(lib, `F.${name}`, k, sig) : unmodelled(lib, `F.${name}`));
  }
  const version = lib.tracer.ctx.torch;
  // Added in PyTorch 2.0, so not in the 1.13 catalog.
  if (existsIn(version, 'torch.nn.functional.scaled_dot_product_attention')) functional.set('scaled_dot_product_attention', kernelFunction(lib, 'F.scaled_dot_product_attention', 'scaled_dot_product_attention', [
    p('query'), p('key'), p('value'), p('attn_mask', null), p('dropout_p', 0), p('is_causal', false), p('scale', null, 'keyword'),
  ]));
  const F = lib.ns('torch.nn.functional', Object.fromEntries(functional));

  const initFns = ['uniform_', 'normal_', 'constant_', 'ones_', 'zeros_', 'eye_', 'dirac_', 'xavier_uniform_', 'xavier_normal_', 'kaiming_uniform_', 'kaiming_normal_', 'trunc_normal_', 'orthogonal_', 'sparse_', 'calculate_gain'];
  // Weight initialisation writes into existing parameters: no memory, no saved tensors.
  const init = lib.ns('torch.nn.init', Object.fromEntries(initFns.map((n) => [n, builtin(`nn.init.${n}`, (a) => (n === 'calculate_gain' ? { k: 'num', v: 1, int: false } : a.pos[0] ?? NONE))])));

  const nnEntries = Object.fromEntries(nnClasses(lib));
  const nn = lib.ns('torch.nn', { ...nnEntries, functional: F, init });
  nn.attrs.set('modules', lib.ns('torch.nn.modules', nnEntries));

  const torch = lib.ns('torch', {});
  for (const [name, [k, sig]] of Object.entries(TORCH_FUNCTIONS)) torch.attrs.set(name, kernelFunction(lib, `torch.${name}`, k, sig));
  for (const [name, dt] of Object.entries(DTYPES)) torch.attrs.set(name, { k: 'dtype', v: dt });
  for (const name of ['zeros', 'ones', 'empty', 'randn', 'rand']) torch.attrs.set(name, factory(lib, name));
  torch.attrs.set('full', factory(lib, 'full'));
  torch.attrs.set('randint', builtin('torch.randint', (a, at) => {
    const size = a.kw.get('size') ?? a.pos[a.pos.length - 1];
    const shape = shapeFrom(size ? [size] : [], at);
    return Array.isArray(shape) ? lib.factory(shape, 'int64') : shape;
  }));
  for (const name of ['zeros_like', 'ones_like', 'empty_like', 'randn_like', 'rand_like', 'full_like']) torch.attrs.set(name, likeFactory(lib, name));
  torch.attrs.set('arange', arange(lib));
  for (const name of ['chunk', 'split']) torch.attrs.set(name, builtin(`torch.${name}`, (a, at) => splitValue(lib, name, a.pos[0] ?? a.kw.get('input') ?? NONE, { pos: a.pos.slice(1), kw: a.kw }, at)));
  torch.attrs.set('tril', triangle(lib, 'tril'));
  torch.attrs.set('triu', triangle(lib, 'triu'));
  torch.attrs.set('eye', builtin('torch.eye', (a, at) => {
    const shape = shapeFrom(a.pos.slice(0, 2), at);
    return Array.isArray(shape) ? lib.factory(shape.length === 1 ? [shape[0], shape[0]] : shape, 'float32') : shape;
  }));
  torch.attrs.set('tensor', builtin('torch.tensor', (a) => {
    const data = a.pos[0] ?? NONE;
    const shape: number[] = [];
    for (let v: Value = data; v.k === 'list' || v.k === 'tuple'; v = v.items[0] ?? NONE) shape.push(v.items.length);
    const floating = JSON.stringify(data).includes('"int":false');
    const d = a.kw.get('dtype');
    return constantTensor(lib, shape, d?.k === 'dtype' ? d.v : data.k === 'bool' ? 'bool' : floating ? 'float32' : 'int64', flattenData(data));
  }));
  for (const op of ['add', 'sub', 'mul', 'div']) torch.attrs.set(op, arith(lib, op));
  torch.attrs.set('divide', builtin('torch.divide', (a, at) => {
    const mode = a.kw.get('rounding_mode');
    if (mode && mode.k !== 'none') return lib.interp.fail('torch.divide() with a rounding_mode is not modelled yet', at);
    return tensorBinary(lib, '/', a.pos[0] ?? a.kw.get('input') ?? NONE, a.pos[1] ?? a.kw.get('other') ?? NONE, at) ?? NONE;
  }));
  for (const [name, fn] of constantFunctions(lib)) torch.attrs.set(name, fn);
  torch.attrs.set('no_grad', gradMode(lib, 'no_grad', false));
  torch.attrs.set('enable_grad', gradMode(lib, 'enable_grad', true));
  torch.attrs.set('inference_mode', gradMode(lib, 'inference_mode', false));
  torch.attrs.set('set_grad_enabled', gradMode(lib, 'set_grad_enabled', null));
  torch.attrs.set('autocast', autocast(lib));
  torch.attrs.set('manual_seed', builtin('torch.manual_seed', () => NONE));
  torch.attrs.set('is_tensor', builtin('torch.is_tensor', (a) => bool(a.pos[0]?.k === 'tensor')));
  torch.attrs.set('numel', builtin('torch.numel', (a) => int(a.pos[0]?.k === 'tensor' ? a.pos[0].t.shape.reduce((x, y) => x * y, 1) : 0)));
  torch.attrs.set('device', builtin('torch.device', (a) => a.pos[0] ?? str(lib.tracer.ctx.device)));
  torch.attrs.set('Size', builtin('torch.Size', (a, at) => tuple(lib.interp.iterate(a.pos[0] ?? tuple([]), at))));
  const tensorClass: ClassV = { k: 'class', name: 'Tensor', bases: [], attrs: new Map(), loc: null };
  torch.attrs.set('Tensor', tensorClass);
  torch.attrs.set('FloatTensor', tensorClass);
  torch.attrs.set('LongTensor', tensorClass);
  torch.attrs.set('cuda', lib.ns('torch.cuda', {
    is_available: builtin('torch.cuda.is_available', () => bool(lib.tracer.ctx.device === 'cuda')),
    device_count: builtin('torch.cuda.device_count', () => int(lib.tracer.ctx.device === 'cuda' ? 1 : 0)),
    is_bf16_supported: builtin('torch.cuda.is_bf16_supported', () => TRUE),
  }));
  torch.attrs.set('backends', lib.ns('torch.backends', {
    mps: lib.ns('torch.backends.mps', { is_available: builtin('is_available', () => bool(lib.tracer.ctx.device === 'mps')) }),
    cudnn: lib.ns('torch.backends.cudnn', { benchmark: FALSE, deterministic: FALSE, enabled: TRUE }),
  }));
  const jit = lib.ns('torch.jit', { script: identityDecorator('torch.jit.script'), ignore: identityDecorator('torch.jit.ignore'), unused: identityDecorator('torch.jit.unused'), is_scripting: builtin('is_scripting', () => FALSE), is_tracing: builtin('is_tracing', () => FALSE) });
  torch.attrs.set('jit', jit);
  if (existsIn(version, 'torch.compile')) torch.attrs.set('compile', identityDecorator('torch.compile'));
  torch.attrs.set('__version__', str(`${version[0]}.${version[1]}.0`));
  torch.attrs.set('nn', nn);
  torch.attrs.set('float', { k: 'dtype', v: 'float32' });

  return new Map<string, Value>([
    ['torch', torch],
    ['torch.nn', nn],
    ['torch.nn.functional', F],
    ['torch.nn.init', init],
    ['torch.nn.modules', nn.attrs.get('modules')!],
    ['torch.cuda', torch.attrs.get('cuda')!],
    ['torch.jit', jit],
  ]);
}

