"""Generate the torch API catalog of one PyTorch release: kernels/catalog/torch-<release>.json.

Run with the Python of the release to catalog (kernels/catalog/setup.sh prepares them):

    ~/.cache/memlens-truth/torch-1.13/bin/python kernels/catalog/generate.py   # -> torch-1.13.json
    ~/.cache/memlens-venvs/torch213/bin/python   kernels/catalog/generate.py   # -> torch-2.13.json

Options: --out PATH (default kernels/catalog/torch-<release>.json), --no-dtype (skip the dtype
measurement), --check (compare the saved-attribute gates with the C++ that the release's own
gen_variable_type.emit_body generates, and report differences on stderr).

Sections (see README.md next to this file for the full format):
  "python": every public callable of the torch surface (torch.X, torch.linalg.X, torch.special.X,
            torch.fft.X, F.X, nn.X, Tensor.X methods/properties) with its Python-visible overloads;
            for C++ bindings these are derived with the release's torchgen exactly as
            tools/autograd/gen_python_functions.py does (same filter, same deprecated.yaml
            signatures, same overload grouping and order).
  "aten":   schema, tags, composite/inplace/view flags, what autograd saves (from the release's
            derivatives.yaml through its load_derivatives.py and the guard logic of its
            gen_variable_type.py) and, for pointwise ops, the measured output-dtype rule.

Sources of the autograd codegen:
  2.x:  torchgen.packaged.autograd (shipped in the wheel).
  1.13: Debian's python3-torch ships torchgen but not tools/autograd; the exact 1.13.1 sources are
        extracted by setup.sh to ~/.cache/memlens-venvs/src113/pytorch-1.13.1/tools/autograd
        (override with MEMLENS_SRC113).
"""
import argparse
import ast
import collections
import importlib
import inspect
import json
import os
import re
import sys
import time
import typing

import torch

torch.set_num_threads(1)

RELEASE = ".".join(torch.__version__.split("+")[0].split(".")[:2])
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
GENERATOR = "kernels/catalog/generate.py"


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# The release's torchgen and autograd codegen
# ---------------------------------------------------------------------------------------------

import torchgen  # noqa: E402
from torchgen.gen import parse_native_yaml  # noqa: E402
from torchgen.model import SchemaKind, Variant  # noqa: E402
from torchgen.api import autograd as tg_autograd  # noqa: E402
from torchgen.api import types as tg_types  # noqa: E402

TORCHGEN = os.path.dirname(torchgen.__file__)
NATIVE_DIR = os.path.join(TORCHGEN, "packaged", "ATen", "native")
NATIVE_YAML = os.path.join(NATIVE_DIR, "native_functions.yaml")
TAGS_YAML = os.path.join(NATIVE_DIR, "tags.yaml")

if os.path.exists(os.path.join(TORCHGEN, "packaged", "autograd", "derivatives.yaml")):
    AUTOGRAD_PKG = "torchgen.packaged.autograd"
    AUTOGRAD_DIR = os.path.join(TORCHGEN, "packaged", "autograd")
else:
    src = os.environ.get("MEMLENS_SRC113", os.path.expanduser("~/.cache/memlens-venvs/src113/pytorch-1.13.1"))
    if not os.path.exists(os.path.join(src, "tools", "autograd", "derivatives.yaml")):
        sys.exit(f"tools/autograd of PyTorch {torch.__version__} not found under {src}: run kernels/catalog/setup.sh")
    sys.path.insert(0, src)
    AUTOGRAD_PKG = "tools.autograd"
    AUTOGRAD_DIR = os.path.join(src, "tools", "autograd")

gpf = importlib.import_module(AUTOGRAD_PKG + ".gen_python_functions")
load_derivatives_mod = importlib.import_module(AUTOGRAD_PKG + ".load_derivatives")
gvt = importlib.import_module(AUTOGRAD_PKG + ".gen_variable_type")
giov = importlib.import_module(AUTOGRAD_PKG + ".gen_inplace_or_view_type")
DERIVATIVES_YAML = os.path.join(AUTOGRAD_DIR, "derivatives.yaml")
DEPRECATED_YAML = os.path.join(AUTOGRAD_DIR, "deprecated.yaml")
TEMPLATES = os.path.join(AUTOGRAD_DIR, "templates")
TORCH_DIR = os.path.dirname(torch.__file__)


def rel_path(p):
    """A path for the output that does not depend on this machine."""
    for root, tag in ((TORCHGEN, "torchgen"), (AUTOGRAD_DIR, "tools/autograd")):
        if p.startswith(root):
            return tag + p[len(root):]
    return p


# ---------------------------------------------------------------------------------------------
# Types and defaults
# ---------------------------------------------------------------------------------------------


def schema_type(t):
    """torchgen Type -> catalog type string: the schema spelling with SymInt folded into int."""
    s = str(t)
    return re.sub(r"\bSymInt\b", "int", s)


def parse_list_literal(s):
    body = s.strip()[1:-1].strip()
    if not body:
        return []
    out = []
    for part in body.split(","):
        v = parse_scalar_literal(part.strip())
        out.append(v)
    return out


def parse_scalar_literal(s):
    s = s.strip()
    if s in ("True", "true"):
        return True
    if s in ("False", "false"):
        return False
    if s in ("None", "nullptr", "c10::nullopt", "::std::nullopt", "std::nullopt"):
        return None
    try:
        return int(s)
    except ValueError:
        pass
    try:
        return float(s)
    except ValueError:
        pass
    if len(s) >= 2 and s[0] == '"' and s[-1] == '"':
        try:
            return ast.literal_eval(s)
        except Exception:
            return s[1:-1]
    return s


SPECIAL_DEFAULTS = {
    "at::Reduction::Mean": 1,
    "at::Reduction::Sum": 2,
    "at::Reduction::None": 0,
    "Mean": 1,
    "MemoryFormat::Contiguous": "contiguous_format",
    "c10::MemoryFormat::Contiguous": "contiguous_format",
    "at::MemoryFormat::Contiguous": "contiguous_format",
    "contiguous_format": "contiguous_format",
    "preserve_format": "preserve_format",
    "MemoryFormat::Preserve": "preserve_format",
    "at::kLong": "int64",
    "kLong": "int64",
    "at::kStrided": "strided",
    "long": "int64",
}


def convert_default(default, type_str):
    """A C++/arg-parser default string -> JSON value (sized int lists with a scalar default expand)."""
    d = default.strip()
    if d in SPECIAL_DEFAULTS:
        return SPECIAL_DEFAULTS[d]
    is_list = type_str is not None and "[" in type_str and not type_str.endswith("?")
    if d == "{}":
        return [] if is_list else None
    if d.startswith("{") or d.startswith("["):
        return parse_list_literal(d)
    v = parse_scalar_literal(d)
    if is_list and isinstance(v, (int, float)) and not isinstance(v, bool):
        m = re.search(r"\[(\d+)\]$", type_str)
        if m:
            return [v] * int(m.group(1))
    return v


def param(name, kind, type_str, default=None, required=False, default_repr=None):
    p = {"name": name, "kind": kind, "type": type_str}
    if required:
        p["required"] = True
    else:
        p["default"] = default
        if default_repr is not None:
            p["defaultRepr"] = default_repr
    return p


# ---------------------------------------------------------------------------------------------
# C++ bindings generated by gen_python_functions.py
# ---------------------------------------------------------------------------------------------


def python_arg(a, method):
    """PythonArgument -> param (name as PythonArgument.argument_str spells it)."""
    t = schema_type(a.type)
    name = a.name
    if name == "self" and t == "Tensor" and not method:  # argument_str: only a Tensor self is "input"
        name = "input"
    if a.default is None:
        return param(name, None, t, required=True)
    return param(name, None, t, convert_default(a.default, t))


