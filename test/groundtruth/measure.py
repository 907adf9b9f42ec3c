#!/usr/bin/env python3
"""Measure ground truth for the Memlens test fixtures with real PyTorch (CPU).

For every fixture (test/fixtures/*.py, the file with the directive in each multi-file fixture
folder test/fixtures/NAME/, every file with a directive in the single-file folders
test/fixtures/fixes/ and test/fixtures/study/ (the study only in STUDY_RELEASES), or the paths
given on the command line, where a folder stands for its files with a directive) this parses the
`# memlens: entry=... input=NAME:DTYPE[D0,...] batch=N [microbatch=K]` directive, builds the
model, and writes NAME.truth-<release>.json next to the fixture, where <release> is the running
PyTorch's major.minor (1.13, 2.13, 2.14). Two measurements:

- saved activations: one training-mode forward pass under `torch.autograd.graph.saved_tensors_hooks`
  (keys `savedActivationBytes`, `modules`, `saved`);
- the training-step peak of live tensor bytes (key `peak`): a TorchDispatchMode that tracks every
  op's storages with weak references through forward, loss, backward and the optimizer step, with
  no optimizer ("none") and with torch.optim.AdamW ("adamw").

`microbatch=K` (default 1) makes one training step K forward/loss/backward passes over the
inputs split along their `B` dimension (gradient accumulation, no division of the loss), then one
optimizer step; the saved activations are those of one microbatch (see `split_call`).

A fixture that uses a checkpoint API the running PyTorch lacks (`missing_api`) is skipped with a
note, named or not.

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
    """(entry, batch, input specs, call, microbatch) of a fixture's `# memlens:` line; microbatch
    is None when the directive has no `microbatch=` (one pass per step)."""
    lines = [ln.strip() for ln in source.splitlines() if ln.strip().startswith("# memlens:")]
    if len(lines) != 1:
        raise ValueError("%s: expected exactly one '# memlens:' line, found %d" % (path, len(lines)))
    body = lines[0][len("# memlens:"):].strip()
    entry, batch, inputs, call, microbatch = None, None, [], None, None
    for tok in split_top_level(body):
        key, _, value = tok.partition("=")
        if key == "entry":
            entry = value
        elif key == "batch":
            batch = int(value)
        elif key == "call":
            call = value
        elif key == "microbatch":
            microbatch = int(value)
            if microbatch < 1:
                raise ValueError("%s: microbatch must be >= 1, got %r" % (path, tok))
        elif key == "input":
            inputs.append(parse_spec(value, path))
        else:
            raise ValueError("%s: unknown directive token %r" % (path, tok))
    if entry is None or not inputs:
        raise ValueError("%s: directive needs entry= and at least one input=" % path)
    return entry, batch, inputs, call, microbatch


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
    # Forget the modules of this folder and any module named like one of its files (another
    # script's `model` from nanogpt/ would shadow word_lm/model.py).
    siblings = {os.path.splitext(f)[0] for f in os.listdir(folder) if f.endswith(".py")}
    for name, mod in list(sys.modules.items()):
        if name.split(".")[0] in siblings or \
                os.path.dirname(os.path.abspath(getattr(mod, "__file__", None) or "/")) == folder:
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
    entry, batch, input_specs, call, microbatch = parse_directive(source, path)

    torch.manual_seed(0)
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.dirname(folder) == FIXTURES and os.path.basename(folder) not in SINGLE_FILE_FOLDERS:
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
    if microbatch is not None:
        extra["microbatch"] = microbatch
    return model, entry, batch, input_specs, extra


# Folders of test/fixtures whose files are fixtures of their own, each run like a top-level one
# (exec'd, not imported as a package module): edited copies of fixtures (fixes/: checkpointing,
# autocast, microbatching) and the Wide ResNet study (study/).
SINGLE_FILE_FOLDERS = ("fixes", "study")
# The study's fixtures are big (batch 128; bf16 autocast is slow on CPUs without bf16 instructions,
# ~5 min each): the run without names measures them only in these releases.
STUDY_RELEASES = ("2.14",)


def missing_api(source):
    """Why the running PyTorch cannot run a fixture that uses a newer checkpoint API, or None:
    `create_selective_checkpoint_contexts` (2.4+) and `checkpoint_sequential(..., use_reentrant=)`
    (not in 1.13, whose checkpoint_sequential is always reentrant and rejects the keyword)."""
    import inspect
    import re
    import torch.utils.checkpoint as ckpt
    if "create_selective_checkpoint_contexts" in source and not hasattr(ckpt, "create_selective_checkpoint_contexts"):
        return "torch %s has no torch.utils.checkpoint.create_selective_checkpoint_contexts" % torch.__version__
    if re.search(r"checkpoint_sequential\([^\n]*use_reentrant", source) and \
            "use_reentrant" not in inspect.signature(ckpt.checkpoint_sequential).parameters:
        return "torch %s's checkpoint_sequential takes no use_reentrant" % torch.__version__
    return None


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
    the op's outputs newly brought[, malloc in use][, microbatch]): the last column only when
    `microbatch` is set (a microbatched step sets it to the running microbatch, 1-based, and to
    None in the optimizer phase)."""

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
        self.microbatch = False  # False: no column; else the running microbatch (or None)

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
        name = op_name(func)
        if name == "aten::detach" and args and isinstance(args[0], (bool, int, float)):
            # 1.13 hands a wrapped number (a Python scalar its argument parser made a 0-dim
            # float64/int64 tensor, no op) to the mode as that Python number, and then cannot call
            # aten::detach on it: 1.13's non-reentrant checkpoint detaches every tensor its
            # recomputation saves (gpt_nano's `att * 0.25`). Rewrapped as the 0-dim tensor it was,
            # and like every wrapped number not registered.
            dtype = torch.float64 if isinstance(args[0], float) else torch.bool if isinstance(args[0], bool) else torch.int64
            out = torch.tensor(args[0], dtype=dtype)
            self.series.append((name, self.phase, self.total, 0) + ((self.mallinfo(),) if self.mallinfo is not None else ())
                               + ((self.microbatch,) if self.microbatch is not False else ()))
            return out
        out = func(*args, **(kwargs or {}))
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
        if self.microbatch is not False:
            rec = rec + (self.microbatch,)
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


