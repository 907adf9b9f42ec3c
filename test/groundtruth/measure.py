#!/usr/bin/env python3
"""Measure ground truth for the Memlens test fixtures with real PyTorch (CPU).

For every fixture (test/fixtures/*.py, the file with the directive in each multi-file fixture
folder test/fixtures/NAME/, or the paths given on the command line) this parses the
`# memlens: entry=... input=NAME:DTYPE[D0,...] batch=N` directive, builds the model, and writes
NAME.truth-<release>.json next to the fixture, where <release> is the running PyTorch's
major.minor (1.13, 2.13, 2.14). Two measurements:

- saved activations: one training-mode forward pass under `torch.autograd.graph.saved_tensors_hooks`
  (keys `savedActivationBytes`, `modules`, `saved`);
- the training-step peak of live tensor bytes (key `peak`): a TorchDispatchMode that tracks every
  op's storages with weak references through forward, loss, backward and the optimizer step, with
  no optimizer ("none") and with torch.optim.AdamW ("adamw").

Run it in each measurement environment (test/groundtruth/setup-envs.sh; measure-all.sh runs all):

    ~/.cache/memlens-truth/torch-2.14/bin/python test/groundtruth/measure.py [FIXTURE.py ...]

torchvision's classification models (test/fixtures/torchvision/cases.json: module, entry
expression, input) are measured from the torchvision installed beside that PyTorch, whose files
the tests analyze:  .../bin/python test/groundtruth/measure.py --torchvision [NAME...]

Training scripts (test/fixtures/scripts/NAME/SCRIPT.py) are never run: SCRIPT.entry.json beside
each states what the script does to its model (`entry`, `inputs` as input specs, `batch`), the
entry is evaluated where only the script's imports and definitions ran (its sibling modules
importable), and the model is measured on those inputs. Input specs may be tuples, lists and dicts
of tensors (`hidden:(float32[2,B,64],float32[2,B,64])`) and keyword arguments (`labels=int64[B]`).

Options (before the names):
  --series DIR   also write every op's live-bytes series to DIR/<fixture>.series-<release>.json
                 (for debugging the engine's simulator; never committed)
  --mallinfo     poll glibc mallinfo2() in-use bytes after every op as well, into the series, and
                 print how its changes agree with the live tensor bytes
  --no-peak      measure saved activations only (keeps the "peak" of an existing truth file)
"""
import glob
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.normpath(os.path.join(HERE, "..", "fixtures"))

DTYPES = {
    "float32": torch.float32,
    "float": torch.float32,
    "float64": torch.float64,
    "double": torch.float64,
    "float16": torch.float16,
    "half": torch.float16,
    "bfloat16": torch.bfloat16,
    "int64": torch.int64,
    "long": torch.int64,
    "int32": torch.int32,
    "int": torch.int32,
    "bool": torch.bool,
}


def split_top_level(s):
    """Split on whitespace that is at bracket/paren/brace depth 0 (and outside quotes)."""
    tokens, cur, depth, quote = [], [], 0, None
    for ch in s:
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch.isspace() and depth == 0:
            if cur:
                tokens.append("".join(cur))
                cur = []
            continue
        cur.append(ch)
    if cur:
        tokens.append("".join(cur))
    return tokens


def parse_directive(source, path):
    lines = [ln.strip() for ln in source.splitlines() if ln.strip().startswith("# memlens:")]
    if len(lines) != 1:
        raise ValueError("%s: expected exactly one '# memlens:' line, found %d" % (path, len(lines)))
    body = lines[0][len("# memlens:"):].strip()
    entry, batch, inputs, call = None, None, [], None
    for tok in split_top_level(body):
        key, _, value = tok.partition("=")
        if key == "entry":
            entry = value
        elif key == "batch":
            batch = int(value)
        elif key == "call":
            call = value
        elif key == "input":
            inputs.append(parse_spec(value, path))
        else:
            raise ValueError("%s: unknown directive token %r" % (path, tok))
    if entry is None or not inputs:
        raise ValueError("%s: directive needs entry= and at least one input=" % path)
    return entry, batch, inputs, call