def overload_of_signature(sig, f, method):
    """One PythonSignature (functional half of a PythonSignatureGroup) -> overload dict."""
    params = []
    for a in sig.input_args:
        p = python_arg(a, method)
        p["kind"] = "normal"
        params.append(p)
    for a in list(sig.input_kwargs) + list(sig.tensor_options_args):
        p = python_arg(a, method)
        p["kind"] = "keyword"
        params.append(p)
    ov = {"params": params, "aten": aten_name(f)}
    # python_arg_parser.cpp FunctionSignature::parse: "if there is a single positional IntArrayRef
    # argument, i.e. expand(..), view(...), allow a var-args style IntArrayRef" -- the condition is
    # max_pos_args == 1 && type is INT_LIST or SYM_INT_LIST (sized lists included). TensorList is
    # NOT accepted as varargs by the C++ parser (torch.cat(a, b) fails in 1.13 and 2.x).
    if len(sig.input_args) == 1 and re.fullmatch(r"(Sym)?Int\[\d*\]", str(sig.input_args[0].type).replace("int[", "Int[")):
        ov["varargs"] = True
    if sig.deprecated:
        ov["deprecated"] = True
    return ov


def aten_name(f):
    return str(f.func.name)


class Bindings:
    """Python-visible overloads of every generated C++ binding, by (module, python name)."""

    MODULES = {
        "torch": "is_py_torch_function",
        "nn": "is_py_nn_function",
        "linalg": "is_py_linalg_function",
        "special": "is_py_special_function",
        "fft": "is_py_fft_function",
    }

    def __init__(self, native_functions):
        fns = [f for f in native_functions if gpf.should_generate_py_binding(f)]
        self.overloads = {}
        methods = gpf.load_signatures(fns, DEPRECATED_YAML, method=True)
        functions = gpf.load_signatures(fns, DEPRECATED_YAML, method=False)
        self._add("method", methods, gpf.is_py_variable_method, True)
        for mod, pred in self.MODULES.items():
            self._add(mod, functions, getattr(gpf, pred), False)

    def _add(self, module, pairs, pred, method):
        grouped = gpf.group_filter_overloads(pairs, pred)
        for name in sorted(grouped, key=str):
            groups = gpf.group_overloads(grouped[name])
            self.overloads[(module, str(name))] = [
                overload_of_signature(g.signature, g.base, method) for g in groups
            ]

    def get(self, module, name):
        return self.overloads.get((module, name))


# ---------------------------------------------------------------------------------------------
# Manual C++ bindings: PythonArgParser strings in the release's templates, then .pyi stubs
# ---------------------------------------------------------------------------------------------

ARGPARSER_TYPES = {
    "Tensor": "Tensor", "Tensor?": "Tensor?", "int64_t": "int", "int64_t?": "int?", "SymInt": "int",
    "SymInt?": "int?", "double": "float", "double?": "float?", "bool": "bool", "bool?": "bool?",
    "IntArrayRef": "int[]", "IntArrayRef?": "int[]?", "SymIntArrayRef": "int[]", "SymIntArrayRef?": "int[]?",
    "ScalarType": "ScalarType", "ScalarType?": "ScalarType?", "MemoryFormat": "MemoryFormat",
    "MemoryFormat?": "MemoryFormat?", "Device": "Device", "Device?": "Device?", "Layout": "Layout",
    "Layout?": "Layout?", "Scalar": "Scalar", "Scalar?": "Scalar?", "c10::string_view": "str",
    "c10::string_view?": "str?", "std::string": "str", "std::string?": "str?", "Generator?": "Generator?",
    "TensorList": "Tensor[]", "DimnameList": "Dimname[]", "DimnameList?": "Dimname[]?", "Dimname": "Dimname",
    "Storage": "Storage", "Stream": "Stream", "PyObject*": None, "TensorOptions": None,
}


def parse_argparser_signature(s):
    """'size(int64_t? dim=None)' -> (name, overload dict without aten)."""
    deprecated = s.endswith("|deprecated")
    s = s.split("|")[0]
    m = re.match(r"(\w+)\((.*)\)$", s.strip())
    name, body = m.group(1), m.group(2)
    params, kind = [], "normal"
    for part in split_top(body):
        part = part.strip()
        if not part:
            continue
        if part == "*":
            kind = "keyword"
            continue
        decl, eq, dflt = part.partition("=")
        tname, _, pname = decl.strip().rpartition(" ")
        sized = re.match(r"(\w+)\[(\d+)\](\??)$", tname)
        if sized:
            base = ARGPARSER_TYPES.get(sized.group(1) + sized.group(3), None)
            t = base.replace("[]", f"[{sized.group(2)}]") if base else None
        else:
            t = ARGPARSER_TYPES.get(tname, None)
        if eq:
            params.append(param(pname, kind, t, convert_default(dflt, t)))
        else:
            params.append(param(pname, kind, t, required=True))
    ov = {"params": params, "aten": None}
    positional = [p for p in params if p["kind"] == "normal"]
    if len(positional) == 1 and positional[0]["type"] in ("int[]",):
        ov["varargs"] = True
    if deprecated:
        ov["deprecated"] = True
    return name, ov


def split_top(s):
    parts, depth, cur = [], 0, ""
    for ch in s:
        if ch in "([{<":
            depth += 1
        elif ch in ")]}>":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur)
    return parts


class Template:
    """Method tables and PythonArgParser strings of a python_*.cpp template."""

    def __init__(self, path):
        self.text = open(path).read() if os.path.exists(path) else ""
        # {"__add__", castPyCFunctionWithKeywords(TypeError_to_NotImplemented_<THPVariable_add>), METH_..., nullptr},
        self.table = {}
        for m in re.finditer(r'\{\s*"(\w+)"\s*,\s*([^,]*?(?:\([^)]*\))?[^,]*?)\s*,\s*(METH_[A-Z_ |]+)', self.text):
            pyname, fn, flags = m.group(1), m.group(2), m.group(3)
            cm = re.findall(r"THP\w*?Variable_(\w+)", fn)
            if cm:
                self.table[pyname] = (cm[-1], flags.strip())

    def body(self, cname):
        m = re.search(r"PyObject\s*\*\s*THP\w*?Variable_" + re.escape(cname) + r"\s*\(", self.text)
        if not m:
            return ""
        end = self.text.find("\n}\n", m.end())
        return self.text[m.end():end if end > 0 else None]

    def delegate(self, cname):
        """A manual binding that ends by calling another binding (__eq__ -> THPVariable_eq)."""
        m = re.search(r"return\s+THPVariable_(\w+)\(\s*self_?\s*,\s*args\s*,\s*kwargs\s*\)", self.body(cname))
        return m.group(1) if m else None

    def parser_strings(self, cname):
        body = self.body(cname)
        if not body:
            return None
        pm = re.search(r"PythonArgParser\s+parser\s*\(\s*\{(.*?)\}\s*(?:,[^)]*)?\)\s*;", body, re.S)
        if not pm:
            return None
        return [ast.literal_eval(x) for x in re.findall(r'"(?:[^"\\]|\\.)*"', pm.group(1))]


