// Names of the torch namespace that are not ops and record nothing: grad modes, autocast,
// dtypes and their limits, devices, seeds, the jit/compile decorators, nn.init (writes into
// existing parameters), and the Tensor classes for isinstance.
import { DType, DTYPE_BYTES, isFloating } from '../../../../kernels/src';
import { Args, ClassV, FALSE, InstanceV, ModuleV, NONE, PyException, TRUE, Value, args, bool, builtin, builtinMethodOf, int, num, str, tuple } from '../values';
import { DTYPES } from './convert';
import type { TorchLibrary } from './library';

const identityDecorator = (name: string): Value => builtin(name, (a) => a.pos[0] ?? NONE);

function gradMode(lib: TorchLibrary, name: string, enabled: boolean | null): Value {
  return builtin(`torch.${name}`, (a) => {
    const first = a.pos[0];
    const on = enabled ?? (first?.k === 'bool' ? first.v : true);
    const enter = () => {
      const before = lib.tracer.ctx.gradEnabled;
      lib.tracer.setContext({ gradEnabled: on });
      return () => lib.tracer.setContext({ gradEnabled: before });
    };
    // `@torch.no_grad` (without a call) decorates the function directly.
    if (enabled !== null && first && (first.k === 'func' || first.k === 'bound' || first.k === 'builtin')) return lib.decorateWith(name, enter, first);
    // Also a decorator (`@torch.no_grad()`): the context manager value is callable on a function.
    return lib.contextManager(name, enter);
  });
}

