"""Measured per-op ground truth ("probes"): test/fixtures/ops/probes-<release>.json.

Run with the Python of the release to measure (kernels/catalog/setup.sh prepares them; they need
expecttest and hypothesis for torch.testing._internal):

    ~/.cache/memlens-truth/torch-1.13/bin/python test/groundtruth/probe_ops.py
    ~/.cache/memlens-venvs/torch213/bin/python   test/groundtruth/probe_ops.py

Sources: PyTorch's own OpInfo database (common_methods_invocations.op_db) and ModuleInfo database
(common_modules.module_db), CPU, float32 (int64/bool for ops that support no float dtype), plus a
hand-written list (HANDWRITTEN below) for tensor properties, indexing and ops OpInfo lacks. Every
case runs the op under torch.autograd.graph.saved_tensors_hooks and records the storages autograd
packs. The format is described in test/groundtruth/README-probes.md.

Options: --out PATH, --budget BYTES (default 1.8 MiB: samples per op are cut until the file fits),
--ops a,b (only these OpInfo names, for debugging), --no-modules.
"""
import argparse
import json
import math
import os
import random
import re
import sys
import time
import warnings

import torch

torch.set_num_threads(1)
warnings.filterwarnings("ignore")

RELEASE = ".".join(torch.__version__.split("+")[0].split(".")[:2])
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
MAX_SAMPLES = 4
MAX_MODULE_INPUTS = 3
FLOATING = (torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.complex64, torch.complex128)


def seed(n=0):
    """Samples draw from torch, Python's random (margins, UPLO) and numpy: seed all three."""
    torch.manual_seed(n)
    random.seed(n)
    try:
        import numpy
        numpy.random.seed(n)
    except ImportError:
        pass


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def dtype_name(d):
    return str(d).replace("torch.", "")


def storage_of(t):
    """(key, nbytes) of the whole underlying storage (untyped bytes)."""
    if hasattr(t, "untyped_storage"):
        s = t.untyped_storage()
    else:
        s = t.storage()
    return s.data_ptr(), s.nbytes()


