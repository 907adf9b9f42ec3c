#!/usr/bin/env python3
"""Measure ground truth for the Memlens test fixtures with real PyTorch (CPU).

For every fixture (test/fixtures/*.py, the file with the directive in each multi-file fixture
folder test/fixtures/NAME/, or the paths given on the command line) this parses the
`# memlens: entry=... input=NAME:DTYPE[D0,...] batch=N` directive, builds the model, runs one
training-mode forward pass under `torch.autograd.graph.saved_tensors_hooks`, and writes
NAME.truth.json next to the fixture.

Regenerate with:  /usr/bin/python3 test/groundtruth/measure.py

torchvision's classification models (test/fixtures/torchvision/cases.json: module, entry
expression, input) are measured from the installed torchvision (Debian's python3-torchvision),
whose files the tests analyze in place:  /usr/bin/python3 test/groundtruth/measure.py --torchvision [NAME...]
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
    entry, batch, inputs = None, None, []
    for tok in split_top_level(body):
        key, _, value = tok.partition("=")
        if key == "entry":
            entry = value
        elif key == "batch":
            batch = int(value)
        elif key == "input":
            name, _, rest = value.partition(":")
            dtype, _, dims = rest.partition("[")
            if not dims.endswith("]"):
                raise ValueError("%s: bad input spec %r" % (path, value))
            dims = [d.strip() for d in dims[:-1].split(",") if d.strip()]
            inputs.append({"name": name, "dtype": dtype, "dims": dims})
        else:
            raise ValueError("%s: unknown directive token %r" % (path, tok))
    if entry is None or not inputs:
        raise ValueError("%s: directive needs entry= and at least one input=" % path)
    return entry, batch, inputs


def resolve_dim(d, batch):
    env = {"__builtins__": {}}
    if batch is not None:
        env["B"] = batch
    return int(eval(d, env))


def storage_of(t):
    """(key, nbytes) of the whole underlying storage, in bytes (untyped)."""
    if hasattr(t, "untyped_storage"):  # torch >= 2.0
        s = t.untyped_storage()
        return s.data_ptr(), s.nbytes()
    s = t.storage()  # torch 1.13: TypedStorage; nbytes() is the byte size of the whole storage
    return s.data_ptr(), s.nbytes()


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


def build_from_directive(path):
    """The model, inputs and metadata a fixture's `# memlens:` directive describes."""
    with open(path) as f:
        source = f.read()
    entry, batch, input_specs = parse_directive(source, path)

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
    return model, entry, batch, input_specs, {}


def measure(path):
    model, entry, batch, input_specs, extra = build_from_directive(path)
    return measure_model(path, model, entry, batch, input_specs, os.path.splitext(path)[0] + ".truth.json", extra)


def measure_model(path, model, entry, batch, input_specs, out_path, extra):
    model.train()

    inputs, input_meta = [], []
    for spec in input_specs:
        t, shape = make_input(spec, batch)
        inputs.append(t)
        input_meta.append({"name": spec["name"], "dtype": spec["dtype"], "shape": shape})

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
        out = model(*inputs)
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
    with open(out_path, "w") as f:
        json.dump(truth, f, indent=2)
        f.write("\n")
    print("%-24s params=%-8d saved=%-9d (%d storages) inputs=%d -> %s" % (
        os.path.basename(path), n_params, truth["savedActivationBytes"], len(saved),
        input_bytes, os.path.relpath(out_path)))
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

    module = importlib.import_module("torchvision.models." + case["module"])
    with open(module.__file__, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    torch.manual_seed(0)
    model = eval(case["entry"], vars(module))
    spec = parse_input(case["input"])
    batch = int(spec["dims"][0])
    extra = {"torchvision": torchvision.__version__, "file": "models/%s.py" % case["module"], "sha256": digest, "input": case["input"]}
    out_path = os.path.join(FIXTURES, "torchvision", case["name"] + ".truth.json")
    return measure_model(module.__file__, model, case["entry"], batch, [spec], out_path, extra)


def main(argv):
    torch.set_num_threads(1)
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
    paths = argv or sorted(glob.glob(os.path.join(FIXTURES, "*.py")) + nested)
    for p in paths:
        measure(p)


if __name__ == "__main__":
    main(sys.argv[1:])
