"""Which torch names exist in which release, read statically from the wheels: kernels/catalog/releases.json.

    python3 kernels/catalog/releases.py            # download missing wheels, read them, write releases.json
    python3 kernels/catalog/releases.py --offline  # only read wheels already in the cache
    python3 kernels/catalog/releases.py --download-only

For every release 1.13, 2.0, ..., 2.14 the manylinux aarch64 CPU wheel of the last patch release is
downloaded with `pip download` into ~/.cache/memlens-truth/wheels (override: MEMLENS_WHEELS) and
read WITHOUT importing it (it is for another platform):

  torch.X        torch/_C/_VariableFunctions.pyi defs (every one is exported by torch/__init__.py),
                 torch/_C/__init__.pyi top-level defs (torch/__init__.py exports torch._C's public
                 names), torch/functional.py __all__, torch/__init__.py top-level defs, imports and
                 __all__ entries
  torch.linalg.X / torch.special.X / torch.fft.X
                 top-level defs and assignments of torch/{linalg,special,fft}/__init__.py
  F.X            torch/nn/functional.py top-level defs and assignments, torch/nn/functional.pyi defs
  nn.X           torch/nn/modules/__init__.py __all__, names torch/nn/__init__.py imports
  Tensor.X       methods, properties and annotated attributes of class TensorBase/_TensorBase in
                 torch/_C/__init__.pyi, members of class Tensor in torch/_tensor.py, and the names
                 torch/_tensor_docs.py documents (add_docstr_all("x", ...); torch/_torch_docs.py's
                 add_docstr(torch.x, ...) likewise adds torch.X)

The names reported are those of the "python" sections of kernels/catalog/torch-*.json. Output:
{"releases": [...], "names": {name: [first, last] ...}} with last null when the name is still in
2.14, a third element listing the releases in between where it is missing (if any), and only names
not present in every release. The static reading is cross-checked against the catalogs of the
releases that have one; disagreements are printed (and kept under "disagreements").
"""
import argparse
import ast
import glob
import json
import os
import re
import subprocess
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
RELEASES = ["1.13"] + [f"2.{m}" for m in range(0, 15)]
WHEELS = os.environ.get("MEMLENS_WHEELS", os.path.expanduser("~/.cache/memlens-truth/wheels"))


def wheel_path(rel):
    hits = sorted(glob.glob(os.path.join(WHEELS, f"torch-{rel}.*-*aarch64.whl")),
                  key=lambda p: [int(x) for x in re.findall(r"torch-\d+\.\d+\.(\d+)", p)])
    return hits[-1] if hits else None


def download(rel):
    major, minor = (int(x) for x in rel.split("."))
    spec = f"torch>={rel},<{major}.{minor + 1}"
    for pyv in ("3.11", "3.10", "3.12", "3.9"):
        cmd = [sys.executable, "-m", "pip", "download", spec, "--no-deps", "--only-binary=:all:",
               "--platform", "manylinux_2_28_aarch64", "--platform", "manylinux2014_aarch64",
               "--python-version", pyv, "-d", WHEELS, "--no-cache-dir", "-q"]
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if wheel_path(rel):
            return wheel_path(rel)
    return None


class Wheel:
    def __init__(self, path):
        self.zip = zipfile.ZipFile(path)
        self.names = set(self.zip.namelist())

    def tree(self, name):
        if name not in self.names:
            return None
        return ast.parse(self.zip.read(name).decode("utf-8"))


def public(n):
    return not n.startswith("_")


def top_defs(tree):
    out = set()
    if tree is None:
        return out
    for node in tree.body:
        for n in walk_top(node):
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                out.add(n.name)
    return out


def walk_top(node):
    """Module-level statements, looking inside if/try blocks (TYPE_CHECKING, version guards)."""
    if isinstance(node, (ast.If, ast.Try)):
        for b in [node.body, getattr(node, "orelse", []), getattr(node, "finalbody", [])] + [h.body for h in getattr(node, "handlers", [])]:
            for n in b:
                yield from walk_top(n)
    else:
        yield node


def top_assigns(tree):
    out = set()
    if tree is None:
        return out
    for node in tree.body:
        for n in walk_top(node):
            if isinstance(n, ast.Assign):
                for t in n.targets:
                    if isinstance(t, ast.Name):
                        out.add(t.id)
            elif isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name):
                out.add(n.target.id)
    return out