PYI_TYPES = {
    "Tensor": "Tensor", "Tensor | None": "Tensor?", "Optional[Tensor]": "Tensor?",
    "_int": "int", "int": "int", "_int | None": "int?", "Optional[_int]": "int?", "int | None": "int?",
    "_float": "float", "float": "float", "_float | None": "float?", "Optional[_float]": "float?",
    "_bool": "bool", "bool": "bool", "_bool | None": "bool?", "Optional[_bool]": "bool?",
    "str": "str", "str | None": "str?", "Optional[str]": "str?",
    "Number": "Scalar", "Number | _complex": "Scalar", "Union[Number, _complex]": "Scalar",
    "Number | _complex | None": "Scalar?", "Optional[Union[Number, _complex]]": "Scalar?",
    "_dtype": "ScalarType", "_dtype | None": "ScalarType?", "Optional[_dtype]": "ScalarType?",
    "_size": "int[]", "Sequence[_int | SymInt]": "int[]", "Sequence[Union[_int, SymInt]]": "int[]",
    "_int | SymInt": "int", "Union[_int, SymInt]": "int",
    "DeviceLikeType | None": "Device?", "Optional[DeviceLikeType]": "Device?", "_device | None": "Device?",
    "Optional[_device]": "Device?", "Optional[Union[_device, str, None]]": "Device?",
    "_layout | None": "Layout?", "Optional[_layout]": "Layout?", "_layout": "Layout",
    "Generator | None": "Generator?", "Optional[Generator]": "Generator?",
    "memory_format": "MemoryFormat", "memory_format | None": "MemoryFormat?", "Optional[memory_format]": "MemoryFormat?",
    "tuple[Tensor, ...] | list[Tensor]": "Tensor[]", "Union[Tuple[Tensor, ...], List[Tensor]]": "Tensor[]",
    "Sequence[Tensor]": "Tensor[]",
}


class Pyi:
    """Overloads from a .pyi stub: top-level defs and the methods of one class."""

    def __init__(self, path, cls=None):
        self.defs = collections.defaultdict(list)
        if not os.path.exists(path):
            return
        tree = ast.parse(open(path).read())
        body = tree.body
        if cls:
            body = []
            for node in tree.body:
                if isinstance(node, ast.ClassDef) and node.name in cls:
                    body = node.body
                    break
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.defs[node.name].append(node)

    def overloads(self, name, method):
        nodes = self.defs.get(name)
        if not nodes:
            return None
        out = []
        for n in nodes:
            if any(isinstance(d, ast.Name) and d.id == "property" for d in n.decorator_list):
                return None
            out.append(self.overload(n, method))
        return out

    @staticmethod
    def overload(node, method):
        a = node.args
        params = []
        positional = list(a.posonlyargs) + list(a.args)
        defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
        for i, (arg, d) in enumerate(zip(positional, defaults)):
            if method and i == 0:
                continue
            kind = "positional" if i < len(a.posonlyargs) else "normal"
            params.append(Pyi.param(arg, kind, d))
        if a.vararg:
            params.append(param(a.vararg.arg, "varargs", Pyi.type_of(a.vararg), required=True))
        for arg, d in zip(a.kwonlyargs, a.kw_defaults):
            params.append(Pyi.param(arg, "keyword", d))
        if a.kwarg:
            params.append(param(a.kwarg.arg, "varkw", None, required=True))
        params = [p for p in params if p["name"] != "out"]
        return {"params": params, "aten": None}

    @staticmethod
    def type_of(arg):
        if arg.annotation is None:
            return None
        return PYI_TYPES.get(ast.unparse(arg.annotation).replace("torch.", ""))

    @staticmethod
    def param(arg, kind, d):
        t = Pyi.type_of(arg)
        if d is None:
            return param(arg.arg, kind, t, required=True)
        try:
            v = ast.literal_eval(d)
            if isinstance(v, (list, tuple)):
                v = list(v)
            if v is Ellipsis:
                return param(arg.arg, kind, t, None, default_repr="...")
            json.dumps(v)
            return param(arg.arg, kind, t, v)
        except Exception:
            return param(arg.arg, kind, t, None, default_repr=ast.unparse(d))


# ---------------------------------------------------------------------------------------------
# Python-defined callables (inspect.signature)
# ---------------------------------------------------------------------------------------------

KIND = {
    inspect.Parameter.POSITIONAL_ONLY: "positional",
    inspect.Parameter.POSITIONAL_OR_KEYWORD: "normal",
    inspect.Parameter.VAR_POSITIONAL: "varargs",
    inspect.Parameter.KEYWORD_ONLY: "keyword",
    inspect.Parameter.VAR_KEYWORD: "varkw",
}

ANNOTATION_TYPES = {
    "Tensor": "Tensor", "Optional[Tensor]": "Tensor?",
    "int": "int", "Optional[int]": "int?", "float": "float", "Optional[float]": "float?",
    "bool": "bool", "Optional[bool]": "bool?", "str": "str", "Optional[str]": "str?",
    "List[int]": "int[]", "Optional[List[int]]": "int[]?", "Tuple[int,...]": "int[]", "Sequence[int]": "int[]",
    "_size": "int[]", "_size_1_t": "int[1]", "_size_2_t": "int[2]", "_size_3_t": "int[3]",
    "_size_any_t": "int[]", "_size_2_opt_t": "int[2]?", "_size_3_opt_t": "int[3]?",
    "_size_any_opt_t": "int[]?", "_ratio_2_t": "float[2]", "_ratio_3_t": "float[3]", "_ratio_any_t": "float[]",
    "BroadcastingList1[int]": "int[1]", "BroadcastingList2[int]": "int[2]", "BroadcastingList3[int]": "int[3]",
    "Optional[BroadcastingList1[int]]": "int[1]?", "Optional[BroadcastingList2[int]]": "int[2]?",
    "Optional[BroadcastingList3[int]]": "int[3]?", "BroadcastingList2[float]": "float[2]",
    "BroadcastingList3[float]": "float[3]", "List[Tensor]": "Tensor[]", "Sequence[Tensor]": "Tensor[]",
    "Tuple[Tensor,...]": "Tensor[]", "Optional[List[Tensor]]": "Tensor[]?", "List[float]": "float[]",
    "Optional[List[float]]": "float[]?", "DType": "ScalarType", "Optional[DType]": "ScalarType?",
    "dtype": "ScalarType", "Optional[dtype]": "ScalarType?", "_dtype": "ScalarType", "Optional[_dtype]": "ScalarType?",
    "Optional[Generator]": "Generator?", "Number": "Scalar", "Union[int,float]": "Scalar",
    "Optional[Number]": "Scalar?", "device": "Device", "Optional[device]": "Device?",
    "Optional[Union[device,str,int]]": "Device?", "Optional[Union[str,device]]": "Device?",
}


def _union_members(s):
    m = re.fullmatch(r"(?:Union|Optional)\[(.*)\]", s)
    if m:
        parts = split_top(m.group(1))
        if s.startswith("Optional"):
            parts.append("None")
        return [x for p in parts for x in _union_members(p)]
    parts = split_top(s.replace("|", ","))
    if len(parts) > 1:
        return [x for p in parts for x in _union_members(p)]
    return [s]


def _member_type(m):
    t = ANNOTATION_TYPES.get(m)
    if t:
        return t
    if m == "Size":
        return "int[]"
    if re.fullmatch(r"Literal\[('[^']*',?)+\]", m):
        return "str"
    mm = re.fullmatch(r"(?:Tuple|List|Sequence)\[(int|float|Tensor)((?:,\1)*)\]", m)
    if mm:
        n = 1 + mm.group(2).count(",")
        return f"{mm.group(1)}[{n}]" if m.startswith("Tuple") else f"{mm.group(1)}[]"
    mm = re.fullmatch(r"(?:Tuple|List|Sequence)\[(int|float|Tensor)(?:,\.\.\.)?\]", m)
    if mm:
        return f"{mm.group(1)}[]"
    return None