def train_step(model, calls, opt, mode=None):
    """One iteration: for each microbatch's (args, kwargs) in `calls` (one for a plain step):
    forward, loss, backward (out and loss referenced until backward returns, then deleted), the
    gradients accumulating in .grad; then opt.step() and opt.zero_grad(set_to_none=True), or every
    .grad = None without an optimizer. Under `mode` (a LiveBytes) the phases are labelled and the
    boundaries recorded: `marks` has endOfForward and startOfBackward (of the last microbatch),
    `marks["microbatches"]` one {endOfForward, startOfBackward} per microbatch, and "end"."""
    marks = {"microbatches": []}
    many = len(calls) > 1

    def phase(name):
        if mode is not None:
            mode.phase = name

    def mark(name):
        if mode is not None:
            marks[name] = mode.prune()

    torch.manual_seed(0)
    for i, (args, kwargs) in enumerate(calls):
        if mode is not None and many:
            mode.microbatch = i + 1
        phase("forward")
        out = forward(model, args, kwargs)
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
            marks["microbatches"].append({"endOfForward": marks["endOfForward"],
                                          "startOfBackward": marks["startOfBackward"]})
        del out, loss
    if mode is not None and many:
        mode.microbatch = None
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


def measure_peak(model, calls, leaves, optimizer, mallinfo=None):
    """The peak of live tensor bytes in one measured training iteration (after one unmeasured).
    `calls`: one (args, kwargs) per microbatch. With more than one, the peak also says in which
    microbatch it happened (`microbatchIndex`, 1-based; null in the optimizer phase), its
    endOfForward/startOfBackward are those of that microbatch (of the last one when the peak is in
    the optimizer phase), and `microbatches` lists each one's peak, phase, endOfForward and
    startOfBackward."""
    model.train()
    params = list(model.parameters())
    for p in params:
        p.grad = None
    opt = torch.optim.AdamW(params) if optimizer == "adamw" else None
    # Warm-up, under a throwaway mode so that whatever the first use of a dispatch mode allocates
    # lazily is not in the measured iteration (malloc saw ~24 MB of it); creates AdamW's state.
    with LiveBytes():
        train_step(model, calls, opt)

    mode = LiveBytes(mallinfo)
    many = len(calls) > 1
    if many:
        mode.microbatch = None
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
        marks = train_step(model, calls, opt, mode)

    series = mode.series
    if not any(r[1] == "backward" for r in series):
        raise RuntimeError("the dispatch mode saw no backward op")
    index = max(range(len(series)), key=lambda i: (series[i][2], -i))
    counts = {ph: sum(1 for r in series if r[1] == ph) for ph in PHASES}
    peak = {"bytes": series[index][2], "phase": series[index][1], "op": series[index][0],
            "index": index, "ops": counts,
            "endOfForward": marks["endOfForward"], "startOfBackward": marks["startOfBackward"]}
    if many:
        which = series[index][-1]
        peak["microbatchIndex"] = which
        if which is not None:
            peak.update(marks["microbatches"][which - 1])
        peak["microbatches"] = []
        for k, m in enumerate(marks["microbatches"]):
            rows = [i for i in range(len(series)) if series[i][-1] == k + 1]
            top = max(rows, key=lambda i: (series[i][2], -i))
            peak["microbatches"].append({"bytes": series[top][2], "phase": series[top][1], **m})
    if opt is not None:
        peak["optimizerStateBytes"] = unique_storage_bytes(state)
        peak["optimizerImplementation"] = optimizer_implementation(series)
    detail = {"optimizer": optimizer, "baselineBytes": baseline, "endBytes": marks["end"],
              "appearedArgumentStorages": mode.appeared,
              "columns": ["op", "phase", "liveBytes", "allocatedBytes"] + (["mallocInUse"] if mallinfo else [])
              + (["microbatch"] if many else []),
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
    if not description:
        with open(path) as f:
            missing = missing_api(f.read())
        if missing:
            print("%-24s SKIPPED: %s" % (os.path.basename(path), missing))
            return None
    if description:
        model, entry, batch, input_specs, extra = build_from_description(path, description)
    else:
        model, entry, batch, input_specs, extra = build_from_directive(path)
    return measure_model(path, model, entry, batch, input_specs, truth_path(os.path.splitext(path)[0]), extra)


def split_call(args, kwargs, specs, batch, k):
    """The K microbatches of a forward call: K (args, kwargs), where every input tensor whose spec
    has the dimension `B` is `torch.chunk(t, K, dim=<index of B>)` (views of the full tensors,
    which stay referenced) and the others are passed whole. B must be a multiple of K."""
    import re
    if k == 1:
        return [(args, kwargs)]
    if batch is None or batch % k:
        raise ValueError("microbatch=%d needs batch= a multiple of it, got %r" % (k, batch))

    def split(tree, v):
        if tree[0] == "tensor":
            dims = [d.strip() for d in tree[2]]
            if "B" in dims:
                return list(torch.chunk(v, k, dim=dims.index("B")))
            if any(re.search(r"\bB\b", d) for d in dims):
                raise ValueError("microbatch: cannot split %s[%s] (B only in an expression)" % (tree[1], ",".join(dims)))
            return [v] * k
        if tree[0] in ("tuple", "list"):
            parts = [split(x, y) for x, y in zip(tree[1], v)]
            return [(tuple if tree[0] == "tuple" else list)(p[i] for p in parts) for i in range(k)]
        parts = {key: split(x, v[key]) for key, x in tree[1]}
        return [{key: p[i] for key, p in parts.items()} for i in range(k)]

    calls = [([], {}) for _ in range(k)]
    positional = iter(args)
    for spec in specs:
        tree = spec.get("value") or ("tensor", spec["dtype"], spec["dims"])
        value = kwargs[spec["name"]] if spec.get("keyword") else next(positional)
        for i, part in enumerate(split(tree, value)):
            if spec.get("keyword"):
                calls[i][1][spec["name"]] = part
            else:
                calls[i][0].append(part)
    return calls


def measure_model(path, model, entry, batch, input_specs, out_path, extra):
    """Saved activations and peaks of one model on its inputs; writes out_path. With
    extra["microbatch"] = K > 1 the saved activations are those of the first microbatch (inputs
    at B/K) and the peaks those of a K-microbatch step (see split_call and train_step)."""
    model.train()
    extra = dict(extra)
    CALL["expr"] = extra.get("call")
    CALL["ns"] = extra.pop("_namespace", None)
    CALL["names"] = [spec["name"] for spec in input_specs if not spec.get("keyword")]

    args, kwargs, inputs, input_meta = make_call(input_specs, batch)
    calls = split_call(args, kwargs, input_specs, batch, extra.get("microbatch") or 1)

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
    # gradient), so each such input must end up saved unless it is a parameter/buffer/input. A
    # module inside a checkpointed region saves nothing through these hooks (non-reentrant: the
    # checkpoint's own saved_tensors_hooks are innermost; reentrant: it runs under no_grad), so a
    # Conv*/BatchNorm* during which `pack` was not called at all is exempt (counted in a note).
    must_save = []
    packs = [0]             # calls of pack, excluded and repeated storages included
    checking = []           # [name, key, nbytes, packs at the pre-hook] of the running Conv*/BatchNorm*
    unseen = []             # names of Conv*/BatchNorm* that ran where pack saw nothing

    def pre_hook(mod, args):
        stack.append(names[id(mod)])
        if type(mod).__name__.startswith(("Conv", "BatchNorm")) and args and \
                isinstance(args[0], torch.Tensor):
            checking.append((names[id(mod)],) + storage_of(args[0]) + (packs[0],))

    def post_hook(mod, args, out):
        name = stack.pop()
        if checking and checking[-1][0] == name:
            rec = checking.pop()
            if packs[0] == rec[3]:
                unseen.append(name)
            else:
                must_save.append(rec[:3])
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
        packs[0] += 1
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
        out = forward(model, *calls[0])
    for h in handles:
        h.remove()
    if stack:
        raise RuntimeError("%s: module stack not empty after forward: %r" % (path, stack))
    for name, key, nbytes in must_save:
        if key not in excluded and key not in seen:
            raise RuntimeError("%s: input of %s (%d bytes) was not saved" % (path, name, nbytes))
    if unseen:
        print("  note: %d Conv/BatchNorm ran where the saved-tensor hooks saw nothing (checkpointed): %s" % (
            len(unseen), ", ".join(unseen[:4]) + (", ..." if len(unseen) > 4 else "")))
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
            truth["peak"][optimizer], details[optimizer] = measure_peak(model, calls, inputs, optimizer, mallinfo)
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
    # Top-level fixtures, and each multi-file fixture's entry file (the one with the directive);
    # in fixes/ and study/ every file with a directive is a fixture of its own.
    def has_directive(p):
        with open(p) as f:
            return "# memlens:" in f.read()
    nested = [p for p in glob.glob(os.path.join(FIXTURES, "*", "*.py"))
              if has_directive(p) and os.path.basename(os.path.dirname(p)) not in SINGLE_FILE_FOLDERS]
    singles = [p for d in SINGLE_FILE_FOLDERS for p in glob.glob(os.path.join(FIXTURES, d, "*.py"))
               if has_directive(p) and (d != "study" or release() in STUDY_RELEASES)]
    # Training scripts: test/fixtures/scripts and, using installed libraries, test/fixtures/libs/scripts.
    described = glob.glob(os.path.join(FIXTURES, "scripts", "*", "*.entry.json")) + glob.glob(os.path.join(FIXTURES, "libs", "scripts", "*", "*.entry.json"))
    scripts = [d[:-len(".entry.json")] + ".py" for d in described]
    # A folder given by name stands for its files with a directive (test/fixtures/fixes).
    named = []
    for a in argv:
        named += sorted(p for p in glob.glob(os.path.join(a, "*.py")) if has_directive(p)) if os.path.isdir(a) else [a]
    paths = named or sorted(glob.glob(os.path.join(FIXTURES, "*.py")) + nested) + sorted(singles) + sorted(scripts)
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