function autocast(lib: TorchLibrary, name: string): Value {
  return builtin(name, (a) => {
    const d = a.kw.get('dtype');
    const enabled = a.kw.get('enabled') ?? (name === 'torch.autocast' ? a.pos[2] : a.pos[0]);
    const dtype: DType = d?.k === 'dtype' ? d.v : 'float16';
    const on = !(enabled?.k === 'bool' && !enabled.v);
    return lib.contextManager('autocast', () => {
      const prev = lib.tracer.ctx.autocast;
      lib.tracer.setContext({ autocast: on ? dtype : null });
      return () => lib.tracer.setContext({ autocast: prev });
    });
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
    device: deviceClass(lib),
    dtype: dtypeClass(),
    enable_grad: gradMode(lib, 'enable_grad', true),
    finfo: typeInfo(lib, 'finfo'),
    get_default_dtype: builtin('torch.get_default_dtype', () => ({ k: 'dtype', v: lib.tracer.ctx.defaultFloat ?? 'float32' })),
    // Layers built after it make their parameters in this dtype, factories their floating tensors
    // (float32 is the analysis's own setting: its precision decides). The training step itself
    // runs under the analysis's precision setting.
    set_default_dtype: builtin('torch.set_default_dtype', (a, at) => {
      const d = a.pos[0] ?? a.kw.get('d');
      if (d?.k !== 'dtype' || !['float16', 'bfloat16', 'float32', 'float64'].includes(d.v)) {
        return lib.interp.fail(`torch.set_default_dtype(${d?.k === 'dtype' ? `torch.${d.v}` : '?'}) is not modelled (a floating dtype is expected)`, at);
      }
      lib.defaultDtype = d.v === 'float32' ? null : d.v;
      lib.tracer.setContext({ defaultFloat: d.v });
      return NONE;
    }),
    // Every tensor of the analysis is on its one device.
    get_default_device: builtin('torch.get_default_device', (_a, at) => lib.interp.call(torch.device, args([str(lib.tracer.ctx.device)]), at)),
    get_autocast_dtype: builtin('torch.get_autocast_dtype', () => ({ k: 'dtype', v: lib.tracer.ctx.autocast ?? 'float16' })),
    is_autocast_enabled: builtin('torch.is_autocast_enabled', () => bool(lib.tracer.ctx.autocast !== null)),
    is_floating_point: builtin('torch.is_floating_point', (a) => bool(a.pos[0]?.k === 'tensor' && isFloating(a.pos[0].t.dtype))),
    is_complex: builtin('torch.is_complex', () => FALSE),
    get_device: builtin('torch.get_device', () => int(-1)),
    use_deterministic_algorithms: builtin('torch.use_deterministic_algorithms', () => NONE),
    are_deterministic_algorithms_enabled: builtin('torch.are_deterministic_algorithms_enabled', () => FALSE),
    get_num_threads: builtin('torch.get_num_threads', () => int(1)),
    set_num_threads: builtin('torch.set_num_threads', () => NONE),
    set_float32_matmul_precision: builtin('torch.set_float32_matmul_precision', () => NONE),
    get_float32_matmul_precision: builtin('torch.get_float32_matmul_precision', () => str('highest')),
    iinfo: typeInfo(lib, 'iinfo'),
    inference_mode: gradMode(lib, 'inference_mode', false),
    is_grad_enabled: builtin('torch.is_grad_enabled', () => bool(lib.tracer.ctx.gradEnabled)),
    is_tensor: builtin('torch.is_tensor', (a) => bool(a.pos[0]?.k === 'tensor')),
    // `torch._assert(cond, msg)`: Python's assert as a function (FX-traceable); a condition not known holds.
    _assert: builtin('torch._assert', (a, at) => {
      const t = lib.interp.truthy(a.pos[0] ?? TRUE, at);
      if (t === false) throw new PyException('AssertionError', a.pos[1]?.k === 'str' ? a.pos[1].v : '', at);
      return NONE;
    }),
    manual_seed: builtin('torch.manual_seed', () => NONE),
    no_grad: gradMode(lib, 'no_grad', false),
    set_grad_enabled: gradMode(lib, 'set_grad_enabled', null),
  };
  for (const [name, dt] of Object.entries(DTYPES)) torch[name] = { k: 'dtype', v: dt };
  // dtypes the kernels do not model: objects that compare and hash, and fail where a tensor would be made of them.
  for (const name of ['uint16', 'uint32', 'uint64', 'float8_e4m3fn', 'float8_e5m2', 'float8_e4m3fnuz', 'float8_e5m2fnuz', 'float8_e8m0fnu', 'float4_e2m1fn_x2', 'complex32', 'complex64', 'complex128', 'cfloat', 'cdouble', 'chalf', 'quint8', 'qint8', 'qint32', 'quint4x2', 'bits8', 'int1', 'int2', 'int3', 'int4', 'int5', 'int6', 'int7', 'uint1', 'uint2', 'uint3', 'uint4', 'uint5', 'uint6', 'uint7']) {
    if (!(name in DTYPES)) torch[name] = unmodelledDtype(lib, name);
  }
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
    is_current_stream_capturing: builtin('torch.cuda.is_current_stream_capturing', () => FALSE),
    is_initialized: builtin('torch.cuda.is_initialized', () => bool(lib.tracer.ctx.device === 'cuda')),
    current_device: builtin('torch.cuda.current_device', () => int(0)),
    amp: lib.ns('torch.cuda.amp', { autocast: autocast(lib, 'torch.cuda.amp.autocast') }),
  });
  const xpu = lib.ns('torch.xpu', {
    is_available: builtin('torch.xpu.is_available', () => bool(lib.tracer.ctx.device === 'xpu' as string)),
    is_current_stream_capturing: builtin('torch.xpu.is_current_stream_capturing', () => FALSE),
    device_count: builtin('torch.xpu.device_count', () => int(0)),
  });
  const mps = lib.ns('torch.mps', { is_available: builtin('torch.mps.is_available', () => bool(lib.tracer.ctx.device === 'mps')) });
  const backends = lib.ns('torch.backends', {
    mps: lib.ns('torch.backends.mps', { is_available: builtin('is_available', () => bool(lib.tracer.ctx.device === 'mps')) }),
    cudnn: lib.ns('torch.backends.cudnn', { benchmark: FALSE, deterministic: FALSE, enabled: TRUE }),
  });
  const jit = lib.ns('torch.jit', {
    script: identityDecorator('torch.jit.script'), ignore: identityDecorator('torch.jit.ignore'), unused: identityDecorator('torch.jit.unused'),
    is_scripting: builtin('is_scripting', () => FALSE), is_tracing: builtin('is_tracing', () => FALSE), annotate: builtin('torch.jit.annotate', (a) => a.pos[1] ?? NONE),
  });
  const identityOrFactory = (name: string) => builtin(name, (a) => {
    // `@torch.compiler.disable` and `@torch.compiler.disable(recursive=False)` alike.
    const f = a.pos[0];
    if (f && (f.k === 'func' || f.k === 'builtin' || f.k === 'bound' || f.k === 'class')) return f;
    return identityDecorator(`${name}.<decorator>`);
  });
  const compiler = lib.ns('torch.compiler', {
    is_compiling: builtin('torch.compiler.is_compiling', () => FALSE), is_dynamo_compiling: builtin('torch.compiler.is_dynamo_compiling', () => FALSE),
    is_exporting: builtin('torch.compiler.is_exporting', () => FALSE),
    disable: identityOrFactory('torch.compiler.disable'), allow_in_graph: identityOrFactory('torch.compiler.allow_in_graph'),
    assume_constant_result: identityOrFactory('torch.compiler.assume_constant_result'), cudagraph_mark_step_begin: builtin('torch.compiler.cudagraph_mark_step_begin', () => NONE),
  });
  const dynamo = lib.ns('torch._dynamo', {
    is_compiling: builtin('torch._dynamo.is_compiling', () => FALSE), disable: identityOrFactory('torch._dynamo.disable'), allow_in_graph: identityOrFactory('torch._dynamo.allow_in_graph'),
    mark_static_address: builtin('torch._dynamo.mark_static_address', () => NONE), mark_dynamic: builtin('torch._dynamo.mark_dynamic', () => NONE),
    assume_constant_result: identityOrFactory('torch._dynamo.assume_constant_result'), is_dynamo_compiling: builtin('torch._dynamo.is_dynamo_compiling', () => FALSE),
    config: lib.ns('torch._dynamo.config', { cache_size_limit: int(8), capture_scalar_outputs: FALSE }),
  });
  const versionModule = lib.ns('torch.version', {
    __version__: str(`${version[0]}.${version[1]}.0`), hip: NONE, git_version: str(''), debug: FALSE,
    // The analysis targets one device: a CUDA build when it is CUDA.
    cuda: lib.tracer.ctx.device === 'cuda' ? str('12.8') : NONE,
  });
  const accelerator = lib.ns('torch.accelerator', {
    is_available: builtin('torch.accelerator.is_available', () => bool(lib.tracer.ctx.device !== 'cpu')),
    current_accelerator: builtin('torch.accelerator.current_accelerator', (_a, at) => (lib.tracer.ctx.device === 'cpu' ? NONE : lib.interp.call(torch.device, args([str(lib.tracer.ctx.device)]), at))),
    device_count: builtin('torch.accelerator.device_count', () => int(lib.tracer.ctx.device === 'cpu' ? 0 : 1)),
  });
  // torch.autograd.Function: a custom autograd function's saved tensors are its own code's; not modelled.
  const functionCls: ClassV = { k: 'class', name: 'Function', bases: [], attrs: new Map(), loc: null };
  functionCls.attrs.set('apply', builtin('torch.autograd.Function.apply', (_a, at) => lib.interp.fail('a custom torch.autograd.Function (what it saves for backward is its own code) is not modelled', at)));
  const autograd = lib.ns('torch.autograd', {
    Function: functionCls, grad_mode: lib.ns('torch.autograd.grad_mode', { no_grad: torch.no_grad, enable_grad: torch.enable_grad }),
    graph: lib.ns('torch.autograd.graph', {}),
  });
  // torch.library: custom operators are registered at import time; calling one is not modelled.
  const customOp = builtin('torch.library.custom_op', (a) => {
    const name = a.pos[0]?.k === 'str' ? a.pos[0].v : 'custom op';
    const wrap = (_f: Value) => builtin(`torch.library.custom_op(${name})`, (_b, at) => lib.interp.fail(`the custom operator ${name} (torch.library.custom_op) is not modelled`, at));
    const f = a.kw.get('fn');
    return f ? wrap(f) : builtin('torch.library.custom_op.<decorator>', (b) => wrap(b.pos[0] ?? NONE));
  });
  const library = lib.ns('torch.library', {
    custom_op: customOp, register_fake: identityOrFactory('torch.library.register_fake'), register_kernel: identityOrFactory('torch.library.register_kernel'),
    impl: identityOrFactory('torch.library.impl'), register_autograd: builtin('torch.library.register_autograd', () => NONE),
    Library: builtin('torch.library.Library', (_a, at) => lib.interp.fail('torch.library.Library is not modelled', at)),
  });
  const pytree = lib.ns('torch.utils._pytree', {
    register_pytree_node: builtin('torch.utils._pytree.register_pytree_node', () => NONE), _register_pytree_node: builtin('torch.utils._pytree._register_pytree_node', () => NONE),
    register_dataclass: builtin('torch.utils._pytree.register_dataclass', () => NONE),
  });
  return { torch, modules: { 'torch.library': library, 'torch.utils._pytree': pytree, 'torch.nn.init': init, 'torch.cuda': cuda, 'torch.xpu': xpu, 'torch.mps': mps, 'torch.backends': backends, 'torch.jit': jit, 'torch.compiler': compiler, 'torch._dynamo': dynamo, 'torch.version': versionModule, 'torch.accelerator': accelerator, 'torch.autograd': autograd } };
}