def annotation_type(ann):
    """A Python annotation -> catalog type when it is plain (Tensor, int, int[2] = int or 2-tuple ...)."""
    if ann is inspect.Parameter.empty:
        return None
    s = ann if isinstance(ann, str) else getattr(ann, "__name__", None) if isinstance(ann, type) else repr(ann)
    if s is None:
        return None
    s = re.sub(r"\b(typing|typing_extensions|collections\.abc|torch\.nn\.common_types|torch\.types|torch\._C|torch\.nn\.modules\.utils|torch|_jit_internal)\.", "", s)
    s = s.replace(" ", "")
    s = re.sub(r"\blist\[", "List[", s)
    s = re.sub(r"\btuple\[", "Tuple[", s)
    if s in ANNOTATION_TYPES:
        return ANNOTATION_TYPES[s]
    members = _union_members(s)
    optional = any(m in ("None", "NoneType") for m in members)
    members = [m for m in members if m not in ("None", "NoneType")]
    types = {_member_type(m) for m in members}
    if None in types or not types:
        return None
    if types == {"int", "float"}:
        t = "Scalar"
    elif len(types) == 1:
        t = types.pop()
    else:
        scal = {x for x in types if "[" not in x}
        lists = {x for x in types if "[" in x}
        if len(scal) == 1 and lists and all(x.startswith(next(iter(scal)) + "[") for x in lists):
            sizes = {x[x.index("["):] for x in lists}
            t = next(iter(scal)) + (sizes.pop() if len(sizes) == 1 else "[]")
        else:
            return None
    if optional and not t.endswith("?"):
        t += "?"
    return t


def encode_default(v):
    if v is inspect.Parameter.empty:
        return {"required": True}
    if v is None or isinstance(v, (bool, int, str)):
        return {"default": v}
    if isinstance(v, float):
        return {"default": v} if v == v and v not in (float("inf"), float("-inf")) else {"default": None, "defaultRepr": repr(v)}
    if isinstance(v, (tuple, list)) and all(isinstance(x, (bool, int, float, str, type(None))) for x in v):
        return {"default": list(v)}
    if isinstance(v, torch.dtype):
        return {"default": str(v).replace("torch.", "")}
    if isinstance(v, torch.memory_format):
        return {"default": str(v).replace("torch.", "")}
    if inspect.ismodule(v):
        return {"default": None, "defaultRepr": v.__name__}
    if callable(v) and getattr(v, "__module__", None) and getattr(v, "__qualname__", None):
        name = f"{v.__module__}.{v.__qualname__}".replace("torch.nn.functional.", "F.")
        return {"default": None, "defaultRepr": name}
    return {"default": None, "defaultRepr": re.sub(r" at 0x[0-9a-f]+", "", repr(v))}


def python_overload(fn, skip_self=False):
    sig = inspect.signature(fn)
    params = []
    for i, (name, p) in enumerate(sig.parameters.items()):
        if skip_self and i == 0:
            continue
        entry = {"name": name, "kind": KIND[p.kind], "type": annotation_type(p.annotation)}
        if name == "dtype" and entry["type"] in ("int", "int?"):
            entry["type"] = "ScalarType" + entry["type"][3:]  # torch.nn.functional: DType = int (TorchScript)
        entry.update(encode_default(p.default))
        if entry["type"] is None and isinstance(entry.get("default"), bool):
            entry["type"] = "bool"
        params.append(entry)
    return {"params": params, "aten": None}


DOC_SIG = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.]*)\((.*?)\)\s*(->|$)", re.M)


def doc_overload(fn, skip_self=False):
    doc = getattr(fn, "__doc__", None) or ""
    m = DOC_SIG.search(doc)
    if not m:
        return None
    params, kind = [], "normal"
    for part in split_top(m.group(2)):
        part = part.strip()
        if part == "*":
            kind = "keyword"
            continue
        if part.startswith("**"):
            params.append(param(part[2:], "varkw", None, required=True))
            continue
        if part.startswith("*"):
            params.append(param(part[1:].split(":")[0].strip(), "varargs", None, required=True))
            kind = "keyword"
            continue
        name, _, dflt = part.partition("=")
        name = name.split(":")[0].strip()
        if skip_self and name == "self" and not params:
            continue
        if dflt:
            try:
                v = ast.literal_eval(dflt.strip())
                json.dumps(v)
                params.append(param(name, kind, None, list(v) if isinstance(v, tuple) else v))
            except Exception:
                params.append(param(name, kind, None, None, default_repr=dflt.strip()))
        else:
            params.append(param(name, kind, None, required=True))
    params = [p for p in params if p["name"] != "out"]
    return {"params": params, "aten": None}


# ---------------------------------------------------------------------------------------------
# The "python" section
# ---------------------------------------------------------------------------------------------


def is_typing_name(obj):
    return getattr(obj, "__module__", None) in ("typing", "typing_extensions") or type(obj).__module__ in ("typing", "typing_extensions")


# Tensor dunders that are Python object plumbing, not operations on tensors.
TENSOR_DUNDER_SKIP = {
    "__class__", "__delattr__", "__dict__", "__dir__", "__doc__", "__getattribute__", "__getstate__",
    "__init__", "__init_subclass__", "__module__", "__new__", "__reduce__", "__reduce_ex__", "__setattr__",
    "__setstate__", "__sizeof__", "__slots__", "__subclasshook__", "__weakref__", "__deepcopy__",
    "__torch_function__", "__torch_dispatch__", "__annotations__", "__class_getitem__", "__dlpack__",
    "__dlpack_device__", "__array__", "__array_wrap__", "__array_priority__", "__cuda_array_interface__",
    "__firstlineno__", "__static_attributes__", "__orig_bases__", "__parameters__", "__type_params__",
    "__repr__", "__str__", "__format__", "__hash__", "__reversed__",
}

# Tensor properties whose getter (python_variable.cpp) calls one aten op.
PROPERTY_ATEN = {"T": "numpy_T", "H": "matrix_H", "mT": "mT", "mH": "mH", "real": "real", "imag": "imag"}

# Manual torch.X / Tensor.X bindings (python_torch_functions_manual.cpp, python_variable_methods.cpp
# helpers, python_variable_indexing.cpp) and the aten op they call.
MANUAL_ATEN = {
    "nonzero": "nonzero", "__invert__": "bitwise_not", "numel": "numel", "dim": "dim",
    "contiguous": "contiguous", "copy_": "copy_", "requires_grad_": "requires_grad_",
    # dispatch_to(self, dtype) / dispatch_to(self, device) in python_variable_methods.cpp
    "float": "to.dtype", "double": "to.dtype", "half": "to.dtype", "bfloat16": "to.dtype",
    "int": "to.dtype", "long": "to.dtype", "short": "to.dtype", "char": "to.dtype", "byte": "to.dtype",
    "bool": "to.dtype", "cfloat": "to.dtype", "cdouble": "to.dtype", "cpu": "to.device",
    "cuda": "to.device", "xpu": "to.device", "mtia": "to.device", "ipu": "to.device",
    "__bool__": "is_nonzero", "__nonzero__": "is_nonzero", "__float__": "item", "__int__": "item",
    "__long__": "item", "__index__": "item", "__complex__": "item",
}


