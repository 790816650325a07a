"""Reads the project's Terraform files with python-hcl2, for tests that run
without Terraform. The parser is checkov's build of python-hcl2
(bc-python-hcl2, installed with checkov from requirements-dev.txt); it wraps
every attribute value in a one-element list, which `value` unwraps."""

from __future__ import annotations

import pathlib

import hcl2

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODULES = ROOT / "modules"
ENVS = ROOT / "envs"


def load(path: pathlib.Path) -> dict:
    with open(path, encoding="utf-8") as handle:
        return hcl2.load(handle)


def value(attrs: dict, key: str, default=None):
    """An attribute's value, unwrapped from the parser's one-element list."""
    if key not in attrs:
        return default
    v = attrs[key]
    if isinstance(v, list) and len(v) == 1:
        return v[0]
    return v


def tf_files(folder: pathlib.Path) -> list[pathlib.Path]:
    return sorted(folder.glob("*.tf"))


def blocks(folder: pathlib.Path, kind: str) -> list[tuple[pathlib.Path, dict]]:
    """Every top-level block of `kind` (resource, variable, output, module, ...) in a folder."""
    out = []
    for path in tf_files(folder):
        for entry in load(path).get(kind, []):
            out.append((path, entry))
    return out


def resources(folder: pathlib.Path) -> dict[tuple[str, str], dict]:
    """(type, name) -> attributes of every resource in a module folder."""
    out = {}
    for _, entry in blocks(folder, "resource"):
        for rtype, named in entry.items():
            for name, attrs in named.items():
                out[(rtype, name)] = attrs
    return out


def resource(folder: pathlib.Path, rtype: str, name: str) -> dict:
    found = resources(folder).get((rtype, name))
    assert found is not None, f"{folder.relative_to(ROOT)} has no {rtype}.{name}"
    return found


def named(folder: pathlib.Path, kind: str) -> dict[str, dict]:
    """name -> body of the variable, output or module blocks of a folder."""
    out = {}
    for _, entry in blocks(folder, kind):
        out.update(entry)
    return out


def module_dirs() -> list[pathlib.Path]:
    return sorted({p.parent for p in MODULES.rglob("*.tf")})


def env_dirs() -> list[pathlib.Path]:
    return sorted(p for p in ENVS.iterdir() if p.is_dir())


def tfvars(env: pathlib.Path) -> dict:
    return {k: value({k: v}, k) for k, v in load(env / "terraform.tfvars").items()}