// Ids of the unmodelled dtype objects: negative, apart from instances' (made before the analysis's interpreter).
let nextDtypeId = -1000;

/** `torch.dtype`: the class of the dtype values (isinstance checks). */
function dtypeClass(): ClassV {
  return { k: 'class', name: 'dtype', bases: [], attrs: new Map<string, Value>([['__module__', str('torch')]]), loc: null, builtinType: 'dtype' };
}

/** A dtype the kernels do not model (`torch.float8_e4m3fn`): it can be named, compared and hashed. */
function unmodelledDtype(lib: TorchLibrary, name: string): Value {
  const cls: ClassV = { k: 'class', name: 'dtype', bases: [], attrs: new Map(), loc: null };
  cls.attrs.set('__repr__', builtinMethodOf('dtype.__repr__', () => str(`torch.${name}`)));
  void lib;
  const inst: InstanceV = { k: 'instance', cls, attrs: new Map<string, Value>([['is_floating_point', bool(name.startsWith('float'))], ['is_complex', bool(name.startsWith('c'))], ['__unmodelled_dtype__', str(name)]]), id: nextDtypeId-- };
  return inst;
}

/**
 * `torch.device(...)`: a device object (`.type`, `.index`; equal to devices of the same type and
 * index; `str()` as torch prints it). Tensors are on the analysis's device.
 */