class Catalog:
    def __init__(self, native_functions):
        t = time.time()
        self.nf_by_name = {aten_name(f): f for f in native_functions}
        self.nf_by_base = collections.defaultdict(list)
        for f in native_functions:
            if f.func.kind() != SchemaKind.out:
                self.nf_by_base[str(f.func.name.name)].append(f)
        self.bindings = Bindings(native_functions)
        log(f"bindings: {len(self.bindings.overloads)} groups ({time.time() - t:.1f}s)")
        self.method_template = Template(os.path.join(TEMPLATES, "python_variable_methods.cpp"))
        self.templates = {
            "torch": Template(os.path.join(TEMPLATES, "python_torch_functions.cpp")),
            "nn": Template(os.path.join(TEMPLATES, "python_nn_functions.cpp")),
        }
        self.pyi_vf = Pyi(os.path.join(TORCH_DIR, "_C", "_VariableFunctions.pyi"))
        self.pyi_c = Pyi(os.path.join(TORCH_DIR, "_C", "__init__.pyi"))
        self.pyi_tensor = Pyi(os.path.join(TORCH_DIR, "_C", "__init__.pyi"), cls=("TensorBase", "_TensorBase"))
        self.pyi_nn = Pyi(os.path.join(TORCH_DIR, "_C", "_nn.pyi"))
        self.c_modules = {
            "torch": torch._C._VariableFunctions,
            "nn": torch._C._nn,
            "linalg": getattr(torch._C, "_linalg", None),
            "special": getattr(torch._C, "_special", None),
            "fft": getattr(torch._C, "_fft", None),
        }
        self.identity = {}
        for mod, m in self.c_modules.items():
            if m is None:
                continue
            for name in dir(m):
                if name.startswith("__"):
                    continue
                obj = getattr(m, name)
                self.identity.setdefault(id(obj), (mod, name))
        self.unresolved = []

    # -- matching manual overloads to aten ops by parameter names
    def match_aten(self, name, ov, method):
        cands = self.nf_by_base.get(name, [])
        names = [p["name"] for p in ov["params"]]
        for f in cands:
            args = [a.name for a in f.func.arguments.flat_non_out if not (method and a.name == "self")]
            if not method:
                args = ["input" if a == "self" else a for a in args]
            if args == names or args == ["input" if n == "self" else n for n in names]:
                return aten_name(f)
        if len(cands) == 1 and not ov["params"]:
            return aten_name(cands[0])
        # else by the sequence of types (e.g. Tensor.to(Tensor tensor, ...) is to.other)
        types = [p["type"] for p in ov["params"]]
        hits = []
        for f in cands:
            args = [a for a in f.func.arguments.flat_non_out if not (method and a.name == "self")]
            if [schema_type(a.type) for a in args] == types:
                hits.append(f)
        if len(hits) == 1:
            return aten_name(hits[0])
        return None

    def builtin_entry(self, kind, obj, pyname, pyi=None, method=False):
        """Overloads of a C++-bound callable: generated binding, template parser strings, .pyi, doc."""
        ref = self.identity.get(id(obj))
        if ref is not None:
            ovs = self.bindings.get(*ref)
            if ovs is not None:
                return {"kind": kind, "python": False, "overloads": ovs}
            tmpl = self.templates.get(ref[0])
            if tmpl is not None:
                strs = tmpl.parser_strings(ref[1])
                if strs:
                    ovs = [parse_argparser_signature(s)[1] for s in strs]
                    for ov in ovs:
                        ov["aten"] = self.match_aten(ref[1], ov, method)
                    return {"kind": kind, "python": False, "overloads": ovs}
            pyname = ref[1]
        ovs = None
        for p in (pyi if isinstance(pyi, (list, tuple)) else [pyi]):
            if p is not None and ovs is None:
                ovs = p.overloads(pyname, method)
        if ovs is None:
            ov = doc_overload(obj, skip_self=method)
            ovs = [ov] if ov else []
        if not ovs:
            self.unresolved.append(pyname)
        for ov in ovs:
            if ov["aten"] is None:
                a = MANUAL_ATEN.get(pyname)
                ov["aten"] = a if a in self.nf_by_name else self.match_aten(pyname, ov, method)
        return {"kind": kind, "python": False, "overloads": ovs}

    def python_entry(self, kind, fn, skip_self=False):
        dispatched = torch._jit_internal.boolean_dispatched.get(fn)
        if dispatched:
            fn = dispatched["if_false"]
        try:
            ov = python_overload(fn, skip_self)
        except (TypeError, ValueError):
            ov = doc_overload(fn, skip_self) or {"params": [], "aten": None}
        return {"kind": kind, "python": True, "overloads": [ov]}

    def callable_entry(self, kind, obj, name, pyi):
        if isinstance(obj, type(torch.ops.aten.add)):  # OpOverloadPacket exported at top level
            ovs = []
            for ov_name in obj.overloads():
                f = self.nf_by_name.get(name if ov_name == "default" else f"{name}.{ov_name}")
                if f is not None:
                    sig = f.func
                    params = [param(a.name, "normal", schema_type(a.type), required=True) if a.default is None
                              else param(a.name, "normal", schema_type(a.type), convert_default(a.default, schema_type(a.type)))
                              for a in sig.arguments.flat_non_out]
                    ovs.append({"params": params, "aten": aten_name(f)})
            return {"kind": kind, "python": False, "overloads": ovs}
        if inspect.isfunction(obj) or (hasattr(obj, "__wrapped__") and inspect.isfunction(inspect.unwrap(obj))):
            return self.python_entry(kind, obj)
        if callable(obj) and not inspect.isbuiltin(obj) and not isinstance(obj, type(len)):
            try:
                return {"kind": kind, "python": True, "overloads": [python_overload(obj)]}
            except (TypeError, ValueError):
                pass
        return self.builtin_entry(kind, obj, name, pyi)

    def module_functions(self, prefix, module, pyi=None, names=None):
        out = {}
        for name in sorted(names if names is not None else dir(module)):
            if name.startswith("_"):
                continue
            obj = getattr(module, name, None)
            if obj is None or inspect.ismodule(obj) or inspect.isclass(obj) or isinstance(obj, (torch.dtype, torch.layout, torch.memory_format)):
                continue
            if not callable(obj) or is_typing_name(obj):
                continue
            ref = self.identity.get(id(obj))
            if prefix == "torch" and ref is not None and ref[0] == "torch" and ref[1] != name:
                continue  # a loop variable left in torch/__init__.py (1.13: torch.obj)
            own = getattr(obj, "__name__", name)
            if prefix == "torch" and own != name and not inspect.isfunction(obj) and getattr(module, own, None) is obj:
                continue  # likewise (1.13: torch.candidate is torch.wait)
            out[f"{prefix}.{name}"] = self.callable_entry("function", obj, name, pyi)
        return out

    def torch_functions(self):
        return self.module_functions("torch", torch, [self.pyi_vf, self.pyi_c])

    def functional(self):
        import torch.nn.functional as F
        return self.module_functions("F", F, self.pyi_nn)

    def submodule(self, prefix, modname):
        mod = importlib.import_module(modname)
        return self.module_functions(prefix, mod, self.pyi_vf)

    def nn_modules(self):
        import torch.nn as nn
        out = {}
        for name in sorted(dir(nn)):
            obj = getattr(nn, name)
            if name.startswith("_") or not inspect.isclass(obj) or not issubclass(obj, nn.Module):
                continue
            try:
                ov = python_overload(obj.__init__, skip_self=True)
            except (TypeError, ValueError):
                ov = {"params": [], "aten": None}
            out[f"nn.{name}"] = {"kind": "module", "python": True, "overloads": [ov]}
        return out

    def tensor(self):
        base = getattr(torch._C, "TensorBase", None) or torch._C._TensorBase
        base_dict = base.__dict__
        by_id = {}
        for k, v in base_dict.items():
            by_id.setdefault(id(v), k)
        out = {}
        for name in sorted(dir(torch.Tensor)):
            if name.startswith("__"):
                if name in TENSOR_DUNDER_SKIP:
                    continue
            elif name.startswith("_"):
                continue
            try:
                st = inspect.getattr_static(torch.Tensor, name)
            except AttributeError:
                continue
            owner = next((c for c in type.mro(torch.Tensor) if name in c.__dict__), None)
            if owner is object or owner is None:
                continue
            key = f"Tensor.{name}"
            if isinstance(st, property) or type(st).__name__ in ("getset_descriptor", "member_descriptor"):
                python = isinstance(st, property)
                a = PROPERTY_ATEN.get(name)
                ovs = [{"params": [], "aten": a}] if a in self.nf_by_name else []
                out[key] = {"kind": "property", "python": python, "overloads": ovs}
                continue
            if isinstance(st, (classmethod, staticmethod)):
                continue
            if inspect.isfunction(st):
                inner = inspect.unwrap(st)
                if inspect.isfunction(inner) or id(inner) not in by_id:
                    out[key] = self.python_entry("method", st, skip_self=True)
                    continue
                # `__pow__ = _handle_torch_function_and_wrap_type_error_to_not_implemented(
                # _C.TensorBase.pow)`: a Python wrapper that calls the binding with the same
                # arguments, so it has the binding's overloads.
                st = inner
            bname = by_id.get(id(st), name)
            ovs = self.bindings.get("method", bname)
            if ovs is None and bname in self.method_template.table:
                cname, flags = self.method_template.table[bname]
                ovs = self.bindings.get("method", cname)
                if ovs is None and self.method_template.delegate(cname):
                    ovs = self.bindings.get("method", self.method_template.delegate(cname))
                if ovs is None:
                    strs = self.method_template.parser_strings(cname)
                    if strs:
                        ovs = [parse_argparser_signature(s)[1] for s in strs]
                    elif "METH_NOARGS" in flags:
                        ovs = [{"params": [], "aten": None}]
                    for ov in ovs or []:
                        a = MANUAL_ATEN.get(bname) or MANUAL_ATEN.get(cname)
                        ov["aten"] = a if a in self.nf_by_name else self.match_aten(cname, ov, True)
            if ovs is not None:
                out[key] = {"kind": "method", "python": False, "overloads": ovs}
            else:
                out[key] = self.builtin_entry("method", st, bname, self.pyi_tensor, method=True)
        return out

    def python_section(self):
        out = {}
        out.update(self.torch_functions())
        out.update(self.submodule("torch.linalg", "torch.linalg"))
        out.update(self.submodule("torch.special", "torch.special"))
        out.update(self.submodule("torch.fft", "torch.fft"))
        out.update(self.functional())
        out.update(self.nn_modules())
        out.update(self.tensor())
        return out


