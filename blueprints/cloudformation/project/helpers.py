"""Shared helpers for this project's unit tests: load the rendered templates
(with CloudFormation short-form tags preserved), parameter files and answers."""

import json
from functools import lru_cache
from pathlib import Path

import yaml
from cfnlint.decode import cfn_yaml

ROOT = Path(__file__).resolve().parents[2]

# The project's stacks in deploy order, as the blueprints declared them:
# name (deployed as <project>-<env>-<name>, or <project>-<name> for the
# pipeline scope), template path and scope (environment | account | pipeline).
STACKS = [
{%- for s in stacks %}
    {"name": {{ s.name | json_str }}, "template": {{ s.template | json_str }}, "scope": {{ s.scope | json_str }}, "blueprint": {{ s.blueprint | json_str }}},
{%- endfor %}
]


# Templates deployed once per account and region by the Makefile, outside any environment:
# name -> the stack name it is deployed as. templates/bootstrap.yaml (`make bootstrap`) holds the
# deployment bucket every other stack's template is uploaded to.
ACCOUNT_REGION_TEMPLATES = {"bootstrap": {{ (project.name ~ "-bootstrap") | json_str }}}


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
    """The stored answers, with what `auto` resolved to filled in from .stackwright/lock.yaml
    (the engine version and the VPC ranges): the values the templates were rendered with."""
    a = yaml.safe_load((ROOT / ".stackwright" / "answers.yaml").read_text())
    lock_file = ROOT / ".stackwright" / "lock.yaml"
    lock = yaml.safe_load(lock_file.read_text()) if lock_file.is_file() else {}
    db = lock.get("database") or {}
    if a["database"]["version"] == "auto" and db.get("engine") == a["database"]["engine"]:
        a["database"]["version"] = db["version"]
    ranges = {e["name"]: e["vpc_cidr"] for e in lock.get("environments") or []}
    for e in a["environments"]:
        if not e.get("vpc_cidr") and e["name"] in ranges:
            e["vpc_cidr"] = ranges[e["name"]]
    return a


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


def stacks(scope=None):
    """STACKS, optionally only those of one scope."""
    return [s for s in STACKS if scope is None or s["scope"] == scope]


def stack_of(template_name):
    """The stack entry that deploys templates/<template_name>.yaml, or None."""
    for s in STACKS:
        if s["template"] == f"templates/{template_name}.yaml":
            return s
    return None


def env_stack_names(env):
    """The stacks `make deploy ENV=<env>` deploys, in order (those in params/<env>.json)."""
    given = params(env)
    return [s["name"] for s in STACKS if s["scope"] != "pipeline" and s["name"] in given]


def environment(name):
    """The answers entry of one environment."""
    return next(e for e in answers()["environments"] if e["name"] == name)


def is_production(env):
    return environment(env)["profile"] == "production"


def param_sets(template_name):
    """(label, {Key: Value}) for every parameter file that feeds this template:
    one per environment for environment/account stacks, `pipeline` for the pipeline."""
    st = stack_of(template_name)
    if st is None:
        return []
    if st["scope"] == "pipeline":
        path = ROOT / "params" / "pipeline.json"
        if not path.is_file():
            return []
        return [("pipeline", params("pipeline").get(st["name"], {}).get("Parameters", {}))]
    return [(env, stack_params(env, st["name"])) for env in env_names() if st["name"] in params(env)]


def sub_text(value):
    """The format string of an Fn::Sub (short or long form), else None."""
    if isinstance(value, dict) and "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        return sub[0] if isinstance(sub, list) else sub
    return None