def parse_spec(text, where="input"):
    """An input spec: `NAME:VALUE` (positional) or `NAME=VALUE` (keyword), VALUE a tensor
    `DTYPE[D0,...]`, a tuple `(VALUE,...)`, a list `[VALUE,...]` or a dict `{KEY:VALUE,...}`.
    A plain tensor spec is {"name", "dtype", "dims"} as before; others carry "value" (a tree)."""
    import re
    m = re.match(r"\s*([A-Za-z_]\w*)\s*([:=])(.*)$", text, re.S)
    if not m:
        raise ValueError("%s: bad input spec %r" % (where, text))
    rest = m.group(3)
    pos = [0]

    def peek():
        while pos[0] < len(rest) and rest[pos[0]].isspace():
            pos[0] += 1
        return rest[pos[0]] if pos[0] < len(rest) else ""

    def word():
        peek()
        w = re.match(r"[\w]+", rest[pos[0]:])
        if not w:
            raise ValueError("%s: bad input spec %r" % (where, text))
        pos[0] += len(w.group(0))
        return w.group(0)

    def seq(close, item):
        out = []
        while peek() != close:
            out.append(item())
            if peek() == ",":
                pos[0] += 1
            elif peek() != close:
                raise ValueError("%s: bad input spec %r" % (where, text))
        pos[0] += 1
        return out

    def value():
        c = peek()
        if c in "([":
            pos[0] += 1
            return ("tuple" if c == "(" else "list", seq(")" if c == "(" else "]", value))
        if c == "{":
            pos[0] += 1

            def entry():
                peek()
                q = re.match(r"([\"'])([^\"']*)\1", rest[pos[0]:])
                if q:
                    key = q.group(2)
                    pos[0] += len(q.group(0))
                else:
                    key = word()
                if peek() != ":":
                    raise ValueError("%s: bad input spec %r" % (where, text))
                pos[0] += 1
                return (key, value())
            return ("dict", seq("}", entry))
        dtype = word()
        if peek() != "[":
            raise ValueError("%s: bad input spec %r" % (where, text))
        pos[0] += 1
        return ("tensor", dtype, seq("]", word))

    tree = value()
    if peek() != "":
        raise ValueError("%s: bad input spec %r" % (where, text))
    spec = {"name": m.group(1)}
    if m.group(2) == "=":
        spec["keyword"] = True
    if tree[0] == "tensor":
        spec.update({"dtype": tree[1], "dims": tree[2]})
    else:
        spec["value"] = tree
    return spec


def resolve_dim(d, batch):
    env = {"__builtins__": {}}
    if batch is not None:
        env["B"] = batch
    return int(eval(d, env))


def untyped_storage(t):
    """The tensor's whole untyped storage (torch >= 2.0: untyped_storage(); 1.13: storage().untyped())."""
    if hasattr(t, "untyped_storage"):
        return t.untyped_storage()
    return t.storage().untyped()


def storage_of(t):
    """(key, nbytes) of the whole underlying storage, in bytes (untyped)."""
    s = untyped_storage(t)
    return s.data_ptr(), s.nbytes()


def release():
    """major.minor of the running PyTorch: the suffix of the truth files it writes."""
    return ".".join(torch.__version__.split("+")[0].split(".")[:2])


def truth_path(base):
    """NAME.truth-<release>.json for the path NAME (no extension)."""
    return "%s.truth-%s.json" % (base, release())


def make_input(spec, batch):
    shape = [resolve_dim(d, batch) for d in spec["dims"]]
    dtype = DTYPES[spec["dtype"]]
    if dtype.is_floating_point:
        t = torch.randn(shape, dtype=dtype)
    elif dtype == torch.bool:
        t = torch.randint(0, 2, shape).bool()
    else:
        t = torch.randint(0, 2, shape, dtype=dtype)
    return t, shape


