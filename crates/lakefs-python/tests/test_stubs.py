"""The stubs (_native.pyi) match the compiled module: same methods, same parameters, same
kinds and defaults; and everything public has a docstring."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

STUB = Path(__file__).resolve().parents[1] / "python" / "lakefs_transfer" / "_native.pyi"


def stub_classes():
    tree = ast.parse(STUB.read_text())
    return {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}


def stub_parameters(function: ast.FunctionDef):
    args = function.args
    out = []
    for arg in args.posonlyargs:
        out.append((arg.arg, "POSITIONAL_ONLY"))
    for arg in args.args:
        out.append((arg.arg, "POSITIONAL_OR_KEYWORD"))
    for arg in args.kwonlyargs:
        out.append((arg.arg, "KEYWORD_ONLY"))
    defaults = [ast.literal_eval(d) for d in args.defaults]
    kw_defaults = {a.arg: ast.literal_eval(d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None}
    return out, defaults, kw_defaults


@pytest.mark.parametrize("name", ["upload", "download", "read", "begin_upload", "upload_parts", "complete_upload", "abort_upload"])
def test_client_methods_match_the_stub(lt, name):
    stub = next(f for f in stub_classes()["Client"].body if isinstance(f, ast.FunctionDef) and f.name == name)
    params, defaults, kw_defaults = stub_parameters(stub)
    runtime = inspect.signature(getattr(lt.Client, name))
    got = [(p.name, p.kind.name) for p in runtime.parameters.values()]
    assert got == params
    runtime_kw = {p.name: p.default for p in runtime.parameters.values()
                  if p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is not inspect.Parameter.empty}
    assert runtime_kw == kw_defaults
    positional_defaults = [p.default for p in runtime.parameters.values()
                           if p.kind is not inspect.Parameter.KEYWORD_ONLY and p.default is not inspect.Parameter.empty]
    assert positional_defaults == defaults


def test_stub_names_match_the_module(lt):
    from lakefs_transfer import _native

    classes = stub_classes()
    assert set(classes) == {"Client", "ObjectChunks"}
    for name, node in classes.items():
        stubbed = {f.name for f in node.body if isinstance(f, ast.FunctionDef)}
        public = {m for m in dir(getattr(_native, name)) if not m.startswith("_")}
        assert stubbed - {"__init__", "__iter__", "__next__"} == public, name
    for name in ["Client", "ObjectChunks", "LakeFSError", "ConfigError", "AuthenticationError",
                 "NotFoundError", "ConflictError", "TransferError"]:
        item = getattr(lt, name)
        assert item.__doc__ and item.__doc__.strip(), name
        for member in dir(item):
            if not member.startswith("_") and callable(getattr(item, member, None)) and name in ("Client", "ObjectChunks"):
                assert getattr(item, member).__doc__, f"{name}.{member}"
    assert issubclass(lt.ConfigError, ValueError) and issubclass(lt.TransferError, lt.LakeFSError)
