"""Generate the modelled torch API catalog from PyTorch itself.

Run with the PyTorch release to catalog:  /usr/bin/python3 server/catalog/generate.py > server/catalog/torch-<ver>.json
For every nn.Module class in torch.nn and every function in torch.nn.functional it records the
parameter names, kinds and defaults (inspect.signature). Builtins without a Python signature are
parsed from the first line of their docstring, as torch documents them ("conv2d(input, weight, ...) -> Tensor").
"""
import inspect
import json
import re
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


def encode_default(v):
    if v is inspect.Parameter.empty:
        return {"required": True}
    if v is None or isinstance(v, (bool, int, float, str)):
        return {"default": v}
    if isinstance(v, (tuple, list)) and all(isinstance(x, (bool, int, float, str, type(None))) for x in v):
        return {"default": list(v)}
    if isinstance(v, torch.dtype):
        return {"default": str(v).replace("torch.", "")}
    return {"default": None, "defaultRepr": repr(v)}


KIND = {
    inspect.Parameter.POSITIONAL_ONLY: "positional",
    inspect.Parameter.POSITIONAL_OR_KEYWORD: "normal",
    inspect.Parameter.VAR_POSITIONAL: "varargs",
    inspect.Parameter.KEYWORD_ONLY: "keyword",
    inspect.Parameter.VAR_KEYWORD: "varkw",
}


def params_of(sig, skip_self=False):
    out = []
    for i, (name, p) in enumerate(sig.parameters.items()):
        if skip_self and i == 0:
            continue
        entry = {"name": name, "kind": KIND[p.kind]}
        entry.update(encode_default(p.default))
        out.append(entry)
    return out


DOC_SIG = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\((.*?)\)\s*(->|$)", re.M)


def parse_default(text):
    text = text.strip()
    try:
        v = eval(text, {"None": None, "True": True, "False": False})
    except Exception:
        return {"default": None, "defaultRepr": text}
    return encode_default(v)


def params_from_doc(fn):
    doc = fn.__doc__ or ""
    m = DOC_SIG.search(doc)
    if not m:
        return None
    out, kind = [], "normal"
    depth, cur, parts = 0, "", []
    for ch in m.group(2):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur)
    for part in parts:
        part = part.strip()
        if part == "*":
            kind = "keyword"
            continue
        if part.startswith("**"):
            out.append({"name": part[2:], "kind": "varkw", "required": True})
            continue
        if part.startswith("*"):
            out.append({"name": part[1:], "kind": "varargs", "required": True})
            kind = "keyword"
            continue
        name, _, dflt = part.partition("=")
        name = name.split(":")[0].strip()
        entry = {"name": name, "kind": kind}
        entry.update(parse_default(dflt) if dflt else {"required": True})
        out.append(entry)
    return out


def catalog():
    modules = {}
    for name in sorted(dir(nn)):
        obj = getattr(nn, name)
        if inspect.isclass(obj) and issubclass(obj, nn.Module):
            try:
                modules[name] = params_of(inspect.signature(obj.__init__), skip_self=True)
            except (TypeError, ValueError):
                pass
    functional = {}
    for name in sorted(dir(F)):
        if name.startswith("_"):
            continue
        obj = getattr(F, name)
        if not callable(obj) or inspect.isclass(obj) or inspect.ismodule(obj):
            continue
        # F.max_pool2d & co. dispatch on `return_indices`; catalog the plain (if_false) variant.
        dispatched = torch._jit_internal.boolean_dispatched.get(obj)
        if dispatched:
            obj = dispatched["if_false"]
        try:
            functional[name] = params_of(inspect.signature(obj))
        except (TypeError, ValueError):
            ps = params_from_doc(obj)
            if ps is not None:
                functional[name] = ps
    return {
        "torch": torch.__version__,
        "generator": "server/catalog/generate.py",
        "modules": modules,
        "functional": functional,
    }


if __name__ == "__main__":
    json.dump(catalog(), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