def make_call(specs, batch):
    """The forward call's arguments for input specs: (args, kwargs, leaves, meta), where leaves
    are the input tensors in order and meta one {"name", "dtype", "shape"} per leaf (a leaf inside
    a structure is named like `hidden[0]`, `batch['ids']`; a keyword one has "keyword": true)."""
    args, kwargs, leaves, meta = [], {}, [], []

    def build(name, tree, keyword):
        if tree[0] == "tensor":
            t, shape = make_input({"dtype": tree[1], "dims": tree[2]}, batch)
            leaves.append(t)
            m = {"name": name, "dtype": tree[1], "shape": shape}
            if keyword:
                m["keyword"] = True
            meta.append(m)
            return t
        if tree[0] in ("tuple", "list"):
            items = [build("%s[%d]" % (name, i), x, keyword) for i, x in enumerate(tree[1])]
            return tuple(items) if tree[0] == "tuple" else items
        return {k: build("%s['%s']" % (name, k), x, keyword) for k, x in tree[1]}

    for spec in specs:
        tree = spec.get("value") or ("tensor", spec["dtype"], spec["dims"])
        v = build(spec["name"], tree, spec.get("keyword", False))
        if spec.get("keyword"):
            kwargs[spec["name"]] = v
        else:
            args.append(v)
    return args, kwargs, leaves, meta


def script_namespace(path):
    """The namespace of a training script with only its imports and definitions run (and
    module-level constants): never its statements. Its folder is importable; an import that fails
    (torchvision in an environment without it) is skipped with a note."""
    import ast
    with open(path) as f:
        source = f.read()
    folder = os.path.dirname(os.path.abspath(path))
    for name, mod in list(sys.modules.items()):
        if os.path.dirname(os.path.abspath(getattr(mod, "__file__", None) or "/")) == folder:
            del sys.modules[name]
    sys.path.insert(0, folder)
    ns = {"__name__": "memlens_script_" + os.path.splitext(os.path.basename(path))[0], "__file__": os.path.abspath(path)}
    tree = ast.parse(source, path)
    for node in tree.body:
        keep = isinstance(node, (ast.Import, ast.ImportFrom, ast.ClassDef, ast.FunctionDef))
        if isinstance(node, ast.Assign):
            try:
                ast.literal_eval(node.value)
                keep = True
            except ValueError:
                pass
        if not keep:
            continue
        try:
            exec(compile(ast.Module(body=[node], type_ignores=[]), path, "exec"), ns)
        except ImportError as e:
            print("  note: %s:%d: %s (skipped)" % (os.path.basename(path), node.lineno, e))
    return ns


def build_from_description(path, description):
    """The model, inputs and metadata SCRIPT.entry.json states for a training script."""
    with open(description) as f:
        d = json.load(f)
    torch.manual_seed(0)
    ns = script_namespace(path)
    try:
        model = eval(d["entry"], ns)
    finally:
        sys.path.remove(os.path.dirname(os.path.abspath(path)))
    specs = [parse_spec(t, description) for t in d["inputs"]]
    return model, d["entry"], d["batch"], specs, {}


def build_from_directive(path):
    """The model, inputs and metadata a fixture's `# memlens:` directive describes."""
    with open(path) as f:
        source = f.read()
    entry, batch, input_specs, call = parse_directive(source, path)

    torch.manual_seed(0)
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.dirname(folder) == FIXTURES:
        # A multi-file fixture (test/fixtures/NAME/model.py): imported as module NAME.model so that
        # its relative imports (`from .parts import *`) resolve as they do in a package.
        import importlib
        if FIXTURES not in sys.path:
            sys.path.insert(0, FIXTURES)
        module_name = "%s.%s" % (os.path.basename(folder), os.path.splitext(os.path.basename(path))[0])
        ns = vars(importlib.import_module(module_name))
    else:
        ns = {"__name__": "memlens_fixture_" + os.path.splitext(os.path.basename(path))[0],
              "__file__": os.path.abspath(path)}
        exec(compile(source, path, "exec"), ns)
    model = eval(entry, ns)
    # `call=model(input_ids=x, labels=x)`: the model called as the expression says, on the inputs by name.
    extra = {"call": call, "_namespace": ns} if call else {}
    return model, entry, batch, input_specs, extra