# ---------------------------------------------------------------------------------------------
# The "aten" section: schema, flags, what autograd saves
# ---------------------------------------------------------------------------------------------

TENSOR_CTYPES = []


def _tensor_ctypes():
    T = tg_types
    ts = [T.BaseCType(T.tensorT), T.OptionalCType(T.BaseCType(T.tensorT)),
          T.MutRefCType(T.OptionalCType(T.BaseCType(T.tensorT))), T.BaseCType(T.tensorListT),
          T.ListCType(T.OptionalCType(T.BaseCType(T.tensorT)))]
    if hasattr(T, "iTensorListRefT"):
        ts.append(T.BaseCType(T.iTensorListRefT))
    ts.append(T.VectorCType(T.BaseCType(T.tensorT)))
    return ts


def saved_is_tensor(attr, is_output):
    if not TENSOR_CTYPES:
        TENSOR_CTYPES.extend(_tensor_ctypes())
    t = attr.nctype.type
    return t in TENSOR_CTYPES or (is_output and t == tg_types.BaseCType(tg_types.scalarT))


def saved_name(attr):
    n = attr.nctype.name
    return n.name if hasattr(n, "name") and not isinstance(n, str) else str(n)


def args_with_derivatives(f, info):
    """emit_body's differentiable_inputs / find_args_with_derivatives, in argument order."""
    diff = []
    for a in f.func.arguments.non_out:
        a = getattr(a, "argument", a)  # SelfArgument
        if not hasattr(a, "type"):  # TensorOptionsArguments
            continue
        if tg_autograd.is_differentiable(a.name, a.type, info):
            diff.append(a)
    if info is None or not info.has_derivatives:
        return diff
    names = {n for d in info.derivatives for n in d.var_names}
    return [a for a in diff if a.name in names]


def guard_for(attr, info, awd, inplace_foreach):
    """Which input's requires_grad gates saving `attr` -- gen_variable_type.py emit_save_inputs.guard_for.

    The rule, identical in 1.13 and 2.x except for the last step:
      * no gate if any input with a formula is a TensorList (2.x: except in-place _foreach_ ops),
      * no gate if the derivatives.yaml entry name contains "backward",
      * no gate if at most one input has a formula (the grad_fn exists only if it needs grad),
      * no gate unless the saved attribute is a plain Tensor (optional tensors, lists, sizes,
        scalar types... are always saved),
      * no gate if the attribute is used by more than one formula,
      * the formula using it must compute exactly one input's gradient: then the attribute is saved
        only if that input requires grad (`grad_fn->should_compute_output(k)`, k = that input's
        position among the inputs with formulas);
      * 1.13: a formula computing several inputs' gradients at once -> no gate.
        2.x: such a formula may wrap the attribute as `wrap_opt_if(attr, grad_input_mask[i] || ...)`;
        the condition's grad_input_mask[i] is rewritten to should_compute_output(i) (i indexes the
        inputs with formulas) and gates the save; without wrap_opt_if -> no gate.
    Returns None, a list of gating input names (saved if ANY of them requires grad), or a raw string.
    """
    if any(giov.is_tensor_list_type(a.type) for a in awd) and not inplace_foreach:
        return None
    if "backward" in info.name:
        return None
    if len(awd) <= 1:
        return None
    if attr.nctype.type != tg_types.BaseCType(tg_types.tensorT):
        return None
    used_in = [d for d in info.derivatives if attr in d.saved_inputs]
    if len(used_in) != 1:
        return None
    d = used_in[0]
    name = str(attr.nctype.name)
    if len(d.var_names) != 1:
        if RELEASE == "1.13":
            return None
        start = d.formula.find(f"wrap_opt_if({name}")
        if start == -1:
            return None
        m = re.match(rf"wrap_opt_if\({name},(.*?)\)", d.formula[start:])
        cond = m.group(0)[len(f"wrap_opt_if({name},"):-1].strip()
        idx = re.findall(r"grad_input_mask\[(\d+)\]", cond)
        if re.fullmatch(r"grad_input_mask\[\d+\](\s*\|\|\s*grad_input_mask\[\d+\])*", cond):
            return [awd[int(i)].name for i in idx]
        return re.sub(r"grad_input_mask\[(\d+)\]", lambda mm: f"requires_grad({awd[int(mm.group(1))].name})", cond)
    for a in awd:
        if a.name == d.var_names[0]:
            return [a.name]
    raise AssertionError(name)


PASSTHROUGH_WRAPPERS = [
    re.compile(r"^handle_r_to_c\([^,()]*(?:\([^()]*\))?[^,()]*,\s*(.*)\)$"),
    re.compile(r"^maybe_multiply\((.*),\s*alpha(?:\.conj\(\))?\)$"),
]


def passthrough_inputs(info):
    """Inputs whose gradient formula hands the incoming gradient on unchanged (`grad`, possibly
    under handle_r_to_c or maybe_multiply by the default alpha of 1): their gradient is the same
    tensor as the output's, not a new allocation (add's self and other, clone's self, ...)."""
    out = []
    for d in info.derivatives:
        if len(d.var_names) != 1:
            continue
        f = re.sub(r"\s+", " ", d.formula.strip())
        changed = True
        while changed:
            changed = False
            for w in PASSTHROUGH_WRAPPERS:
                m = w.match(f)
                if m:
                    f, changed = m.group(1).strip(), True
        if f in ("grad", "grads[0]"):
            out.append(d.var_names[0])
    return sorted(out)


def derivative_of(fn):
    f = fn.func
    info = fn.info.get("Default") if fn.info else None
    if info is None:
        return None
    inplace = f.func.kind() == SchemaKind.inplace
    inplace_foreach = inplace and str(f.func.name.name).startswith("_foreach")
    awd = args_with_derivatives(f, info)
    saved = []
    if info.has_derivatives:
        for attr in sorted(info.all_saved_inputs, key=lambda sa: str(sa.nctype.name)):
            g = guard_for(attr, info, awd, inplace_foreach)
            s = {"name": saved_name(attr), "tensor": saved_is_tensor(attr, False)}
            if attr.expr != saved_name(attr):
                s["expr"] = attr.expr
            s["if"] = g[0] if isinstance(g, list) and len(g) == 1 else g
            saved.append(s)
        for attr in sorted(info.all_saved_outputs, key=lambda sa: str(sa.nctype.name)):
            s = {"name": saved_name(attr), "tensor": saved_is_tensor(attr, True), "if": None, "output": True}
            if attr.expr != saved_name(attr):
                s["expr"] = attr.expr
            saved.append(s)
    d = {
        "differentiable": [a.name for a in awd] if info.has_derivatives else [],
        "passthrough": passthrough_inputs(info) if info.has_derivatives else [],
        "nonDifferentiable": sorted(info.non_differentiable_arg_names),
        "outputDifferentiable": list(info.output_differentiability) if info.output_differentiability is not None else None,
        "saved": saved,
    }
    if str(info.func.func.name) != str(f.func.name):
        d["from"] = str(info.func.func.name)  # the derivatives.yaml entry reused (in-place <- out-of-place)
    return d