function deviceClass(lib: TorchLibrary): ClassV {
  const cls: ClassV = { k: 'class', name: 'device', bases: [], attrs: new Map<string, Value>([['__module__', str('torch')]]), loc: null };
  const make = (type: string, index: number | null): InstanceV => ({
    k: 'instance', cls, id: lib.interp.newInstanceId(), attrs: new Map<string, Value>([['type', str(type)], ['index', index === null ? NONE : int(index)]]),
  });
  cls.native = {
    construct: (a, at) => {
      const v = a.pos[0] ?? a.kw.get('type') ?? str(lib.tracer.ctx.device);
      const idx = a.pos[1] ?? a.kw.get('index');
      if (v.k === 'unknown') return v;
      if (v.k === 'instance' && v.cls === cls) return v;
      if (v.k === 'num') return make(lib.tracer.ctx.device, v.v);
      if (v.k !== 'str') throw new PyException('TypeError', 'device() received an invalid combination of arguments', at);
      const [type, i] = v.v.split(':');
      if (!['cpu', 'cuda', 'mps', 'meta', 'xpu', 'npu', 'hpu', 'mlu', 'musa', 'xla', 'privateuseone'].includes(type)) throw new PyException('RuntimeError', `Expected one of cpu, cuda, ... device type at start of device string: ${v.v}`, at);
      return make(type, i !== undefined ? Number(i) : idx && idx.k === 'num' ? idx.v : null);
    },
  };
  const text = (d: Value): string => {
    if (d.k !== 'instance') return '';
    const t = d.attrs.get('type');
    const i = d.attrs.get('index');
    return `${t?.k === 'str' ? t.v : '?'}${i?.k === 'num' ? `:${i.v}` : ''}`;
  };
  cls.attrs.set('__str__', builtinMethodOf('device.__str__', (a) => str(text(a.pos[0] ?? NONE))));
  cls.attrs.set('__repr__', builtinMethodOf('device.__repr__', (a) => {
    const d = a.pos[0];
    const i = d?.k === 'instance' ? d.attrs.get('index') : undefined;
    const t = d?.k === 'instance' ? d.attrs.get('type') : undefined;
    return str(`device(type='${t?.k === 'str' ? t.v : '?'}'${i?.k === 'num' ? `, index=${i.v}` : ''})`);
  }));
  cls.attrs.set('__eq__', builtinMethodOf('device.__eq__', (a) => bool(a.pos[1]?.k === 'instance' && a.pos[1].cls === cls && text(a.pos[0] ?? NONE) === text(a.pos[1]))));
  cls.attrs.set('__hash__', builtinMethodOf('device.__hash__', (a) => int(text(a.pos[0] ?? NONE).length)));
  cls.attrs.set('__enter__', builtinMethodOf('device.__enter__', (a) => a.pos[0] ?? NONE));
  cls.attrs.set('__exit__', builtinMethodOf('device.__exit__', () => FALSE));
  return cls;
}