# ---------------------------------------------------------------------------------------------
# The training-step peak of live tensor bytes (CPU).

PHASES = ("forward", "loss", "backward", "optimizer")


def _mallinfo_in_use():
    """glibc mallinfo2(): bytes in use by malloc (uordblks + hblkhd), or None without glibc 2.33."""
    import ctypes

    class Mallinfo2(ctypes.Structure):
        _fields_ = [(n, ctypes.c_size_t) for n in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
            "uordblks", "fordblks", "keepcost")]

    try:
        libc = ctypes.CDLL("libc.so.6")
        fn = libc.mallinfo2
    except (OSError, AttributeError):
        return None
    fn.restype = Mallinfo2

    def poll():
        m = fn()
        return m.uordblks + m.hblkhd
    return poll


def op_name(func):
    """`aten::name.overload` of an OpOverload (1.13 and 2.x)."""
    schema = func._schema
    return schema.name + ("." + schema.overload_name if schema.overload_name else "")


from torch.utils._python_dispatch import TorchDispatchMode  # noqa: E402 (1.13 has it too)


class LiveBytes(TorchDispatchMode):
    """Records the bytes of live tensor storages after every aten op that runs inside it.

    Before each op, storages whose weak reference has expired are dropped; after it, every output
    storage (and any argument storage not registered yet) is registered by its data_ptr with the
    byte size of the whole untyped storage. `series` gets (op, phase, live bytes, bytes of storages
    the op's outputs newly brought)."""

    def __init__(self, mallinfo=None):
        super().__init__()
        from torch.multiprocessing.reductions import StorageWeakRef
        self._weak = StorageWeakRef
        self.live = {}          # data_ptr -> (StorageWeakRef, nbytes)
        self.total = 0
        self.phase = "setup"
        self.series = []        # (op, phase, live, allocated[, malloc in use])
        self.appeared = 0       # argument storages first seen as an argument, not as an output
        self.mallinfo = mallinfo

    def register(self, t):
        """Track t's storage; the bytes newly registered (0 if it already was)."""
        if not isinstance(t, torch.Tensor) or t.layout != torch.strided or t.device.type == "meta":
            return 0
        st = untyped_storage(t)
        n = st.nbytes()
        if n == 0:
            return 0
        key = st.data_ptr()
        old = self.live.get(key)
        if old is not None:
            if not old[0].expired():
                return 0
            self.total -= old[1]
        self.live[key] = (self._weak(st), n)
        self.total += n
        return n

    def prune(self):
        dead = [k for k, (w, _) in self.live.items() if w.expired()]
        for k in dead:
            self.total -= self.live.pop(k)[1]
        return self.total

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        from torch.utils._pytree import tree_flatten
        self.prune()
        out = func(*args, **(kwargs or {}))
        name = op_name(func)
        if name.startswith("profiler::"):  # record_function markers (optimizer.step): no tensors
            return out
        allocated = sum(self.register(t) for t in tree_flatten(out)[0])
        for t in tree_flatten((args, kwargs or {}))[0]:
            n = self.register(t)
            if n:
                self.appeared += 1
        rec = (name, self.phase, self.total, allocated)
        if self.mallinfo is not None:
            rec = rec + (self.mallinfo(),)
        self.series.append(rec)
        return out


def floating_outputs(out):
    """Tensors of a forward's result, in order, through tuples, lists (namedtuples) and dicts."""
    if isinstance(out, torch.Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in floating_outputs(o)]
    if isinstance(out, dict):
        return [t for o in out.values() for t in floating_outputs(o)]
    return []