def top_imports(tree):
    out = set()
    if tree is None:
        return out
    for node in tree.body:
        for n in walk_top(node):
            if isinstance(n, ast.ImportFrom):
                for a in n.names:
                    if a.name != "*":
                        out.add(a.asname or a.name)
    return out


def dunder_all(tree):
    out = set()
    if tree is None:
        return out
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
            value = node.value
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            targets = [node.target.id]
            value = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            targets = [node.target.id]
            value = node.value
        if "__all__" in targets and value is not None:
            for c in ast.walk(value):
                if isinstance(c, ast.Constant) and isinstance(c.value, str):
                    out.add(c.value)
    return out


def class_members(tree, names):
    """defs, properties and annotated attributes of the first class named in `names`."""
    methods, props = set(), set()
    if tree is None:
        return methods, props
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name in names:
            for n in node.body:
                for m in walk_top(n):
                    if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        decos = {ast.unparse(d) for d in m.decorator_list}
                        if "property" in decos or any(d.endswith(".setter") or d.endswith(".getter") for d in decos):
                            props.add(m.name)
                        else:
                            methods.add(m.name)
                    elif isinstance(m, ast.AnnAssign) and isinstance(m.target, ast.Name):
                        props.add(m.target.id)
                    elif isinstance(m, ast.Assign):
                        for t in m.targets:
                            if isinstance(t, ast.Name):
                                v = m.value
                                if isinstance(v, ast.Call) and ast.unparse(v.func) in ("property", "_C._add_docstr") or \
                                        isinstance(v, ast.Call) and "property" in ast.unparse(v.func):
                                    props.add(t.id)
                                else:
                                    methods.add(t.id)
            break
    return methods, props


def static_names(whl):
    """Qualified names found in a wheel (over-approximates: callers intersect with catalog names)."""
    names = set()
    vf = whl.tree("torch/_C/_VariableFunctions.pyi")
    c = whl.tree("torch/_C/__init__.pyi")
    init = whl.tree("torch/__init__.py")
    torch_names = top_defs(vf) | {n for n in top_defs(c)} | dunder_all(whl.tree("torch/functional.py")) \
        | top_defs(init) | top_imports(init) | dunder_all(init) | top_assigns(init)
    names |= {f"torch.{n}" for n in torch_names if public(n)}
    for sub in ("linalg", "special", "fft"):
        t = whl.tree(f"torch/{sub}/__init__.py")
        names |= {f"torch.{sub}.{n}" for n in top_defs(t) | top_assigns(t) | dunder_all(t) if public(n)}
    ft = whl.tree("torch/nn/functional.py")
    fpyi = whl.tree("torch/nn/functional.pyi")
    names |= {f"F.{n}" for n in top_defs(ft) | top_assigns(ft) | top_imports(ft) | top_defs(fpyi) | top_imports(fpyi) if public(n)}
    mods = dunder_all(whl.tree("torch/nn/modules/__init__.py")) | top_imports(whl.tree("torch/nn/modules/__init__.py"))
    nn_init = whl.tree("torch/nn/__init__.py")
    mods |= top_imports(nn_init)
    names |= {f"nn.{n}" for n in mods if public(n)}
    # _tensor_docs.py / _torch_docs.py attach docstrings to existing attributes at import time
    # (add_docstr fails on a missing one), so every name they document exists.
    tdocs = whl.zip.read("torch/_tensor_docs.py").decode() if "torch/_tensor_docs.py" in whl.names else ""
    names |= {f"Tensor.{n}" for n in re.findall(r'add_docstr_all\(\s*"(\w+)"', tdocs)}
    fdocs = whl.zip.read("torch/_torch_docs.py").decode() if "torch/_torch_docs.py" in whl.names else ""
    names |= {f"torch.{n}" for n in re.findall(r"add_docstr\(\s*torch\.(\w+)\s*,", fdocs)}
    m1, p1 = class_members(c, ("TensorBase", "_TensorBase"))
    m2, p2 = class_members(whl.tree("torch/_tensor.py"), ("Tensor",))
    names |= {f"Tensor.{n}" for n in m1 | p1 | m2 | p2 if public(n) or (n.startswith("__") and n.endswith("__"))}
    return names


