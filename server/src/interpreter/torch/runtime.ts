// Names of the torch namespace that are not ops and record nothing: grad modes, autocast,
// dtypes and their limits, devices, seeds, the jit/compile decorators, nn.init (writes into
// existing parameters), and the Tensor classes for isinstance.
import { DType, DTYPE_BYTES, isFloating } from '../../../../kernels/src';
import { Args, ClassV, FALSE, ModuleV, NONE, TRUE, Value, bool, builtin, int, num, str, tuple } from '../values';
import { DTYPES } from './convert';
import type { TorchLibrary } from './library';

const identityDecorator = (name: string): Value => builtin(name, (a) => a.pos[0] ?? NONE);

function gradMode(lib: TorchLibrary, name: string, enabled: boolean | null): Value {
  return builtin(`torch.${name}`, (a) => {
    const on = enabled ?? (a.pos[0]?.k === 'bool' ? a.pos[0].v : true);
    // Also a decorator (`@torch.no_grad()`): the context manager value is callable on a function.
    const before = lib.tracer.ctx.gradEnabled;
    return lib.contextManager(name, () => lib.tracer.setContext({ gradEnabled: on }), () => lib.tracer.setContext({ gradEnabled: before }));
  });
}

function autocast(lib: TorchLibrary, name: string): Value {
  return builtin(name, (a) => {
    const d = a.kw.get('dtype');
    const enabled = a.kw.get('enabled') ?? (name === 'torch.autocast' ? a.pos[2] : a.pos[0]);
    const dtype: DType = d?.k === 'dtype' ? d.v : 'float16';
    const before = lib.tracer.ctx.autocast;
    const on = !(enabled?.k === 'bool' && !enabled.v);
    return lib.contextManager('autocast', () => lib.tracer.setContext({ autocast: on ? dtype : null }), () => lib.tracer.setContext({ autocast: before }));
  });
}

/** `torch.finfo(dtype)` / `torch.iinfo(dtype)`: the limits model code builds masks with. */
function typeInfo(lib: TorchLibrary, name: 'finfo' | 'iinfo'): Value {
  const F: Partial<Record<DType, [number, number, number, number]>> = {
    float32: [3.4028234663852886e38, 1.1920928955078125e-7, 1.1754943508222875e-38, 32],
    float64: [1.7976931348623157e308, 2.220446049250313e-16, 2.2250738585072014e-308, 64],
    float16: [65504, 0.0009765625, 6.103515625e-5, 16],
    bfloat16: [3.3895313892515355e38, 0.0078125, 1.1754943508222875e-38, 16],
  };
  return builtin(`torch.${name}`, (a, at) => {
    const d = a.pos[0] ?? a.kw.get('type');
    const dtype: DType = d?.k === 'dtype' ? d.v : 'float32';
    const cls: ClassV = { k: 'class', name, bases: [], attrs: new Map(), loc: null };
    const attrs = new Map<string, Value>();
    if (name === 'finfo') {
      const f = F[dtype];
      if (!f) return lib.interp.fail(`torch.finfo of ${dtype}, not a floating type`, at);
      attrs.set('max', num(f[0], false)).set('min', num(-f[0], false)).set('eps', num(f[1], false)).set('tiny', num(f[2], false)).set('bits', int(f[3])).set('dtype', str(dtype));
    } else {
      if (isFloating(dtype)) return lib.interp.fail(`torch.iinfo of ${dtype}, not an integer type`, at);
      const bits = 8 * DTYPE_BYTES[dtype];
      const signed = dtype !== 'uint8' && dtype !== 'bool';
      attrs.set('bits', int(bits)).set('max', int(signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1)).set('min', int(signed ? -(2 ** (bits - 1)) : 0));
    }
    return { k: 'instance', cls, attrs, id: lib.interp.newInstanceId() };
  });
}