def loss_of(out):
    """The loss rule the engine simulates: the first 0-dim floating tensor that requires grad in
    the result, else the sum of `o.sum()` over every floating tensor that requires grad, in order."""
    outs = [t for t in floating_outputs(out) if t.is_floating_point() and t.requires_grad]
    for t in outs:
        if t.dim() == 0:
            return t
    if not outs:
        raise RuntimeError("the forward returns no floating tensor that requires grad")
    loss = None
    for t in outs:
        loss = t.sum() if loss is None else loss + t.sum()
    return loss


def optimizer_state_tensors(opt):
    return [v for st in opt.state.values() for v in st.values() if isinstance(v, torch.Tensor)]


def unique_storage_bytes(tensors):
    seen = {}
    for t in tensors:
        key, n = storage_of(t)
        seen[key] = n
    return sum(seen.values())


def forward(model, args, kwargs):
    """One forward: `model(*args, **kwargs)`, or the fixture's `call=` expression (set by
    measure_model) with the positional inputs and keyword inputs by name."""
    if CALL["expr"] is None:
        return model(*args, **kwargs)
    env = dict(CALL["ns"])
    env["model"] = model
    env.update(zip(CALL["names"], args))
    env.update(kwargs)
    return eval(CALL["expr"], env)


CALL = {"expr": None, "ns": None, "names": []}


def train_step(model, inputs, opt, mode=None):
    """One iteration: forward, loss, backward (out and loss referenced until backward returns, then
    deleted), then opt.step() and opt.zero_grad(set_to_none=True), or every .grad = None without
    an optimizer. Under `mode` (a LiveBytes) the phases are labelled and the boundaries recorded."""
    marks = {}

    def phase(name):
        if mode is not None:
            mode.phase = name

    def mark(name):
        if mode is not None:
            marks[name] = mode.prune()

    torch.manual_seed(0)
    phase("forward")
    out = forward(model, inputs[0], inputs[1])
    mark("endOfForward")
    phase("loss")
    loss = loss_of(out)
    mark("startOfBackward")
    phase("backward")
    loss.backward()
    if mode is not None:
        # .grad tensors come out of backward ops; register any that did not (none seen so far).
        late = sum(mode.register(p.grad) for p in model.parameters() if p.grad is not None)
        if late:
            print("  note: %d bytes of .grad were not outputs of any op seen" % late)
    del out, loss
    phase("optimizer")
    if opt is None:
        for p in model.parameters():
            p.grad = None
    else:
        opt.step()
        opt.zero_grad(set_to_none=True)
    mark("end")
    return marks


def optimizer_implementation(series):
    ops = [r[0] for r in series if r[1] == "optimizer"]
    if any("_fused_" in o for o in ops):
        return "fused"
    if any(o.startswith("aten::_foreach_") for o in ops):
        return "foreach"
    return "for-loop" if ops else "none"