def catalog_names(rel):
    p = os.path.join(HERE, f"torch-{rel}.json")
    if not os.path.exists(p):
        return None
    with open(p) as fh:
        return set(json.load(fh)["python"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--offline", action="store_true")
    ap.add_argument("--out", default=os.path.join(HERE, "releases.json"))
    ap.add_argument("--download-only", action="store_true")
    args = ap.parse_args()
    os.makedirs(WHEELS, exist_ok=True)
    if args.download_only:
        for rel in RELEASES:
            w = wheel_path(rel) or download(rel)
            print(f"{rel}: {w or 'NOT FOUND'}", file=sys.stderr)
        return
    present = {}
    for rel in RELEASES:
        w = wheel_path(rel) or (None if args.offline else download(rel))
        if not w:
            if args.offline:
                print(f"{rel}: no wheel, skipped", file=sys.stderr)
                continue
            sys.exit(f"no wheel for torch {rel} in {WHEELS}")
        present[rel] = static_names(Wheel(w))
        print(f"{rel}: {os.path.basename(w)}: {len(present[rel])} static names", file=sys.stderr)

    catalogs = {rel: catalog_names(rel) for rel in RELEASES}
    universe = set().union(*(v for v in catalogs.values() if v))
    # Dunders the pyi/_tensor.py spell for every release but the catalog drops as plumbing are not
    # in the universe, so they never appear here.
    disagreements = {}
    for rel, cat in catalogs.items():
        if cat is None:
            continue
        if rel not in present:
            continue
        static = present[rel] & universe
        only_static = sorted(static - cat)
        only_dynamic = sorted(cat - static)
        if only_static or only_dynamic:
            disagreements[rel] = {"staticOnly": only_static, "catalogOnly": only_dynamic}
        print(f"{rel}: catalog {len(cat)} names; static misses {len(only_dynamic)}, static-only {len(only_static)}", file=sys.stderr)

    names = {}
    blind = set()
    for name in sorted(universe):
        # Static reading, plus the catalog of the releases that have one (their import-time truth
        # covers what the stubs do not list, e.g. Tensor.is_cpu in 1.13's pyi). A name the static
        # reading finds in no release at all (Tensor.cfloat: no stub anywhere) is judged by the
        # catalogs alone and assumed present between the first and last catalog listing it.
        seen_static = [rel for rel in RELEASES if name in present.get(rel, ())]
        if seen_static:
            have = [rel for rel in RELEASES if name in present.get(rel, ()) or (catalogs[rel] and name in catalogs[rel])]
        else:
            blind.add(name)
            cat_have = [rel for rel in RELEASES if catalogs[rel] and name in catalogs[rel]]
            have = RELEASES[RELEASES.index(cat_have[0]):RELEASES.index(cat_have[-1]) + 1] if cat_have else []
            if catalogs[RELEASES[-1]] is not None and name in catalogs[RELEASES[-1]] and cat_have[0] == RELEASES[0]:
                have = list(RELEASES)
        if len(have) == len(RELEASES) or not have:
            continue
        first, last = have[0], have[-1]
        span = RELEASES[RELEASES.index(first):RELEASES.index(last) + 1]
        gaps = [r for r in span if r not in have]
        entry = [first, None if last == RELEASES[-1] else last]
        if gaps:
            entry.append(gaps)
        names[name] = entry
    if blind:
        disagreements["neverStatic"] = {"names": sorted(blind)}

    lines = ["{", f'"releases": {json.dumps(RELEASES)},', '"disagreements": {']
    keys = sorted(disagreements)
    for i, rel in enumerate(keys):
        lines.append(f"{json.dumps(rel)}: {json.dumps(disagreements[rel], sort_keys=True, separators=(',', ':'))}" + ("," if i < len(keys) - 1 else ""))
    lines.append("},")
    lines.append('"names": {')
    keys = sorted(names)
    for i, k in enumerate(keys):
        lines.append(f"{json.dumps(k)}: {json.dumps(names[k], separators=(',', ':'))}" + ("," if i < len(keys) - 1 else ""))
    lines.append("},")
    lines.append(f'"wheels": {json.dumps({rel: os.path.basename(wheel_path(rel) or "") for rel in RELEASES}, sort_keys=True, separators=(",", ":"))}')
    lines.append("}")
    with open(args.out, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print(f"wrote {args.out}: {len(names)} names with limited presence", file=sys.stderr)
    for rel, d in disagreements.items():
        if rel == "neverStatic":
            print(f"found by no static reading (decided by the catalogs): {d['names']}", file=sys.stderr)
            continue
        print(f"{rel} catalog-only (static reading misses): {d['catalogOnly']}", file=sys.stderr)
        print(f"{rel} static-only (catalog lacks): {d['staticOnly']}", file=sys.stderr)


if __name__ == "__main__":
    main()