def check_against_codegen(fn, d):
    """Compare our saved list and gates with the release's emit_body C++ (returns a problem or None)."""
    if tg_autograd.dispatch_strategy(fn) != "use_derived" or "Default" not in (fn.info or {}):
        return None
    try:
        body = gvt.emit_body(fn, "Default")
    except TypeError:
        body = gvt.emit_body(fn)
    text = "\n".join(body)
    start = text.find("if (_any_requires_grad) {")
    if start < 0:
        return None if not d or not [s for s in d["saved"] if s["name"] != "result"] else "no setup block"
    got, guard, depth = {}, None, 0
    lines = text[start:].splitlines()[1:]
    for line in lines:
        s = line.strip()
        if s.startswith("if (") and s.endswith("{"):
            guard = s[4:-3].strip()
            continue
        if s == "}":
            if guard is None:
                break
            guard = None
            continue
        m = re.match(r"grad_fn->(\w+?)_? = ", s)
        if m and "set_next_edges" not in s:
            name = m.group(1)
            got[name] = guard
    want = {}
    for s in (d or {}).get("saved", []):
        if s.get("output"):
            continue
        want[s["name"]] = s["if"]
    problems = []
    awd = args_with_derivatives(fn.func, fn.info["Default"])
    for name, g in want.items():
        cname = name if name in got else name.rstrip("_")
        if cname not in got:
            problems.append(f"{name}: not in codegen")
            continue
        cg = got[cname]
        if g is None:
            exp = None
        elif isinstance(g, str) and g in [a.name for a in awd]:
            exp = f"grad_fn->should_compute_output({[a.name for a in awd].index(g)})"
        elif isinstance(g, list):
            exp = " || ".join(f"grad_fn->should_compute_output({[a.name for a in awd].index(x)})" for x in g)
        else:
            exp = g
        if (cg or None) != exp:
            problems.append(f"{name}: codegen guard {cg!r}, ours {exp!r}")
    for cname in got:
        if cname.endswith("_size") and cname[:-5] in [a.name for a in awd]:
            continue  # grad_fn->X_size_ = X.size(): the length of a TensorList input
        if cname not in want and cname + "_" not in want:
            problems.append(f"{cname}: only in codegen")
    return "; ".join(problems) or None


DENSE_KERNEL_KEYS = ("CPU", "CUDA", "CompositeExplicitAutograd", "CompositeExplicitAutogradNonFunctional")


def is_composite(f):
    """CompositeImplicitAutograd on dense CPU/CUDA tensors: no kernel of its own for those backends,
    so autograd records the ops the decomposition calls. The dispatcher uses the CIA kernel for
    AutogradCPU/AutogradCUDA whenever CPU/CUDA have no direct kernel, even if derivatives.yaml
    registers an Autograd kernel (linear, matmul: that formula serves nested tensors / MPS only)."""
    if not f.has_composite_implicit_autograd_kernel:
        return False
    keys = set()
    for d in getattr(f, "dispatch", {}) or {}:
        keys.add(str(d).split(".")[-1])
    return not any(k in keys for k in DENSE_KERNEL_KEYS)


def is_view(f):
    return any(r.annotation is not None and not r.annotation.is_write for r in f.func.returns)


class AtenSection:
    def __init__(self, native_functions, check=False):
        t = time.time()
        ret = load_derivatives_mod.load_derivatives(DERIVATIVES_YAML, NATIVE_YAML, TAGS_YAML)
        infos = ret[0] if isinstance(ret, tuple) else ret
        self.explicit = {str(s.name) for s in infos}
        fns = sorted(native_functions, key=lambda f: str(f.func.name))
        self.fns = {str(fn.func.func.name): fn for fn in tg_autograd.match_differentiability_info(fns, infos)}
        log(f"derivatives: {len(infos)} entries, {len(self.fns)} matched functions ({time.time() - t:.1f}s)")
        self.check = check
        self.problems = []

    def reachable(self):
        out = set()
        for name, fn in self.fns.items():
            f = fn.func
            if f.func.kind() == SchemaKind.out:
                continue
            # Ops with a derivative formula, and the composite ones (einsum, relu6, nll_loss_nd)
            # whose names the op table uses for what they decompose into.
            if not fn.info and not f.has_composite_implicit_autograd_kernel:
                continue
            if str(f.func.name.name).startswith("_foreach") and name not in self.explicit:
                continue
            out.add(name)
        return out

    def entry(self, name):
        fn = self.fns[name]
        f = fn.func
        d = derivative_of(fn)
        e = {
            "schema": str(f.func),
            "tags": sorted(str(t) for t in f.tags),
            "composite": is_composite(f),
            "inplace": f.func.kind() == SchemaKind.inplace,
            "view": is_view(f),
            "derivative": d,
        }
        if e["inplace"] and d is not None and any(s["name"] == "self" and s["tensor"] for s in d["saved"]):
            # gen_variable_type.save_variables: for an in-place op whose (usually out-of-place)
            # formula uses `self`, the codegen saves `original_self = self.clone()` taken before the
            # op runs (under the same gate as `self`); it never refuses. 1.13 and 2.x alike.
            e["inplaceSavesOriginalSelf"] = True
        if self.check:
            p = check_against_codegen(fn, d)
            if p:
                self.problems.append(f"{name}: {p}")
        return e


# ---------------------------------------------------------------------------------------------
# Output dtype of pointwise ops, measured
# ---------------------------------------------------------------------------------------------

DT = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64, "bool": torch.bool}
SAME = ["float32", "float64", "int64", "bool"]
# (first operand dtype, second operand) -- the second operand is a tensor dtype, "0dim-int64",
# "int" (Python int) or "float" (Python float).
MIXED = [("float32", "0dim-int64"), ("float32", "int"), ("float32", "float"),
         ("float32", "float64"), ("int64", "float"), ("int64", "float32"), ("bool", "int")]
MASK_NAMES = ("condition", "mask")
# torch.ops in 1.13 turns a Python bool passed for a Scalar argument into an integer Scalar
# (torch.ops.aten.add.Scalar(bool_tensor, True) is int64 there, bool through torch.add and in 2.x):
# skip those combinations rather than record the artifact.
SCALAR_BOOL_OK = RELEASE != "1.13"


def make_tensor(dtype_name):
    if dtype_name == "bool":
        return torch.tensor([True, False, True])
    if dtype_name == "int64":
        return torch.tensor([1, 2, 3])
    return torch.tensor([0.25, 0.5, 0.75], dtype=DT[dtype_name])


def scalar_value(kind):
    return {"bool": True, "int64": 2, "float32": 2.0, "float64": 2.0, "int": 2, "float": 2.5}[kind]