def measure_peak(model, call, leaves, optimizer, mallinfo=None):
    """The peak of live tensor bytes in one measured training iteration (after one unmeasured)."""
    model.train()
    params = list(model.parameters())
    for p in params:
        p.grad = None
    opt = torch.optim.AdamW(params) if optimizer == "adamw" else None
    # Warm-up, under a throwaway mode so that whatever the first use of a dispatch mode allocates
    # lazily is not in the measured iteration (malloc saw ~24 MB of it); creates AdamW's state.
    with LiveBytes():
        train_step(model, call, opt)

    mode = LiveBytes(mallinfo)
    for t in params + list(model.buffers()) + list(leaves):
        mode.register(t)
    state = optimizer_state_tensors(opt) if opt is not None else []
    for t in state:
        mode.register(t)
    for p in params:
        if p.grad is not None:
            mode.register(p.grad)
    baseline = mode.total
    base_malloc = mallinfo() if mallinfo else None
    with mode:
        marks = train_step(model, call, opt, mode)

    series = mode.series
    if not any(r[1] == "backward" for r in series):
        raise RuntimeError("the dispatch mode saw no backward op")
    index = max(range(len(series)), key=lambda i: (series[i][2], -i))
    counts = {ph: sum(1 for r in series if r[1] == ph) for ph in PHASES}
    peak = {"bytes": series[index][2], "phase": series[index][1], "op": series[index][0],
            "index": index, "ops": counts,
            "endOfForward": marks["endOfForward"], "startOfBackward": marks["startOfBackward"]}
    if opt is not None:
        peak["optimizerStateBytes"] = unique_storage_bytes(state)
        peak["optimizerImplementation"] = optimizer_implementation(series)
    detail = {"optimizer": optimizer, "baselineBytes": baseline, "endBytes": marks["end"],
              "appearedArgumentStorages": mode.appeared,
              "columns": ["op", "phase", "liveBytes", "allocatedBytes"] + (["mallocInUse"] if mallinfo else []),
              "ops": [list(r) for r in series]}
    if mallinfo:
        detail["baselineMallocInUse"] = base_malloc
    return peak, detail


def malloc_agreement(detail):
    """How far the change of malloc's in-use bytes from the baseline strays from the change of live
    tensor bytes, over the series and at the peak."""
    base_live, base_m = detail["baselineBytes"], detail["baselineMallocInUse"]
    rows = detail["ops"]
    diffs = [(r[4] - base_m) - (r[2] - base_live) for r in rows]
    i = max(range(len(rows)), key=lambda k: (rows[k][2], -k))
    return {"peakLive": rows[i][2] - base_live, "peakMalloc": rows[i][4] - base_m,
            "maxMalloc": max(r[4] for r in rows) - base_m,
            "maxAbsDiff": max(abs(d) for d in diffs)}