class Skip(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# Arguments: JSON encoding and fresh tensors per measurement
# ---------------------------------------------------------------------------------------------


INDEX_NAMES = ("Tensor.__getitem__", "Tensor.__setitem__")


def encode(v, grads, tuples=False):
    """v -> A. `grads` maps id(tensor) -> whether it requires grad in the "all" configuration.
    With `tuples` (the index argument of __getitem__/__setitem__), a tuple is {"tuple": [...]} so
    that x[(a, b)] and x[[a, b]] stay distinct."""
    if isinstance(v, torch.Tensor):
        if v.layout != torch.strided or v.is_quantized or getattr(v, "is_nested", False):
            raise Skip("layout")
        d = {"tensor": list(v.shape), "dtype": dtype_name(v.dtype), "grad": bool(grads.get(id(v), False))}
        if not (v.is_floating_point() or v.is_complex()) and v.numel() <= 64:
            d["values"] = v.tolist()
        return d
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        if not math.isfinite(v):
            raise Skip("non-finite float")
        return v
    if isinstance(v, torch.dtype):
        return {"dtype": dtype_name(v)}
    if isinstance(v, torch.Size):
        return list(v)
    if isinstance(v, tuple) and tuples:
        return {"tuple": [encode(x, grads, tuples) for x in v]}
    if isinstance(v, (list, tuple)):
        return [encode(x, grads, tuples) for x in v]
    if isinstance(v, slice):
        parts = [v.start, v.stop, v.step]
        if not all(p is None or isinstance(p, int) for p in parts):
            raise Skip("slice")
        return {"slice": parts}
    if v is Ellipsis:
        return {"ellipsis": True}
    raise Skip(type(v).__name__)


def tensors_in(args, kwargs):
    """[(path, tensor)] in order: ("arg", i) / ("arg", i, j) / ("kwarg", k) / ("kwarg", k, j)."""
    out = []
    for i, a in enumerate(args):
        if isinstance(a, torch.Tensor):
            out.append((("arg", i), a))
        elif isinstance(a, (list, tuple)):
            for j, x in enumerate(a):
                if isinstance(x, torch.Tensor):
                    out.append((("arg", i, j), x))
    for k in kwargs:
        a = kwargs[k]
        if isinstance(a, torch.Tensor):
            out.append((("kwarg", k), a))
        elif isinstance(a, (list, tuple)):
            for j, x in enumerate(a):
                if isinstance(x, torch.Tensor):
                    out.append((("kwarg", k, j), x))
    return out


def ident(path):
    d = {path[0]: path[1]}
    if len(path) == 3:
        d["item"] = path[2]
    return d


def is_float(t):
    return t.is_floating_point() or t.is_complex()


def materialize(args, kwargs, wants_grad):
    """Fresh contiguous copies; a tensor that should require grad is passed as leaf.clone()."""
    def fresh(t, path):
        base = t.detach().contiguous().clone()
        if wants_grad(path, t):
            return base.requires_grad_(True).clone()
        return base

    def walk(v, path):
        if isinstance(v, torch.Tensor):
            return fresh(v, path)
        if isinstance(v, (list, tuple)) and any(isinstance(x, torch.Tensor) for x in v):
            items = [fresh(x, path + (j,)) if isinstance(x, torch.Tensor) else x for j, x in enumerate(v)]
            return type(v)(items) if isinstance(v, tuple) and type(v) is tuple else list(items)
        return v

    new_args = [walk(a, ("arg", i)) for i, a in enumerate(args)]
    new_kwargs = {k: walk(v, ("kwarg", k)) for k, v in kwargs.items()}
    return new_args, new_kwargs


# ---------------------------------------------------------------------------------------------
# One measurement
# ---------------------------------------------------------------------------------------------


def flat_outputs(out):
    if isinstance(out, torch.Tensor):
        return [out]
    if isinstance(out, (list, tuple)):
        return [o for o in out if isinstance(o, torch.Tensor)]
    return []


def describe(o, known):
    if isinstance(o, torch.Tensor):
        d = {"tensor": list(o.shape), "dtype": dtype_name(o.dtype)}
        if o.layout == torch.strided:
            key, nbytes = storage_of(o)
            if nbytes and key in known:
                d["view"] = True
                ref = known[key]
                d["alias"] = ref.get("arg", ref.get("kwarg", ref.get("param")))
        return d
    if isinstance(o, torch.Size):
        return list(o)
    if isinstance(o, (list, tuple)):
        return [describe(x, known) for x in o]
    if isinstance(o, bool) or o is None or isinstance(o, (int, str)):
        return o
    if isinstance(o, float):
        return o if math.isfinite(o) else repr(o)
    if isinstance(o, torch.dtype):
        return {"dtype": dtype_name(o)}
    return {"type": type(o).__name__}


def measure(call, args, kwargs, extra_known=None):
    """Run call(*args, **kwargs) under saved_tensors_hooks: (out descriptor, saved list, bytes)."""
    known = {}
    for path, t in tensors_in(args, kwargs):
        if t.layout == torch.strided:
            key, nbytes = storage_of(t)
            if nbytes:
                known.setdefault(key, ident(path))
    for key, ref in (extra_known or {}).items():
        known.setdefault(key, ref)
    packed = []

    def pack(t):
        packed.append(t)
        return t

    def unpack(t):
        return t

    torch.manual_seed(42)
    try:
        with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
            out = call(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 -- recorded as the op's behaviour
        msg = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
        return {"error": msg}, [], 0
    outs = flat_outputs(out)
    out_keys = {}
    for k, o in enumerate(outs):
        if o.layout == torch.strided:
            key, nbytes = storage_of(o)
            if nbytes and key not in known:
                out_keys.setdefault(key, {"out": k})
    saved, seen, total = [], set(), 0
    for t in packed:
        if not isinstance(t, torch.Tensor) or t.layout != torch.strided:
            saved.append({"shape": list(getattr(t, "shape", [])), "dtype": dtype_name(getattr(t, "dtype", "?")), "bytes": 0})
            continue
        key, nbytes = storage_of(t)
        sk = key if nbytes else ("empty", id(t))
        if sk in seen:
            continue
        seen.add(sk)
        if nbytes and key in known:
            saved.append(dict(known[key]))
        elif nbytes and key in out_keys:
            saved.append(dict(out_keys[key]))
            total += nbytes
        else:
            saved.append({"shape": list(t.shape), "dtype": dtype_name(t.dtype), "bytes": nbytes})
            total += nbytes
    desc = describe(out, known)
    del packed
    return desc, saved, total


def probe_case(name, call, args, kwargs, own_grad=False):
    """A function/method case: "all" and "first" configurations.

    "all": every floating-point tensor argument requires grad. If that makes the call fail (e.g.
    "not differentiable with respect to argument 'running_mean'") and `own_grad` is set, the
    OpInfo sample's own requires_grad flags are used instead (and recorded in the args' "grad")."""
    tens = tensors_in(args, kwargs)
    want = {id(t): is_float(t) for _, t in tens}
    a_args, a_kwargs = materialize(args, kwargs, lambda p, t: want[id(t)])
    out, saved_all, bytes_all = measure(call, a_args, a_kwargs)
    if own_grad and isinstance(out, dict) and "error" in out:
        own = {id(t): bool(t.requires_grad) and is_float(t) for _, t in tens}
        if own != want:
            o_args, o_kwargs = materialize(args, kwargs, lambda p, t: own[id(t)])
            out2, saved2, bytes2 = measure(call, o_args, o_kwargs)
            if not (isinstance(out2, dict) and "error" in out2):
                want, out, saved_all, bytes_all = own, out2, saved2, bytes2
    enc_args = [encode(a, want, tuples=(name in INDEX_NAMES and i == 1)) for i, a in enumerate(args)]
    enc_kwargs = {k: encode(v, want) for k, v in kwargs.items()}
    case = {"name": name, "args": enc_args, "kwargs": enc_kwargs, "out": out,
            "saved": {"all": saved_all}, "savedBytes": {"all": bytes_all}}
    n_grad = sum(1 for _, t in tens if want[id(t)])
    if tens and want[id(tens[0][1])] and n_grad > 1 and not (isinstance(out, dict) and "error" in out):
        first = tens[0][0]
        f_args, f_kwargs = materialize(args, kwargs, lambda p, t: p == first and is_float(t))
        out_f, saved_first, bytes_first = measure(call, f_args, f_kwargs)
        if not (isinstance(out_f, dict) and "error" in out_f) and (saved_first != saved_all or bytes_first != bytes_all):
            case["saved"]["first"] = saved_first
            case["savedBytes"]["first"] = bytes_first
    return case


# ---------------------------------------------------------------------------------------------
# Names of callables
# ---------------------------------------------------------------------------------------------


def build_name_index():
    import torch.nn.functional as F
    idx = {}
    for prefix, mod in (("torch", torch), ("F", F), ("torch.linalg", torch.linalg), ("torch.special", torch.special),
                        ("torch.fft", torch.fft)):
        for n in dir(mod):
            if n.startswith("_") and not n.startswith("__"):
                continue
            try:
                o = getattr(mod, n)
            except Exception:
                continue
            if callable(o) and not isinstance(o, type):
                idx.setdefault(id(o), (f"{prefix}.{n}", o))
    for n in dir(torch.Tensor):
        try:
            o = getattr(torch.Tensor, n)
        except Exception:
            continue
        if callable(o):
            idx.setdefault(id(o), (f"Tensor.{n}", o))
    # the objects are kept in the values: an id stays unique only while its object is alive
    # (getattr can return a fresh object whose id a later temporary would reuse)
    return idx


PREFIXES = [("nn.functional.", "F."), ("linalg.", "torch.linalg."), ("special.", "torch.special."), ("fft.", "torch.fft.")]


def qualified_from_opinfo_name(n):
    for a, b in PREFIXES:
        if n.startswith(a):
            return b + n[len(a):]
    return "torch." + n


def resolve_target(name):
    """'F.gelu' -> (callable(*args, **kwargs), kind)."""
    import torch.nn.functional as F
    if name.startswith("Tensor."):
        attr = name[len("Tensor."):]
        st = getattr(torch.Tensor, attr, None)
        if isinstance(st, property) or type(st).__name__ == "getset_descriptor":
            return (lambda x: getattr(x, attr)), "property"
        if st is None:
            return None, None
        return (lambda x, *a, **k: getattr(x, attr)(*a, **k)), "method"
    mods = {"torch": torch, "F": F, "torch.linalg": torch.linalg, "torch.special": torch.special, "torch.fft": torch.fft}
    prefix, _, attr = name.rpartition(".")
    mod = mods.get(prefix)
    fn = getattr(mod, attr, None) if mod is not None else None
    return (fn, "function") if callable(fn) else (None, None)


def same_result(a, b):
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        return a.shape == b.shape and a.dtype == b.dtype and torch.equal(a.detach(), b.detach()) if not (a.is_floating_point() and a.isnan().any()) else a.shape == b.shape
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same_result(x, y) for x, y in zip(a, b))
    return type(a) == type(b) and (a == b if not isinstance(a, float) or math.isfinite(a) else True)


def guess_lambda(op, fn):
    """A lambda/wrapper OpInfo callable -> candidate catalog names to verify by running."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return []
    names = code.co_names
    cands = []
    if "wrapper_set_seed" in names:
        cands.append(qualified_from_opinfo_name(op.name))
    if len(names) == 1 and hasattr(torch.Tensor, names[0]):
        cands.append("Tensor." + names[0])
    chain = [n for n in names if n not in ("clone",)]
    if chain[:1] == ["torch"]:
        rest = chain[1:]
        if rest[:2] == ["nn", "functional"] and len(rest) >= 3:
            cands.append("F." + rest[2])
        elif rest[:1] in (["linalg"], ["special"], ["fft"]) and len(rest) >= 2:
            cands.append(f"torch.{rest[0]}.{rest[1]}")
        elif len(rest) >= 1:
            cands.append("torch." + rest[0])
    cands.append(qualified_from_opinfo_name(op.name))
    out = []
    for c in cands:
        if c not in out:
            out.append(c)
    return out


# ---------------------------------------------------------------------------------------------
# OpInfo
# ---------------------------------------------------------------------------------------------


def sample_call_args(sample):
    return [sample.input] + list(sample.args), dict(sample.kwargs)


def opinfo_cases(ops_filter=None, skips=None):
    from torch.testing._internal.common_methods_invocations import op_db
    idx = build_name_index()
    groups = []  # (group key, [(sample index, case)])
    unresolved = set()
    for op in op_db:
        if ops_filter and op.name not in ops_filter:
            continue
        key = op.name + ("." + op.variant_test_name if op.variant_test_name else "")
        try:
            supported = op.supported_dtypes("cpu")
        except Exception:
            supported = set()
        if torch.float32 in supported:
            dtype, rg = torch.float32, op.supports_autograd
        elif torch.int64 in supported:
            dtype, rg = torch.int64, False
        elif torch.bool in supported:
            dtype, rg = torch.bool, False
        else:
            skips["no float32/int64/bool"] = skips.get("no float32/int64/bool", 0) + 1
            continue
        variants = []
        for kind, fn in (("function", op.op), ("method", op.method_variant), ("inplace", op.inplace_variant)):
            if fn is None:
                continue
            hit = idx.get(id(fn))
            name = hit[0] if hit is not None and hit[1] is fn else None
            if name is not None and kind == "function":
                # F.conv2d is torch.conv2d: name it as the OpInfo does (nn.functional.X -> F.X)
                preferred = qualified_from_opinfo_name(op.name)
                if resolve_target(preferred)[0] is fn:
                    name = preferred
            verify = None
            if name is None and "empty" not in op.name:  # uninitialized results cannot be compared
                verify = guess_lambda(op, fn)
                if kind == "inplace":
                    # an in-place lambda (F.relu(x, inplace=True)) returns what the out-of-place
                    # call returns: only an in-place method name can be verified by the result
                    verify = [v for v in verify if v.endswith("_")]
            variants.append((kind, fn, name, verify))
        seed(0)
        try:
            samples = op.sample_inputs("cpu", dtype, requires_grad=rg)
        except Exception as e:
            skips["sample_inputs error"] = skips.get("sample_inputs error", 0) + 1
            log(f"  {key}: sample_inputs failed: {e}")
            continue
        cases = []
        taken = 0
        try:
            it = iter(samples)
            while taken < MAX_SAMPLES:
                try:
                    sample = next(it)
                except StopIteration:
                    break
                args, kwargs = sample_call_args(sample)
                try:
                    for a in list(args) + list(kwargs.values()):
                        encode(a, {})
                except Skip as e:
                    skips[f"unserializable ({e})"] = skips.get(f"unserializable ({e})", 0) + 1
                    continue
                any_case = False
                for kind, fn, name, verify in variants:
                    if kind != "function" and not isinstance(args[0], torch.Tensor):
                        continue
                    if kind == "inplace" and not is_float(args[0]) and rg:
                        pass
                    call_name = name
                    call = fn
                    call_args = args
                    if call_name is None:
                        for cand in verify or []:
                            target, tkind = resolve_target(cand)
                            if target is None:
                                continue
                            if tkind == "property" and (len(args) != 1 or kwargs):
                                continue
                            # the wrapper may pass its first arguments in another order
                            # (embedding(idx, weight), where(cond, self, other), polygamma(n, x))
                            for perm in ((), (1, 0), (1, 0, 2)):
                                if len(perm) > len(args):
                                    continue
                                p_args = [args[i] for i in perm] + list(args[len(perm):]) if perm else list(args)
                                try:
                                    a1, k1 = materialize(args, kwargs, lambda p, t: False)
                                    torch.manual_seed(42)  # wrapper_set_seed seeds 42
                                    r1 = fn(*a1, **k1)
                                    a2, k2 = materialize(p_args, kwargs, lambda p, t: False)
                                    torch.manual_seed(42)
                                    r2 = target(*a2, **k2)
                                except Exception:
                                    continue
                                if same_result(r1, r2):
                                    call_name, call, call_args = cand, target, p_args
                                    break
                            if call_name is not None:
                                break
                        if call_name is None:
                            skips["unresolved wrapper"] = skips.get("unresolved wrapper", 0) + 1
                            unresolved.add(f"{key}:{kind}")
                            continue
                    elif name.startswith("Tensor."):
                        attr = name[len("Tensor."):]
                        call = (lambda attr: (lambda x, *a, **k: getattr(x, attr)(*a, **k)))(attr)
                    if any(part.startswith("_") and not part.startswith("__") for part in call_name.split(".")):
                        skips["private name"] = skips.get("private name", 0) + 1
                        continue
                    try:
                        case = probe_case(call_name, call, call_args, kwargs, own_grad=True)
                    except Skip as e:
                        skips[f"unserializable ({e})"] = skips.get(f"unserializable ({e})", 0) + 1
                        continue
                    case["_kind"] = kind
                    cases.append((taken, case))
                    any_case = True
                if any_case:
                    taken += 1
        except Exception as e:
            skips["sample iteration error"] = skips.get("sample iteration error", 0) + 1
            log(f"  {key}: {type(e).__name__}: {(str(e).splitlines() or [''])[0][:200]}")
        if cases:
            groups.append((key, cases))
    if unresolved:
        log(f"  unresolved wrappers (skipped): {sorted(unresolved)}")
    return groups


# ---------------------------------------------------------------------------------------------
# ModuleInfo
# ---------------------------------------------------------------------------------------------


def measure_module(name, m, init, fwd, args, kwargs, kind):
    """One module case: the call measured with the module's parameters and buffers known by name."""
    known = {}
    for pn, p in m.named_parameters():
        known.setdefault(storage_of(p)[0], {"param": pn})
    for bn, b in m.named_buffers():
        if b is not None and b.numel():
            known.setdefault(storage_of(b)[0], {"buffer": bn})
    out, saved, total = measure(m, args, kwargs, extra_known=known)
    return {
        "name": name, "init": init, "forward": fwd,
        "params": [[pn, list(p.shape), dtype_name(p.dtype)] for pn, p in m.named_parameters()],
        "buffers": [[bn, list(b.shape), dtype_name(b.dtype)] for bn, b in m.named_buffers() if b is not None],
        "out": out, "saved": saved, "savedBytes": total, "_kind": kind,
    }


def module_cases(skips):
    from torch.testing._internal.common_modules import module_db
    groups = []
    for mi in module_db:
        name = "nn." + mi.module_cls.__name__
        seed(0)
        if mi.module_cls.__name__.startswith("Lazy"):
            skips["lazy module (same as the non-lazy one)"] = skips.get("lazy module (same as the non-lazy one)", 0) + 1
            continue
        torch.manual_seed(0)
        try:
            inputs = mi.module_inputs_func(mi, device="cpu", dtype=torch.float32, requires_grad=True, training=True)
        except Exception as e:
            skips["module_inputs error"] = skips.get("module_inputs error", 0) + 1
            log(f"  {name}: module_inputs failed: {e}")
            continue
        cases, taken = [], 0
        for mod_input in inputs:
            if taken >= MAX_MODULE_INPUTS:
                break
            ci, fi = mod_input.constructor_input, mod_input.forward_input
            if fi is None:
                continue
            try:
                init = {"args": [encode(a, {}) for a in ci.args], "kwargs": {k: encode(v, {}) for k, v in ci.kwargs.items()}}
                f_tens = tensors_in(fi.args, fi.kwargs)
                grads = {id(t): is_float(t) for _, t in f_tens}
                fwd = {"args": [encode(a, grads) for a in fi.args], "kwargs": {k: encode(v, grads) for k, v in fi.kwargs.items()}}
            except Skip as e:
                skips[f"module unserializable ({e})"] = skips.get(f"module unserializable ({e})", 0) + 1
                continue
            try:
                torch.manual_seed(0)
                m = mi.module_cls(*ci.args, **ci.kwargs).to(torch.float32)
                m.train()
            except Exception as e:
                skips["module construction error"] = skips.get("module construction error", 0) + 1
                continue
            a, k = materialize(fi.args, fi.kwargs, lambda p, t: is_float(t))
            cases.append((taken, measure_module(name, m, init, fwd, a, k, "module")))
            taken += 1
        if cases:
            groups.append((name, cases))
    return groups


# ---------------------------------------------------------------------------------------------
# Hand-written cases
# ---------------------------------------------------------------------------------------------


def r(*shape):
    return torch.randn(*shape)


def getitem(x, idx):
    return x[idx]


def HANDWRITTEN():
    """(name, callable, args, kwargs). Properties and __getitem__ take self as args[0]."""
    import torch.nn.functional as F
    seed(0)
    prop = lambda attr: (lambda x: getattr(x, attr))  # noqa: E731
    meth = lambda attr: (lambda x, *a, **k: getattr(x, attr)(*a, **k))  # noqa: E731
    idx = torch.tensor([2, 0, 1])
    mask = torch.tensor([[True, False, True, False], [False, False, True, True], [True, True, False, False]])
    cases = []
    for attr in ("T", "mT", "H", "mH"):
        for shape in ((3, 4), (2, 3, 4), (2, 2, 3, 4)):
            cases.append((f"Tensor.{attr}", prop(attr), [r(*shape)], {}))
    cases += [
        ("Tensor.view", meth("view"), [r(4, 6), 2, -1], {}),
        ("Tensor.view", meth("view"), [r(4, 6), [3, 8]], {}),
        ("Tensor.reshape", meth("reshape"), [r(4, 6), -1], {}),
        ("Tensor.reshape", meth("reshape"), [r(2, 3, 4), [6, 4]], {}),
        ("Tensor.permute", meth("permute"), [r(2, 3, 4), 2, 0, 1], {}),
        ("Tensor.flatten", meth("flatten"), [r(2, 3, 4, 5), 1], {}),
        ("Tensor.unflatten", meth("unflatten"), [r(2, 12), 1, [3, 4]], {}),
        ("Tensor.chunk", meth("chunk"), [r(4, 6), 3, 1], {}),
        ("Tensor.split", meth("split"), [r(4, 6), 2, 1], {}),
        ("Tensor.split", meth("split"), [r(4, 6), [1, 5], 1], {}),
        ("Tensor.__getitem__", getitem, [r(3, 4, 5), (Ellipsis, slice(1, 3, None))], {}),
        ("Tensor.__getitem__", getitem, [r(3, 4), (slice(None, None, None), None)], {}),
        ("Tensor.__getitem__", getitem, [r(3, 4), 1], {}),
        ("Tensor.__getitem__", getitem, [r(3, 4), idx], {}),
        ("Tensor.__getitem__", getitem, [r(3, 4), (slice(None, None, None), idx)], {}),
        ("Tensor.__getitem__", getitem, [r(3, 4), mask], {}),
        ("torch.roll", torch.roll, [r(3, 4), 1, 0], {}),
        ("torch.roll", torch.roll, [r(3, 4), [1, 2], [0, 1]], {}),
    ]
    for mode in ("constant", "reflect", "replicate", "circular"):
        cases.append(("F.pad", F.pad, [r(2, 3, 5, 6), [1, 2, 1, 2]], {"mode": mode}))
    cases.append(("F.pad", F.pad, [r(2, 3, 5), [2, 1]], {"mode": "reflect"}))
    cases.append(("F.pad", F.pad, [r(2, 3, 5, 6), [1, 1, 1, 1]], {"mode": "constant", "value": 0.5}))
    cases += [
        ("F.interpolate", F.interpolate, [r(2, 3, 4, 5)], {"scale_factor": 2, "mode": "nearest"}),
        ("F.interpolate", F.interpolate, [r(2, 3, 4, 5)], {"size": [7, 9], "mode": "nearest"}),
        ("F.interpolate", F.interpolate, [r(2, 3, 4, 5)], {"scale_factor": 2, "mode": "bilinear", "align_corners": False}),
        ("F.interpolate", F.interpolate, [r(2, 3, 4, 5)], {"size": [8, 8], "mode": "bilinear", "align_corners": True}),
        ("F.interpolate", F.interpolate, [r(2, 3, 4, 5)], {"scale_factor": 2, "mode": "bicubic", "align_corners": False}),
        ("F.interpolate", F.interpolate, [r(2, 3, 8, 8)], {"size": [4, 4], "mode": "area"}),
        ("F.interpolate", F.interpolate, [r(2, 3, 4, 5)], {"scale_factor": 2, "mode": "nearest-exact"}),
        ("F.interpolate", F.interpolate, [r(2, 3, 5)], {"scale_factor": 2, "mode": "linear", "align_corners": False}),
        ("F.interpolate", F.interpolate, [r(1, 2, 3, 4, 5)], {"scale_factor": 2, "mode": "trilinear", "align_corners": False}),
        ("F.interpolate", F.interpolate, [r(1, 2, 3, 4, 5)], {"scale_factor": 2, "mode": "nearest"}),
    ]
    if hasattr(F, "scaled_dot_product_attention"):
        q, k, v = r(2, 4, 8, 16), r(2, 4, 8, 16), r(2, 4, 8, 16)
        cases += [
            ("F.scaled_dot_product_attention", F.scaled_dot_product_attention, [q, k, v], {}),
            ("F.scaled_dot_product_attention", F.scaled_dot_product_attention, [q, k, v], {"is_causal": True}),
            ("F.scaled_dot_product_attention", F.scaled_dot_product_attention, [q, r(2, 4, 6, 16), r(2, 4, 6, 16)], {}),
            ("F.scaled_dot_product_attention", F.scaled_dot_product_attention, [q, k, v], {"attn_mask": r(8, 8)}),
            ("F.scaled_dot_product_attention", F.scaled_dot_product_attention, [q, k, v],
             {"attn_mask": torch.ones(8, 8, dtype=torch.bool).tril()}),
            ("F.scaled_dot_product_attention", F.scaled_dot_product_attention, [r(2, 4, 8, 64), r(2, 4, 8, 64), r(2, 4, 8, 64)], {}),
        ]
    x3 = r(2, 5, 8)
    cases += [
        ("F.softmax", F.softmax, [x3], {"dim": -1}),
        ("F.log_softmax", F.log_softmax, [x3], {"dim": 1}),
        ("F.layer_norm", F.layer_norm, [x3, [8], r(8), r(8)], {}),
        ("F.dropout", F.dropout, [r(4, 16)], {"p": 0.1, "training": True}),
        ("F.dropout", F.dropout, [r(4, 16)], {"p": 0.5, "training": True, "inplace": True}),
        ("F.embedding", F.embedding, [torch.tensor([[0, 2, 4], [1, 3, 5]]), r(10, 8)], {}),
        ("F.embedding", F.embedding, [torch.tensor([[0, 2, 4], [1, 3, 5]]), r(10, 8)], {"padding_idx": 0}),
        ("torch.einsum", torch.einsum, ["bij,bjk->bik", r(2, 3, 4), r(2, 4, 5)], {}),
        ("torch.einsum", torch.einsum, ["bhqd,bhkd->bhqk", r(2, 3, 4, 8), r(2, 3, 5, 8)], {}),
        ("F.cross_entropy", F.cross_entropy, [r(4, 10), torch.tensor([1, 0, 9, 3])], {}),
        ("F.cross_entropy", F.cross_entropy, [r(4, 10), torch.tensor([1, 0, 9, 3])], {"label_smoothing": 0.1}),
        ("F.relu", F.relu, [r(3, 4)], {"inplace": True}),
        ("F.silu", F.silu, [r(3, 4)], {"inplace": True}),
        ("F.hardswish", F.hardswish, [r(3, 4)], {"inplace": True}),
        ("F.gelu", F.gelu, [r(3, 4)], {"approximate": "tanh"}),
        ("torch.where", torch.where, [mask, r(3, 4), r(3, 4)], {}),
        ("torch.where", torch.where, [mask, r(3, 4), 0.0], {}),
    ]
    cases += [
        ("Tensor.add_", meth("add_"), [r(3, 4), r(3, 4)], {}),
        ("Tensor.add_", meth("add_"), [r(3, 4), 2.0], {}),
        ("Tensor.add_", meth("add_"), [r(3, 4), r(4)], {"alpha": 2}),
        ("Tensor.mul_", meth("mul_"), [r(3, 4), r(3, 4)], {}),
        ("Tensor.mul_", meth("mul_"), [r(3, 4), 2.0], {}),
        ("Tensor.clamp_", meth("clamp_"), [r(3, 4)], {"min": -0.5, "max": 0.5}),
        ("Tensor.clamp_", meth("clamp_"), [r(3, 4), r(3, 4), r(3, 4)], {}),
        ("Tensor.relu_", meth("relu_"), [r(3, 4)], {}),
        ("Tensor.masked_fill_", meth("masked_fill_"), [r(3, 4), mask, 0.0], {}),
        ("Tensor.masked_fill_", meth("masked_fill_"), [r(3, 4), mask, torch.tensor(1.0)], {}),
        ("Tensor.copy_", meth("copy_"), [r(3, 4), r(3, 4)], {}),
        ("Tensor.copy_", meth("copy_"), [r(3, 4), r(4)], {}),
        ("Tensor.zero_", meth("zero_"), [r(3, 4)], {}),
        ("Tensor.fill_", meth("fill_"), [r(3, 4), 1.5], {}),
        ("Tensor.index_add_", meth("index_add_"), [r(3, 4), 0, idx, r(3, 4)], {}),
        ("Tensor.scatter_", meth("scatter_"), [r(3, 4), 1, torch.tensor([[0, 1], [2, 3], [1, 0]]), r(3, 2)], {}),
        ("Tensor.scatter_", meth("scatter_"), [r(3, 4), 1, torch.tensor([[0, 1], [2, 3], [1, 0]]), 2.0], {}),
    ]
    cases += layer_family_cases()
    cases += INDEX_FAMILY_CASES(meth, mask)
    return cases


def INDEX_FAMILY_CASES(meth, mask):
    """In-place views, view copies, diagonals, stacks, conversions, dtype facts and numeric
    compositions OpInfo does not sample (or samples only with float values the engine cannot know)."""
    ints = torch.tensor([[0, 1, 2], [3, 0, 0]])
    bools = torch.tensor([[True, False, True], [False, True, True]])
    cases = [
        ("Tensor.swapaxes_", meth("swapaxes_"), [r(2, 3, 4), 0, 2], {}),
        ("Tensor.swapdims_", meth("swapdims_"), [r(2, 3), 0, 1], {}),
        ("Tensor.t_", meth("t_"), [r(3, 4)], {}),
        ("Tensor.squeeze_", meth("squeeze_"), [r(3, 1, 4)], {}),
        ("Tensor.unsqueeze_", meth("unsqueeze_"), [r(3, 4), -1], {}),
        ("Tensor.transpose_", meth("transpose_"), [r(2, 3, 4), 0, 1], {}),
        ("Tensor.fill_diagonal_", meth("fill_diagonal_"), [r(3, 4), 1.0], {}),
        ("Tensor.fill_diagonal_", meth("fill_diagonal_"), [r(7, 2), 0.5], {"wrap": True}),
        ("Tensor.fill_diagonal_", meth("fill_diagonal_"), [r(3, 3, 3), 2.0], {}),
        ("torch.vander", torch.vander, [r(5)], {}),
        ("torch.vander", torch.vander, [r(5)], {"N": 3, "increasing": True}),
        ("torch.vander", torch.vander, [torch.tensor([1, 2, 3])], {}),
        ("Tensor.sum_to_size", meth("sum_to_size"), [r(2, 3, 4), [3, 1]], {}),
        ("Tensor.sum_to_size", meth("sum_to_size"), [r(3, 4), 1, 4], {}),
        ("torch.row_stack", torch.row_stack, [[r(3), r(3)]], {}),
        ("torch.vstack", torch.vstack, [[r(3), r(2, 3)]], {}),
        ("torch.dstack", torch.dstack, [[r(2, 3), r(2, 3, 2)]], {}),
        ("torch.column_stack", torch.column_stack, [[r(3), r(3, 2)]], {}),
        ("torch.unsafe_split_with_sizes", torch.unsafe_split_with_sizes, [r(5, 4), [2, 3]], {}),
        ("torch.select_copy", torch.select_copy, [r(3, 4), 0, 1], {}),
        ("torch.slice_copy", torch.slice_copy, [r(3, 4), 1, 0, 2, 1], {}),
        ("torch.split_copy", torch.split_copy, [r(4, 6), 2, 1], {}),
        ("torch.detach_copy", torch.detach_copy, [r(3, 4)], {}),
        ("torch.tensor_split", torch.tensor_split, [r(7, 3), 3], {}),
        ("torch.tensor_split", torch.tensor_split, [r(7, 3), [1, 5]], {}),
        ("torch.bernoulli", torch.bernoulli, [torch.rand(3, 4), 0.3], {}),
        ("Tensor.bernoulli", meth("bernoulli"), [torch.rand(3, 4)], {}),
        ("torch.poisson", torch.poisson, [torch.rand(3, 4)], {}),
        ("torch.normal", torch.normal, [torch.rand(3, 4), torch.rand(4)], {}),
        ("torch.randperm", torch.randperm, [5], {}),
        ("Tensor.__and__", meth("__and__"), [bools, bools.flip(0)], {}),
        ("Tensor.__or__", meth("__or__"), [bools, True], {}),
        ("Tensor.__xor__", meth("__xor__"), [bools, bools.flip(1)], {}),
        ("Tensor.__iand__", meth("__iand__"), [bools, bools.flip(0)], {}),
        ("Tensor.__ior__", meth("__ior__"), [ints, 4], {}),
        ("Tensor.__bool__", meth("__bool__"), [torch.tensor([3])], {}),
        ("Tensor.__int__", meth("__int__"), [torch.tensor(7)], {}),
        ("Tensor.__float__", meth("__float__"), [torch.tensor(2)], {}),
        ("Tensor.__index__", meth("__index__"), [torch.tensor(4)], {}),
        ("torch.is_nonzero", torch.is_nonzero, [torch.tensor([0])], {}),
        ("torch.result_type", torch.result_type, [r(3), 1.5], {}),
        ("torch.result_type", torch.result_type, [ints, torch.tensor(1.5)], {}),
        ("torch.can_cast", torch.can_cast, [torch.float32, torch.int32], {}),
        ("torch.promote_types", torch.promote_types, [torch.uint8, torch.int8], {}),
        ("Tensor.is_signed", meth("is_signed"), [r(3)], {}),
        ("Tensor.get_device", meth("get_device"), [r(3)], {}),
        ("Tensor.storage_offset", meth("storage_offset"), [r(3)], {}),
        ("Tensor.ndimension", meth("ndimension"), [r(3, 4)], {}),
        ("Tensor.nelement", meth("nelement"), [r(3, 4)], {}),
        ("Tensor.new", meth("new"), [r(3, 4), 2, 3], {}),
        ("Tensor.adjoint", meth("adjoint"), [r(2, 3, 4)], {}),
        ("torch.real", torch.real, [r(3, 4)], {}),
        ("torch.nonzero", torch.nonzero, [ints], {}),
        ("torch.nonzero", torch.nonzero, [ints], {"as_tuple": True}),
        ("torch.argwhere", torch.argwhere, [bools], {}),
        ("torch.masked_select", torch.masked_select, [r(2, 3), bools], {}),
        ("torch.masked_select", torch.masked_select, [r(4, 2, 3), bools], {}),
        ("torch.combinations", torch.combinations, [r(4)], {}),
        ("torch.combinations", torch.combinations, [r(5), 3], {}),
        ("torch.combinations", torch.combinations, [r(4), 2, True], {}),
        ("torch.take_along_dim", torch.take_along_dim, [r(3, 4), torch.tensor([[0], [3], [1]]), 1], {}),
        ("torch.index_put", torch.index_put, [r(4, 3), [torch.tensor([True, False, True, False])], r(3)], {}),
        ("Tensor.masked_scatter", meth("masked_scatter"), [r(2, 3), torch.tensor([True, False, True]), r(2, 3)], {}),
        ("torch.diag", torch.diag, [r(3, 5), 1], {}),
        ("torch.diagflat", torch.diagflat, [r(2, 3)], {"offset": -1}),
        ("torch.trapezoid", torch.trapezoid, [r(3, 4)], {"dx": 0.5, "dim": 0}),
        ("torch.cumulative_trapezoid", torch.cumulative_trapezoid, [r(3, 4)], {"dx": 2.0}),
        ("torch.gradient", torch.gradient, [r(4, 5)], {"spacing": [2.0], "dim": 1, "edge_order": 2}),
    ]
    return cases


def _has(name):
    import torch.nn.functional as F
    return hasattr(F, name)


def layer_family_cases():
    """Hand-written cases for nn.functional functions the OpInfo samples do not reach (or reach
    with few variants): pools with indices and unpooling, LP and fractional pools, fold/unfold,
    grid_sample/affine_grid, alpha dropout, rrelu, local_response_norm, gumbel_softmax, conv_tbc,
    ctc_loss reductions, embedding_bag modes, the Python-level losses, the RNN cells and grouped_mm."""
    import torch.nn.functional as F
    seed(1)
    cases = []
    x1, x2, x3 = r(2, 3, 8), r(2, 3, 8, 8), r(1, 2, 4, 4, 4)
    cases += [
        ("F.max_pool1d_with_indices", F.max_pool1d_with_indices, [x1, 2], {}),
        ("F.max_pool2d_with_indices", F.max_pool2d_with_indices, [x2, 3, 2, 1], {}),
        ("F.max_pool3d_with_indices", F.max_pool3d_with_indices, [x3, 2], {}),
        ("F.adaptive_max_pool1d_with_indices", F.adaptive_max_pool1d_with_indices, [x1, 3], {}),
        ("F.adaptive_max_pool2d_with_indices", F.adaptive_max_pool2d_with_indices, [x2, [3, 4]], {}),
        ("F.adaptive_max_pool3d_with_indices", F.adaptive_max_pool3d_with_indices, [x3, 2], {}),
    ]
    y1, i1 = F.max_pool1d(r(1, 2, 8), 2, return_indices=True)
    y2, i2 = F.max_pool2d(r(1, 2, 4, 6), 2, return_indices=True)
    y3, i3 = F.max_pool3d(r(1, 1, 4, 4, 4), 2, return_indices=True)
    cases += [
        ("F.max_unpool1d", F.max_unpool1d, [y1, i1, 2], {}),
        ("F.max_unpool1d", F.max_unpool1d, [y1, i1, 2], {"output_size": [9]}),
        ("F.max_unpool2d", F.max_unpool2d, [y2, i2, 2], {}),
        ("F.max_unpool3d", F.max_unpool3d, [y3, i3, 2], {"stride": 2}),
    ]
    cases += [
        ("F.lp_pool1d", F.lp_pool1d, [r(2, 3, 9), 2, 3], {}),
        ("F.lp_pool2d", F.lp_pool2d, [r(2, 3, 9, 9), 1.5, [3, 2]], {"stride": 2}),
        ("F.fractional_max_pool2d", F.fractional_max_pool2d, [r(2, 3, 9, 9), 3], {"output_size": 4}),
        ("F.fractional_max_pool2d_with_indices", F.fractional_max_pool2d_with_indices, [r(3, 9, 9), 2], {"output_ratio": [0.5, 0.5]}),
        ("F.fractional_max_pool3d", F.fractional_max_pool3d, [r(1, 2, 7, 7, 7), 2], {"output_size": 3, "return_indices": True}),
        ("F.fractional_max_pool3d_with_indices", F.fractional_max_pool3d_with_indices, [r(2, 7, 7, 7), 2], {"output_ratio": 0.5}),
        ("F.unfold", F.unfold, [r(2, 3, 4, 5), 2], {}),
        ("F.unfold", F.unfold, [r(3, 4, 5), [2, 3]], {"padding": 1, "stride": 2}),
        ("F.fold", F.fold, [r(2, 12, 12), [4, 5], 2], {}),
        ("F.fold", F.fold, [r(12, 30), [4, 5], 2], {"padding": 1}),
    ]
    if _has("lp_pool3d"):
        cases.append(("F.lp_pool3d", F.lp_pool3d, [r(1, 2, 6, 6, 6), 2, 2], {}))
    cases += [
        ("F.affine_grid", F.affine_grid, [r(2, 2, 3), [2, 3, 5, 6]], {"align_corners": False}),
        ("F.affine_grid", F.affine_grid, [r(2, 3, 4), [2, 3, 5, 6, 4]], {"align_corners": True}),
        ("F.grid_sample", F.grid_sample, [r(2, 3, 5, 6, 4), r(2, 4, 7, 3, 3)], {"mode": "nearest", "align_corners": False}),
        ("F.grid_sample", F.grid_sample, [r(2, 3, 5, 6), r(2, 4, 7, 2)], {"mode": "bicubic", "padding_mode": "reflection", "align_corners": True}),
    ]
    cases += [
        ("F.alpha_dropout", F.alpha_dropout, [r(3, 4), 0.3, True], {}),
        ("F.alpha_dropout", F.alpha_dropout, [r(3, 4), 0.3, True], {"inplace": True}),
        ("F.alpha_dropout", F.alpha_dropout, [r(3, 4), 1.0, True], {}),
        ("F.feature_alpha_dropout", F.feature_alpha_dropout, [r(2, 3, 4, 5), 0.3, True], {}),
        ("F.feature_alpha_dropout", F.feature_alpha_dropout, [r(2, 3, 4), 0.5, True], {"inplace": True}),
        ("F.rrelu", F.rrelu, [r(3, 5)], {"training": True, "inplace": True}),
        ("F.rrelu_", F.rrelu_, [r(3, 5)], {"training": True}),
        ("F.local_response_norm", F.local_response_norm, [r(2, 6, 5, 4), 3], {}),
        ("F.local_response_norm", F.local_response_norm, [r(2, 6, 5, 4, 3), 2], {"alpha": 0.001, "k": 2.0}),
        ("F.gumbel_softmax", F.gumbel_softmax, [r(3, 5)], {}),
        ("F.gumbel_softmax", F.gumbel_softmax, [r(3, 5)], {"tau": 0.5, "hard": True}),
        ("F.conv_tbc", F.conv_tbc, [r(7, 2, 3), r(3, 3, 5), r(5), 1], {}),
        ("F.native_channel_shuffle", F.native_channel_shuffle, [r(2, 4, 3, 3), 2], {}),
        ("F.bilinear", F.bilinear, [r(2, 3, 4), r(2, 3, 6), r(7, 4, 6)], {}),
    ]
    lp = r(6, 2, 4).log_softmax(2).detach()
    tg = torch.tensor([[1, 2, 1], [3, 1, 0]])
    cases += [
        ("F.ctc_loss", F.ctc_loss, [lp, tg, [6, 5], [3, 2]], {}),
        ("F.ctc_loss", F.ctc_loss, [lp, tg, torch.tensor([6, 5]), torch.tensor([3, 2])], {"reduction": "sum"}),
        ("F.ctc_loss", F.ctc_loss, [lp, tg.to(torch.int32), [6, 6], [3, 3]], {"zero_infinity": True}),
        ("F.ctc_loss", F.ctc_loss, [r(6, 4).log_softmax(1).detach(), torch.tensor([1, 2, 1]), [6], [3]], {"reduction": "none"}),
    ]
    w = r(10, 5)
    idx = torch.tensor([1, 2, 4, 5, 4, 3, 2, 9])
    off = torch.tensor([0, 4])
    cases += [
        ("F.embedding_bag", F.embedding_bag, [idx, w, off], {}),
        ("F.embedding_bag", F.embedding_bag, [idx, w, off], {"mode": "max"}),
        ("F.embedding_bag", F.embedding_bag, [idx, w, off], {"mode": "sum", "padding_idx": 2}),
        ("F.embedding_bag", F.embedding_bag, [idx, w, torch.tensor([0, 4, 8])], {"mode": "sum", "include_last_offset": True}),
        ("F.embedding_bag", F.embedding_bag, [torch.tensor([[1, 2, 4], [5, 4, 3]]), w], {"mode": "mean"}),
        ("F.embedding_bag", F.embedding_bag, [idx, w.double(), off], {"mode": "sum"}),
    ]
    a, p_, n = r(4, 5), r(4, 5), r(4, 5)
    cases += [
        ("F.gaussian_nll_loss", F.gaussian_nll_loss, [r(4, 5), r(4, 5), torch.rand(4, 1)], {"full": True}),
        ("F.gaussian_nll_loss", F.gaussian_nll_loss, [r(4, 5), r(4, 5), torch.rand(4)], {"reduction": "sum"}),
        ("F.poisson_nll_loss", F.poisson_nll_loss, [r(4, 5), torch.rand(4, 5)], {"log_input": False, "full": True}),
        ("F.multilabel_soft_margin_loss", F.multilabel_soft_margin_loss, [r(4, 5), torch.rand(4, 5)], {"weight": torch.rand(5)}),
        ("F.multi_margin_loss", F.multi_margin_loss, [r(4, 5), torch.tensor([1, 0, 4, 3])], {"p": 2, "weight": torch.rand(5), "reduction": "none"}),
        ("F.triplet_margin_with_distance_loss", F.triplet_margin_with_distance_loss, [a, p_, n], {}),
        ("F.triplet_margin_with_distance_loss", F.triplet_margin_with_distance_loss, [a, p_, n], {"swap": True, "margin": 0.5, "reduction": "none"}),
        ("F.triplet_margin_loss", F.triplet_margin_loss, [a, p_, n], {"swap": True, "p": 1.0, "reduction": "sum"}),
        ("F.cosine_embedding_loss", F.cosine_embedding_loss, [r(5), r(5), torch.tensor(-1)], {"margin": 0.2}),
        ("F.hinge_embedding_loss", F.hinge_embedding_loss, [r(4, 5), torch.ones(4, 5)], {"margin": 0.5, "reduction": "none"}),
        ("F.margin_ranking_loss", F.margin_ranking_loss, [r(4), r(4), torch.ones(4)], {"margin": 0.1, "reduction": "sum"}),
        ("F.multilabel_margin_loss", F.multilabel_margin_loss, [r(3, 4), torch.tensor([[3, 0, -1, 1], [0, 1, 2, 3], [1, -1, 0, 0]])], {"reduction": "none"}),
        ("F.soft_margin_loss", F.soft_margin_loss, [r(4, 5), torch.ones(4, 5).detach()], {"reduction": "none"}),
    ]
    xc, hc, cc = r(3, 5), r(3, 4), r(3, 4)
    cases += [
        ("torch.lstm_cell", torch.lstm_cell, [xc, [hc, cc], r(16, 5), r(16, 4), r(16), r(16)], {}),
        ("torch.gru_cell", torch.gru_cell, [xc, hc, r(12, 5), r(12, 4), r(12), r(12)], {}),
        ("torch.rnn_tanh_cell", torch.rnn_tanh_cell, [xc, hc, r(4, 5), r(4, 4), r(4), r(4)], {}),
        ("torch.rnn_relu_cell", torch.rnn_relu_cell, [xc, hc, r(4, 5), r(4, 4)], {}),
    ]
    if _has("grouped_mm"):
        offs = torch.tensor([8, 16, 24], dtype=torch.int32)
        cases += [
            ("F.grouped_mm", F.grouped_mm, [r(4, 8, 16), r(4, 16, 8)], {}),
            ("F.grouped_mm", F.grouped_mm, [r(24, 16), r(3, 16, 8)], {"offs": offs}),
            ("F.grouped_mm", F.grouped_mm, [r(8, 24), r(24, 16)], {"offs": offs}),
        ]
    if _has("linear_cross_entropy"):
        cases.append(("F.linear_cross_entropy", F.linear_cross_entropy, [r(8, 3), r(4, 3), torch.tensor([3, 0, 1, 3, 3, 3, 2, 1])], {"linear_bias": r(4), "reduction": "sum"}))
    return cases


def HANDWRITTEN_MODULES():
    """(class name, init args, init kwargs, forward args, forward kwargs) for torch.nn layers
    ModuleInfo does not sample. Lazy layers are measured on their second call (the first one
    materializes their parameters under no_grad); what they save is what the first call saves."""
    import torch.nn.functional as F
    seed(2)
    y2, i2 = F.max_pool2d(r(1, 2, 4, 6), 2, return_indices=True)
    y1, i1 = F.max_pool1d(r(1, 2, 8), 2, return_indices=True)
    idx = torch.tensor([1, 2, 4, 5, 4, 3, 2, 9])
    cases = [
        ("EmbeddingBag", [10, 5], {"mode": "max"}, [idx, torch.tensor([0, 4])], {}),
        ("EmbeddingBag", [10, 5], {}, [torch.tensor([[1, 2, 4], [5, 4, 3]])], {}),
        ("EmbeddingBag", [10, 5], {"mode": "sum", "padding_idx": -1}, [idx, torch.tensor([0, 4])], {"per_sample_weights": None}),
        ("Fold", [[4, 5], 2], {}, [r(2, 12, 12)], {}),
        ("Unfold", [2], {"padding": 1}, [r(2, 3, 4, 5)], {}),
        ("MaxUnpool1d", [2], {}, [y1, i1], {}),
        ("MaxUnpool2d", [2], {}, [y2, i2], {"output_size": [5, 6]}),
        ("LazyLinear", [7], {}, [r(4, 5)], {}),
        ("LazyLinear", [7], {"bias": False}, [r(2, 3, 5)], {}),
        ("LazyConv2d", [4, 3], {"padding": 1}, [r(2, 3, 8, 8)], {}),
        ("LazyConv1d", [4, 3], {}, [r(3, 8)], {}),
        ("LazyConvTranspose1d", [4, 2], {}, [r(2, 3, 6)], {}),
        ("LazyBatchNorm2d", [], {}, [r(2, 3, 4, 4)], {}),
        ("LazyBatchNorm1d", [], {"affine": False}, [r(4, 3)], {}),
        ("LazyInstanceNorm1d", [], {"affine": True}, [r(2, 3, 8)], {}),
        ("SyncBatchNorm", [3], {}, [r(2, 3, 4, 4)], {}),
        ("AlphaDropout", [0.3], {}, [r(3, 4)], {}),
        ("FeatureAlphaDropout", [0.3], {}, [r(2, 3, 4, 4)], {}),
        ("RReLU", [0.1, 0.3], {}, [r(3, 5)], {}),
        ("RReLU", [], {"inplace": True}, [r(3, 5)], {}),
        ("LocalResponseNorm", [2], {}, [r(2, 4, 5)], {}),
        ("TripletMarginLoss", [], {"margin": 0.5, "swap": True}, [r(4, 5), r(4, 5), r(4, 5)], {}),
        ("TripletMarginWithDistanceLoss", [], {"swap": True}, [r(4, 5), r(4, 5), r(4, 5)], {}),
        ("PairwiseDistance", [], {"p": 1.0, "keepdim": True}, [r(4, 5), r(4, 5)], {}),
        ("NLLLoss2d", [], {}, [r(2, 3, 4, 4).log_softmax(1).detach(), torch.randint(0, 3, (2, 4, 4))], {}),
        ("Bilinear", [4, 6, 3], {}, [r(5, 4), r(5, 6)], {}),
        ("RNNBase", ["LSTM", 4, 8], {}, [r(3, 2, 4)], {}),
        ("AdaptiveLogSoftmaxWithLoss", [8, 20, [5, 10]], {}, [r(4, 8), torch.tensor([1, 7, 12, 19])], {}),
    ]
    return cases


def handwritten_module_cases(skips):
    out = []
    for cls, iargs, ikw, fargs, fkw in HANDWRITTEN_MODULES():
        name = "nn." + cls
        if not hasattr(torch.nn, cls):
            continue
        try:
            init = {"args": [encode(a, {}) for a in iargs], "kwargs": {k: encode(v, {}) for k, v in ikw.items()}}
            f_tens = tensors_in(fargs, fkw)
            grads = {id(t): is_float(t) for _, t in f_tens}
            fwd = {"args": [encode(a, grads) for a in fargs], "kwargs": {k: encode(v, grads) for k, v in fkw.items()}}
        except Skip as e:
            skips[f"module unserializable ({e})"] = skips.get(f"module unserializable ({e})", 0) + 1
            continue
        torch.manual_seed(0)
        m = getattr(torch.nn, cls)(*iargs, **ikw)
        m.train()
        a, k = materialize(fargs, fkw, lambda p, t: is_float(t))
        if cls.startswith("Lazy"):
            with torch.no_grad():
                m(*[x.detach() if isinstance(x, torch.Tensor) else x for x in a], **k)
            m.train()
        out.append(measure_module(name, m, init, fwd, a, k, "handwritten"))
    return out


def handwritten_cases(skips):
    out = []
    for name, call, args, kwargs in HANDWRITTEN():
        try:
            case = probe_case(name, call, args, kwargs)
        except Skip as e:
            skips[f"unserializable ({e})"] = skips.get(f"unserializable ({e})", 0) + 1
            continue
        case["_kind"] = "handwritten"
        out.append(case)
    return out


# ---------------------------------------------------------------------------------------------
# Output, trimmed to the budget
# ---------------------------------------------------------------------------------------------


def compact(v):
    return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def render(header, lines):
    body = ",\n".join(lines)
    return "{\n" + header + '"cases": [\n' + body + "\n]\n}\n"


def main():
    if os.environ.get("PYTHONHASHSEED") != "0":
        # some sample_inputs iterate over sets of strings: fix the hash seed so the output is stable
        os.environ["PYTHONHASHSEED"] = "0"
        os.execv(sys.executable, [sys.executable] + sys.argv)
    ap = argparse.ArgumentParser()
    ap.add_argument("--out")
    ap.add_argument("--budget", type=int, default=int(1.8 * 1024 * 1024))
    ap.add_argument("--ops")
    ap.add_argument("--no-modules", action="store_true")
    args = ap.parse_args()
    t0 = time.time()
    skips = {}
    ops_filter = set(args.ops.split(",")) if args.ops else None
    groups = opinfo_cases(ops_filter, skips)
    log(f"OpInfo: {len(groups)} ops, {sum(len(c) for _, c in groups)} cases ({time.time() - t0:.0f}s)")
    t1 = time.time()
    mgroups = [] if (args.no_modules or ops_filter) else module_cases(skips)
    log(f"ModuleInfo: {len(mgroups)} modules, {sum(len(c) for _, c in mgroups)} cases ({time.time() - t1:.0f}s)")
    hand = handwritten_cases(skips) + ([] if args.no_modules else handwritten_module_cases(skips))
    log(f"hand-written: {len(hand)} cases")

    def strip(c):
        return {k: v for k, v in c.items() if not k.startswith("_")}

    hand_lines = [compact(strip(c)) for c in hand]
    seen_lines = set(hand_lines)
    for gi, (_, cases) in enumerate(groups + mgroups):
        keep = []
        for i, c in cases:
            line = compact(strip(c))
            if line not in seen_lines:  # e.g. two OpInfo variants with the same sample
                seen_lines.add(line)
                keep.append((i, c))
        cases[:] = keep
    groups = [g for g in groups if g[1]]
    mgroups = [g for g in mgroups if g[1]]
    cap = MAX_SAMPLES
    while True:
        lines = []
        for _, cases in groups + mgroups:
            lim = cap if cases[0][1]["_kind"] != "module" else min(cap, MAX_MODULE_INPUTS)
            lines += [compact(strip(c)) for i, c in cases if i < lim]
        lines += hand_lines
        n_cases = len(lines)
        names = {json.loads(l)["name"] for l in lines}
        header_doc = {
            "torch": torch.__version__, "release": RELEASE, "generator": "test/groundtruth/probe_ops.py",
            "device": "cpu", "samplesPerOp": cap, "skipped": dict(sorted(skips.items())),
        }
        header = "".join(f"{json.dumps(k)}: {compact(header_doc[k])},\n" for k in sorted(header_doc))
        text = render(header, lines)
        if len(text.encode()) <= args.budget or cap == 1:
            break
        cap -= 1
        log(f"  {len(text.encode())} bytes > budget: {cap} samples per op")
    out = args.out or os.path.join(REPO, "test", "fixtures", "ops", f"probes-{RELEASE}.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as fh:
        fh.write(text)
    log(f"wrote {out}: {len(text.encode())} bytes, {n_cases} cases, {len(names)} names, "
        f"skipped {sum(skips.values())} ({time.time() - t0:.0f}s)")


if __name__ == "__main__":
    main()