def classify_dtype(f):
    func = f.func
    base, ov = str(func.name.name), func.name.overload_name or "default"
    packet = getattr(torch.ops.aten, base, None)
    op = getattr(packet, ov, None) if packet is not None else None
    if op is None:
        return None
    args = [a for a in func.arguments.flat_non_out]
    operands = [a for a in args if str(a.type) in ("Tensor", "Scalar") and a.default is None and a.name not in MASK_NAMES][:2]
    if not operands or not any(str(a.type) == "Tensor" for a in args):
        return None
    inplace = func.kind() == SchemaKind.inplace
    kwonly = {a.name for a in func.arguments.flat_kwarg_only}
    combos = [(d, d) for d in SAME] + (MIXED if len(operands) == 2 else [])

    def build(first, second, fill_optional):
        pos, kw = [], {}
        vals, first_tensor = [], None
        for a in args:
            t = str(a.type)
            if a in operands:
                spec = first if a is operands[0] else second
                if t == "Tensor":
                    if spec == "0dim-int64":
                        v = torch.tensor(2)
                    elif spec in ("int", "float"):
                        v = scalar_value(spec)
                    else:
                        v = make_tensor(spec)
                else:  # Scalar slot
                    if spec in DT and spec != first and a is not operands[0]:
                        return None  # a tensor dtype for a Scalar slot: not applicable
                    if spec == "0dim-int64":
                        return None
                    v = scalar_value(spec)
                    if isinstance(v, bool) and not SCALAR_BOOL_OK:
                        return None
                vals.append(v)
            elif t in ("Tensor", "Tensor?") and (a.default is None or fill_optional):
                v = make_tensor("bool") if a.name in MASK_NAMES else make_tensor(first)
            elif a.default is not None and not (fill_optional and t in ("Scalar?", "Tensor?")):
                continue
            elif t in ("Scalar", "Scalar?"):
                v = scalar_value(first if first in DT else "float32")
                if isinstance(v, bool) and not SCALAR_BOOL_OK:
                    return None
            elif t.startswith("int") or t.startswith("SymInt"):
                v = [0] if "[" in t else 1
            elif t.startswith("float"):
                v = 0.5
            elif t.startswith("bool"):
                v = False
            elif t.endswith("?"):
                v = None
            elif t.startswith("str"):
                v = "none"
            elif t.startswith("ScalarType"):
                v = torch.float32
            elif t.startswith("Generator") or t.endswith("?"):
                v = None
            else:
                return None
            if isinstance(v, torch.Tensor) and first_tensor is None and a.name not in MASK_NAMES:
                first_tensor = v
            if a.name in kwonly:
                kw[a.name] = v
            else:
                pos.append(v)
        return pos, kw, vals, first_tensor

    results = []
    for fill in (False, True):
        for first, second in combos:
            built = build(first, second, fill)
            if built is None:
                continue
            pos, kw, vals, first_tensor = built
            torch.manual_seed(0)
            try:
                out = op(*pos, **kw)
            except Exception:
                continue
            if isinstance(out, (tuple, list)):
                out = out[0] if out else None
            if not isinstance(out, torch.Tensor):
                return None
            try:
                promoted = torch.result_type(*vals) if len(vals) == 2 else vals[0].dtype if isinstance(vals[0], torch.Tensor) else None
            except Exception:
                promoted = None
            results.append((first, second, out.dtype, promoted, first_tensor.dtype if first_tensor is not None else None))
        if results:
            break
    if not results:
        return None

    def fits(rule):
        for first, second, got, promoted, self_dt in results:
            if rule == "promote":
                want = promoted
            elif rule == "promote-float":
                want = promoted if promoted is None or promoted.is_floating_point or promoted.is_complex else torch.get_default_dtype()
            elif rule == "bool":
                want = torch.bool
            elif rule == "int64":
                want = torch.int64
            else:
                want = self_dt
            if want != got:
                return False
        return True

    order = ["same-as-self", "promote", "promote-float", "bool", "int64"] if inplace else \
        ["promote", "promote-float", "bool", "same-as-self", "int64"]
    for rule in order:
        if fits(rule):
            return rule
    outs = {str(r[2]).replace("torch.", "") for r in results}
    if len(outs) == 1:
        return "other:" + outs.pop()
    return "other:" + ",".join(f"{r[0]}+{r[1]}->{str(r[2]).replace('torch.', '')}" if len(operands) == 2 else f"{r[0]}->{str(r[2]).replace('torch.', '')}" for r in results)


def pointwise_names_fallback():
    """1.13's tags.yaml has no "pointwise" tag: borrow the set from the newest 2.x catalog here."""
    best = None
    for fn in os.listdir(HERE):
        m = re.fullmatch(r"torch-(2)\.(\d+)\.json", fn)
        if m and (best is None or int(m.group(2)) > best[0]):
            best = (int(m.group(2)), fn)
    if best is None:
        return None, set()
    names = set()
    with open(os.path.join(HERE, best[1])) as fh:
        data = json.load(fh)
    for k, v in data["aten"].items():
        if "pointwise" in v.get("tags", []):
            names.add(k)
    return best[1], names


# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------


def compact(v):
    return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def write_catalog(path, doc):
    """One JSON object; each entry of a dict-valued top-level key on its own line."""
    lines = ["{"]
    keys = sorted(doc)
    for i, k in enumerate(keys):
        v = doc[k]
        comma = "," if i < len(keys) - 1 else ""
        if isinstance(v, dict) and v and all(isinstance(x, dict) for x in v.values()):
            lines.append(f"{json.dumps(k)}: {{")
            sub = sorted(v)
            for j, sk in enumerate(sub):
                lines.append(f"{json.dumps(sk)}: {compact(v[sk])}" + ("," if j < len(sub) - 1 else ""))
            lines.append("}" + comma)
        else:
            lines.append(f"{json.dumps(k)}: {compact(v)}{comma}")
    lines.append("}")
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out")
    ap.add_argument("--no-dtype", action="store_true")
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    t0 = time.time()
    native_functions = parse_native_yaml(NATIVE_YAML, TAGS_YAML).native_functions
    log(f"PyTorch {torch.__version__} ({RELEASE}): {len(native_functions)} native functions")

    cat = Catalog(native_functions)
    python = cat.python_section()
    log(f"python: {len(python)} names ({time.time() - t0:.1f}s)")
    if cat.unresolved:
        log(f"no signature found for: {sorted(set(cat.unresolved))}")

    aten = AtenSection(native_functions, check=args.check)
    wanted = aten.reachable()
    for e in python.values():
        for ov in e["overloads"]:
            if ov.get("aten"):
                wanted.add(ov["aten"])
    missing = sorted(w for w in wanted if w not in aten.fns)
    if missing:
        log(f"aten names not in native_functions.yaml: {missing}")
    aten_out = {w: aten.entry(w) for w in sorted(wanted) if w in aten.fns}
    if aten.problems:
        log(f"codegen check: {len(aten.problems)} differences")
        for p in aten.problems:
            log("  " + p)
    elif args.check:
        log("codegen check: saved attributes and gates agree with emit_body for every op")

    pointwise_from = None
    if not args.no_dtype:
        t = time.time()
        has_tag = any("pointwise" in f.tags for f in native_functions)
        if has_tag:
            pw = {k for k, v in aten_out.items() if "pointwise" in v["tags"]}
        else:
            pointwise_from, pw = pointwise_names_fallback()
            pw = {k for k in pw if k in aten_out}
        import warnings
        warnings.filterwarnings("ignore")
        n = 0
        for name in sorted(pw):
            c = classify_dtype(aten.fns[name].func)
            if c is not None:
                aten_out[name]["dtype"] = c
                n += 1
        log(f"dtype: {n}/{len(pw)} pointwise ops classified ({time.time() - t:.1f}s)")

    doc = {
        "torch": torch.__version__,
        "release": RELEASE,
        "generator": GENERATOR,
        "sources": {
            "native_functions": rel_path(NATIVE_YAML),
            "derivatives": rel_path(DERIVATIVES_YAML),
            "codegen": AUTOGRAD_PKG,
        },
        "python": python,
        "aten": aten_out,
    }
    if pointwise_from:
        doc["sources"]["pointwiseTagsFrom"] = pointwise_from
    out = args.out or os.path.join(HERE, f"torch-{RELEASE}.json")
    write_catalog(out, doc)
    log(f"wrote {out}: {os.path.getsize(out)} bytes, {len(python)} python names, {len(aten_out)} aten ops ({time.time() - t0:.1f}s)")


if __name__ == "__main__":
    main()