def write_series(series_dir, out_path, details):
    rel = os.path.relpath(out_path, FIXTURES).replace(".truth-", ".series-")
    path = os.path.join(series_dir, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump({"torch": torch.__version__, **details}, f)
    return path


def description_of(path):
    """SCRIPT.entry.json beside a training script, or None."""
    d = os.path.splitext(path)[0] + ".entry.json"
    return d if os.path.exists(d) else None


def measure(path):
    description = description_of(path)
    if description:
        model, entry, batch, input_specs, extra = build_from_description(path, description)
    else:
        model, entry, batch, input_specs, extra = build_from_directive(path)
    return measure_model(path, model, entry, batch, input_specs, truth_path(os.path.splitext(path)[0]), extra)


def measure_model(path, model, entry, batch, input_specs, out_path, extra):
    model.train()
    extra = dict(extra)
    CALL["expr"] = extra.get("call")
    CALL["ns"] = extra.pop("_namespace", None)
    CALL["names"] = [spec["name"] for spec in input_specs if not spec.get("keyword")]

    args, kwargs, inputs, input_meta = make_call(input_specs, batch)

    params = list(model.parameters())
    buffers = list(model.buffers())
    n_params = sum(p.numel() for p in params)
    n_trainable = sum(p.numel() for p in params if p.requires_grad)
    param_bytes = sum(p.numel() * p.element_size() for p in params)
    buffer_bytes = sum(b.numel() * b.element_size() for b in buffers)
    input_bytes = sum(t.numel() * t.element_size() for t in inputs)

    excluded = set()
    for t in params + buffers + inputs:
        excluded.add(storage_of(t)[0])

    names = {}
    for name, mod in model.named_modules():
        names.setdefault(id(mod), name)
    module_saved = {name: 0 for name in names.values()}
    output_shapes = {}
    stack = []
    seen = set()
    saved = []

    # Sanity check: Conv*/BatchNorm* always save their input (autograd needs it for the weight
    # gradient), so each such input must end up saved unless it is a parameter/buffer/input.
    must_save = []

    def pre_hook(mod, args):
        stack.append(names[id(mod)])
        if type(mod).__name__.startswith(("Conv", "BatchNorm")) and args and \
                isinstance(args[0], torch.Tensor):
            must_save.append((names[id(mod)],) + storage_of(args[0]))

    def post_hook(mod, args, out):
        name = stack.pop()
        if name not in leaf_names:
            return
        if isinstance(out, torch.Tensor):
            output_shapes[name] = list(out.shape)
        else:
            output_shapes[name] = None

    leaf_names = set()
    handles = []
    for name, mod in model.named_modules():
        if len(list(mod.children())) == 0:
            leaf_names.add(name)
        handles.append(mod.register_forward_pre_hook(pre_hook))
        handles.append(mod.register_forward_hook(post_hook))

    def pack(t):
        key, nbytes = storage_of(t)
        if key in excluded or key in seen:
            return t
        seen.add(key)
        owner = stack[-1] if stack else ""
        module_saved[owner] = module_saved.get(owner, 0) + nbytes
        saved.append({"module": owner, "bytes": nbytes,
                      "dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape)})
        return t

    def unpack(t):
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
        out = forward(model, args, kwargs)
    for h in handles:
        h.remove()
    if stack:
        raise RuntimeError("%s: module stack not empty after forward: %r" % (path, stack))
    for name, key, nbytes in must_save:
        if key not in excluded and key not in seen:
            raise RuntimeError("%s: input of %s (%d bytes) was not saved" % (path, name, nbytes))
    # Sanity: the graph must be usable for backward.
    if isinstance(out, torch.Tensor) and out.requires_grad:
        out.sum().backward()
    elif CALL["expr"] is not None:
        loss_of(out).backward()
    del out
    for p in params:
        p.grad = None

    modules = []
    for name, mod in model.named_modules():
        leaf = name in leaf_names
        rec = {"path": name, "kind": type(mod).__name__, "leaf": leaf,
               "savedBytes": module_saved.get(name, 0)}
        if leaf:
            rec["outputShape"] = output_shapes.get(name)
        modules.append(rec)

    truth = {
        "torch": torch.__version__,
        "device": "cpu",
        "entry": entry,
        "batch": batch,
        "inputs": input_meta,
        "params": n_params,
        "trainableParams": n_trainable,
        "paramBytes": param_bytes,
        "bufferBytes": buffer_bytes,
        "inputBytes": input_bytes,
        "savedActivationBytes": sum(s["bytes"] for s in saved),
        "modules": modules,
        "saved": saved,
    }
    truth.update(extra)
    if OPTIONS["peak"]:
        details = {}
        mallinfo = _mallinfo_in_use() if OPTIONS["mallinfo"] else None
        truth["peak"] = {}
        for optimizer in ("none", "adamw"):
            truth["peak"][optimizer], details[optimizer] = measure_peak(model, (args, kwargs), inputs, optimizer, mallinfo)
            if mallinfo:
                print("  %s malloc vs live: %s" % (optimizer, malloc_agreement(details[optimizer])))
        if OPTIONS["series"]:
            write_series(OPTIONS["series"], out_path, details)
    elif os.path.exists(out_path):
        with open(out_path) as f:
            old = json.load(f)
        if "peak" in old:
            truth["peak"] = old["peak"]
    with open(out_path, "w") as f:
        json.dump(truth, f, indent=2)
        f.write("\n")
    peak = truth.get("peak", {})
    print("%-24s params=%-8d saved=%-9d (%d storages) inputs=%d peak none=%s adamw=%s -> %s" % (
        os.path.basename(path), n_params, truth["savedActivationBytes"], len(saved), input_bytes,
        peak.get("none", {}).get("bytes"), peak.get("adamw", {}).get("bytes"), os.path.relpath(out_path)))
    return truth


TORCHVISION_CASES = os.path.join(FIXTURES, "torchvision", "cases.json")


def parse_input(text):
    """`x:float32[2,3,64,64]` (the CLI's --input syntax) as an input spec."""
    name, _, rest = text.partition(":")
    dtype, _, dims = rest.partition("[")
    return {"name": name, "dtype": dtype, "dims": [d.strip() for d in dims.rstrip("]").split(",") if d.strip()]}


def measure_torchvision(case):
    """A torchvision model built by its entry expression in the installed torchvision's own module.
    The tests analyze the same installed files; the truth records each file's sha256 so a test can
    tell when the installed torchvision is not the one measured."""
    import hashlib
    import importlib
    import torchvision

    try:
        module = importlib.import_module("torchvision.models." + case["module"])
    except ImportError as e:
        print("%-24s SKIPPED: torchvision %s has no module models.%s (%s)" % (
            case["name"], torchvision.__version__, case["module"], e))
        return None
    with open(module.__file__, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    torch.manual_seed(0)
    try:
        model = eval(case["entry"], vars(module))
    except (NameError, AttributeError) as e:
        print("%-24s SKIPPED: torchvision %s models.%s cannot build %s (%s)" % (
            case["name"], torchvision.__version__, case["module"], case["entry"], e))
        return None
    spec = parse_input(case["input"])
    batch = int(spec["dims"][0])
    package = os.path.dirname(os.path.abspath(torchvision.__file__))
    rel_file = os.path.relpath(os.path.abspath(module.__file__), package).replace(os.sep, "/")
    extra = {"torchvision": torchvision.__version__, "file": rel_file, "sha256": digest, "input": case["input"]}
    out_path = truth_path(os.path.join(FIXTURES, "torchvision", case["name"]))
    return measure_model(module.__file__, model, case["entry"], batch, [spec], out_path, extra)


OPTIONS = {"series": None, "mallinfo": False, "peak": True}


def main(argv):
    torch.set_num_threads(1)
    argv = list(argv)
    while argv and argv[0].startswith("--") and argv[0] != "--torchvision":
        opt = argv.pop(0)
        if opt == "--series":
            OPTIONS["series"] = os.path.abspath(argv.pop(0))
        elif opt == "--mallinfo":
            OPTIONS["mallinfo"] = True
        elif opt == "--no-peak":
            OPTIONS["peak"] = False
        else:
            raise SystemExit("unknown option %s (see the docstring)" % opt)
    if argv[:1] == ["--torchvision"]:
        with open(TORCHVISION_CASES) as f:
            cases = json.load(f)
        wanted = set(argv[1:])
        for case in cases:
            if not wanted or case["name"] in wanted:
                measure_torchvision(case)
        return
    # Top-level fixtures, and each multi-file fixture's entry file (the one with the directive).
    nested = [p for p in glob.glob(os.path.join(FIXTURES, "*", "*.py")) if "# memlens:" in open(p).read()]
    # Training scripts: test/fixtures/scripts and, using installed libraries, test/fixtures/libs/scripts.
    described = glob.glob(os.path.join(FIXTURES, "scripts", "*", "*.entry.json")) + glob.glob(os.path.join(FIXTURES, "libs", "scripts", "*", "*.entry.json"))
    scripts = [d[:-len(".entry.json")] + ".py" for d in described]
    paths = argv or sorted(glob.glob(os.path.join(FIXTURES, "*.py")) + nested) + sorted(scripts)
    for p in paths:
        try:
            measure(p)
        except ImportError as e:
            # einops/vit_einops.py imports einops, which the measurement environments lack (the
            # name then finds the fixture folder einops/ itself); its plain-torch twin
            # vit_torch.py carries its truth. Given by name, a fixture that fails to import fails.
            if argv or (e.name or "").split(".")[0] == "torch":
                raise
            print("%-24s SKIPPED: %s" % (os.path.basename(p), e))


if __name__ == "__main__":
    main(sys.argv[1:])
