"""Shared helpers for this project's unit tests: load the rendered templates
(with CloudFormation short-form tags preserved), parameter files and answers."""

import json
from functools import lru_cache
from pathlib import Path

import yaml
from cfnlint.decode import cfn_yaml

ROOT = Path(__file__).resolve().parents[2]


@lru_cache(maxsize=None)
def template(name):
    """templates/<name>.yaml as a dict; intrinsics appear as {"Ref": ...}, {"Fn::Sub": ...}."""
    return cfn_yaml.load(str(ROOT / "templates" / f"{name}.yaml"))


def template_names():
    return sorted(p.stem for p in (ROOT / "templates").glob("*.yaml"))


def resources(tpl, type_=None):
    """Logical id -> resource, optionally only those of one CloudFormation type."""
    return {
        name: res
        for name, res in tpl.get("Resources", {}).items()
        if type_ is None or res.get("Type") == type_
    }


def one(tpl, type_):
    """The single resource of a type (fails the test if there is not exactly one)."""
    found = resources(tpl, type_)
    assert len(found) == 1, f"expected one {type_}, found {sorted(found)}"
    return next(iter(found.values()))


@lru_cache(maxsize=None)
def answers():
    return yaml.safe_load((ROOT / ".stackwright" / "answers.yaml").read_text())


def env_names():
    return [e["name"] for e in answers()["environments"]]


def params(env):
    """params/<env>.json: {"<stack>": {"Parameters": {...}}}."""
    return json.loads((ROOT / "params" / f"{env}.json").read_text())


def stack_params(env, stack):
    return params(env).get(stack, {}).get("Parameters", {})


def walk(node):
    """Every nested value of a template fragment, depth first."""
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def statements(document):
    """The statements of an IAM / key / bucket policy document as a list."""
    stmts = document.get("Statement", [])
    return stmts if isinstance(stmts, list) else [stmts]


def as_list(value):
    return value if isinstance(value, list) else [value]