/** The non-op names of `torch` (and its submodules that hold no ops). */
export function runtimeNames(lib: TorchLibrary): { torch: Record<string, Value>; modules: Record<string, ModuleV> } {
  const version = lib.tracer.ctx.torch;
  // `torch.Tensor(data)` / `torch.Tensor(*sizes)` (the legacy constructor): float32, like torch.tensor or torch.empty.
  const legacy = (name: string, dtype: DType): ClassV => ({
    k: 'class', name, bases: [], attrs: new Map(), loc: null,
    native: {
      construct: (a, at) => {
        const first = a.pos[0];
        const fromData = first && (first.k === 'list' || first.k === 'tuple' || first.k === 'tensor');
        const fn = lib.module('torch');
        const factory = fn?.k === 'module' ? fn.attrs.get(fromData ? 'tensor' : 'empty') : undefined;
        if (!factory) return lib.interp.fail(`torch.${name}() is not modelled`, at);
        return lib.interp.call(factory, { pos: fromData ? [first] : a.pos, kw: new Map([['dtype', { k: 'dtype', v: dtype }]]) }, at);
      },
    },
  });
  const tensorClass = legacy('Tensor', 'float32');
  const torch: Record<string, Value> = {
    Size: builtin('torch.Size', (a: Args, at) => tuple(lib.interp.iterate(a.pos[0] ?? tuple([]), at))),
    Tensor: tensorClass,
    FloatTensor: legacy('FloatTensor', 'float32'),
    LongTensor: legacy('LongTensor', 'int64'),
    __version__: str(`${version[0]}.${version[1]}.0`),
    autocast: autocast(lib, 'torch.autocast'),
    device: builtin('torch.device', (a) => a.pos[0] ?? str(lib.tracer.ctx.device)),
    enable_grad: gradMode(lib, 'enable_grad', true),
    finfo: typeInfo(lib, 'finfo'),
    get_default_dtype: builtin('torch.get_default_dtype', () => ({ k: 'dtype', v: 'float32' })),
    iinfo: typeInfo(lib, 'iinfo'),
    inference_mode: gradMode(lib, 'inference_mode', false),
    is_grad_enabled: builtin('torch.is_grad_enabled', () => bool(lib.tracer.ctx.gradEnabled)),
    is_tensor: builtin('torch.is_tensor', (a) => bool(a.pos[0]?.k === 'tensor')),
    manual_seed: builtin('torch.manual_seed', () => NONE),
    no_grad: gradMode(lib, 'no_grad', false),
    set_grad_enabled: gradMode(lib, 'set_grad_enabled', null),
  };
  for (const [name, dt] of Object.entries(DTYPES)) torch[name] = { k: 'dtype', v: dt };
  if (version[0] >= 2) torch.compile = identityDecorator('torch.compile');
  // torch.accelerator (2.6+): the device setting's accelerator, as training scripts pick their device.
  if (version[0] > 2 || (version[0] === 2 && version[1] >= 6)) {
    const accelerated = () => lib.tracer.ctx.device !== 'cpu';
    torch.accelerator = lib.ns('torch.accelerator', {
      is_available: builtin('torch.accelerator.is_available', () => bool(accelerated())),
      current_accelerator: builtin('torch.accelerator.current_accelerator', () => (accelerated() ? str(lib.tracer.ctx.device) : NONE)),
      device_count: builtin('torch.accelerator.device_count', () => int(accelerated() ? 1 : 0)),
      current_device_index: builtin('torch.accelerator.current_device_index', () => int(0)),
      synchronize: builtin('torch.accelerator.synchronize', () => NONE),
    });
  }
  const initFns = ['uniform_', 'normal_', 'constant_', 'ones_', 'zeros_', 'eye_', 'dirac_', 'xavier_uniform_', 'xavier_normal_', 'kaiming_uniform_', 'kaiming_normal_', 'trunc_normal_', 'orthogonal_', 'sparse_'];
  const init = lib.ns('torch.nn.init', {
    // Weight initialisation writes into existing parameters: no memory, no saved tensors.
    ...Object.fromEntries(initFns.map((n) => [n, builtin(`nn.init.${n}`, (a) => a.pos[0] ?? NONE)])),
    calculate_gain: builtin('nn.init.calculate_gain', () => num(1, false)),
  });
  const cuda = lib.ns('torch.cuda', {
    is_available: builtin('torch.cuda.is_available', () => bool(lib.tracer.ctx.device === 'cuda')),
    device_count: builtin('torch.cuda.device_count', () => int(lib.tracer.ctx.device === 'cuda' ? 1 : 0)),
    is_bf16_supported: builtin('torch.cuda.is_bf16_supported', () => TRUE),
    amp: lib.ns('torch.cuda.amp', { autocast: autocast(lib, 'torch.cuda.amp.autocast') }),
  });
  const backends = lib.ns('torch.backends', {
    mps: lib.ns('torch.backends.mps', { is_available: builtin('is_available', () => bool(lib.tracer.ctx.device === 'mps')) }),
    cudnn: lib.ns('torch.backends.cudnn', { benchmark: FALSE, deterministic: FALSE, enabled: TRUE }),
  });
  const jit = lib.ns('torch.jit', {
    script: identityDecorator('torch.jit.script'), ignore: identityDecorator('torch.jit.ignore'), unused: identityDecorator('torch.jit.unused'),
    is_scripting: builtin('is_scripting', () => FALSE), is_tracing: builtin('is_tracing', () => FALSE), annotate: builtin('torch.jit.annotate', (a) => a.pos[1] ?? NONE),
  });
  return { torch, modules: { 'torch.nn.init': init, 'torch.cuda': cuda, 'torch.backends': backends, 'torch.jit': jit } };
}
