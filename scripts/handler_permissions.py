#!/usr/bin/env python3
"""Write assets/handler_permissions.yaml: the IAM actions CloudFormation's
resource handlers call, for every resource type the CloudFormation blueprints
deploy and the CDK stacks synthesize (assets/cdk_resource_types.yaml), taken from the registry schemas that cfn-lint ships as data.

    python3 scripts/handler_permissions.py            # (re)write the asset
    python3 scripts/handler_permissions.py --check    # exit 1 if it is stale

Run it with the checkers' venv (the cfn-lint pinned in
scripts/requirements-checkers.txt); it refuses any other cfn-lint version, so
the asset always says which schemas it came from.

For each resource type it takes the union, over every region of
assets/regions.yaml that cfn-lint has a schema for, of
`handlers.{create,read,update,delete}.permissions`. Each action is then
looked up in cfn-lint's IAM action table (data/AdditionalSpecs/Policies.json,
from the Service Authorization Reference):

  scoped    the action supports resource-level permissions: a policy can
            name the resources it may touch;
  unscoped  it does not: `*` is the only resource that works;
  unlisted  the table does not know the name (an old spelling, a service
            it lacks): IAM would allow nothing with it and cfn-lint W3037
            refuses it, so it is listed under not_in_iam_table, not granted;
  ungrantable  not a name a policy can grant (`s3:REST.PUT.OBJECT`): listed,
            never silently dropped.

The CloudFormation execution policies (blueprints/cloudformation/pipeline/
_execution_policy.yaml) are rendered from this file by stackwright; the
generated projects' tests and scripts/deploy_checks.py check the rendered
policies against the schemas again, independently of this file.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
ASSET = ROOT / "assets" / "handler_permissions.yaml"
BLUEPRINTS = ROOT / "blueprints" / "cloudformation"
CDK_TYPES = ROOT / "assets" / "cdk_resource_types.yaml"
HANDLERS = ("create", "read", "update", "delete")
TYPE_LINE = re.compile(r"^\s*Type:\s*[\"']?(AWS::[A-Za-z0-9]+::[A-Za-z0-9]+)[\"']?\s*(#.*)?$", re.M)


def pinned_cfn_lint() -> str:
    for line in (ROOT / "scripts" / "requirements-checkers.txt").read_text().splitlines():
        m = re.fullmatch(r"cfn-lint==(\S+)", line.strip())
        if m:
            return m.group(1)
    sys.exit("handler_permissions: scripts/requirements-checkers.txt pins no cfn-lint")


def blueprint_types() -> dict[str, list[str]]:
    """Blueprint name -> the resource types its templates declare (every branch of
    every Tera condition: the templates are read as text, not rendered)."""
    out = {}
    for bp in sorted(p for p in BLUEPRINTS.iterdir() if (p / "blueprint.yaml").is_file()):
        found = set()
        for f in sorted(bp.glob("*.yaml")):
            if f.name != "blueprint.yaml":
                found.update(m.group(1) for m in TYPE_LINE.finditer(f.read_text()))
        if found:
            out[bp.name] = sorted(found)
    return out


def cdk_types() -> dict[str, list[str]]:
    """CDK blueprint (and variant) -> the types its stacks synthesize
    (assets/cdk_resource_types.yaml, kept current by scripts/check_cdk.py)."""
    if not CDK_TYPES.is_file():
        return {}
    data = yaml.safe_load(CDK_TYPES.read_text()) or {}
    return {str(k): sorted(str(t) for t in v) for k, v in sorted(data.items())}


def regions() -> list[str]:
    data = yaml.safe_load((ROOT / "assets" / "regions.yaml").read_text())
    return sorted(r["code"] for r in data["regions"])


def iam_table(cfnlint_dir: Path) -> dict:
    return json.loads((cfnlint_dir / "data" / "AdditionalSpecs" / "Policies.json").read_text())


LISTING = re.compile(r"(Describe|List)[A-Za-z0-9]*\*")
GRANTABLE = re.compile(r"[A-Za-z0-9-]+:[A-Za-z0-9*]+")


def classify(action: str, table: dict) -> str:
    """scoped | unscoped | unlisted (not an action IAM knows: cfn-lint W3037 refuses it
    in a policy, and granting it would allow nothing) | ungrantable (not an action name)."""
    if not GRANTABLE.fullmatch(action):
        return "ungrantable"
    service, _, name = action.partition(":")
    actions = (table.get(service.lower()) or {}).get("Actions") or {}
    if "*" in name:
        # A wildcard in a schema (ec2:Describe*, ssm:Get*), granted as written: with
        # Resource "*" for Describe*/List* families or when no action it covers has
        # resource-level permissions, else limited to the environment's resources.
        matched = [v for k, v in actions.items() if fnmatch.fnmatchcase(k, name.lower())]
        if not matched:
            return "unlisted"
        if LISTING.fullmatch(name) or not any(v.get("Resources") for v in matched):
            return "unscoped"
        return "scoped"
    entry = actions.get(name.lower())
    if entry is None:
        return "unlisted"
    return "scoped" if entry.get("Resources") else "unscoped"


def canonical(action: str) -> str:
    """IAM actions are case-insensitive; service prefixes are written lower case."""
    service, _, name = action.partition(":")
    return f"{service.lower()}:{name}"


def build() -> dict:
    import cfnlint
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    version = getattr(cfnlint, "__version__", None)
    if version is None:
        from importlib.metadata import version as dist_version
        version = dist_version("cfn-lint")
    want = pinned_cfn_lint()
    if version != want:
        sys.exit(f"handler_permissions: cfn-lint {version} is installed, scripts/requirements-checkers.txt pins {want}; "
                 "run with the checkers' venv")
    cfnlint_dir = Path(cfnlint.__file__).resolve().parent
    schema_date = json.loads((cfnlint_dir / "data" / "schemas" / "version.json").read_text()).get("schema_date", "")
    table = iam_table(cfnlint_dir)

    per_blueprint = blueprint_types()
    per_cdk = cdk_types()
    all_types = sorted({t for ts in [*per_blueprint.values(), *per_cdk.values()] for t in ts
                        if t.startswith("AWS::")})
    types, unlisted, ungrantable, no_handlers = {}, {}, {}, []
    for rtype in all_types:
        actions: dict[str, str] = {}
        seen_schema = False
        for region in regions():
            try:
                schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(region, rtype).schema
            except Exception:  # noqa: BLE001 - cfn-lint raises its own not-found types
                continue
            seen_schema = True
            for h in HANDLERS:
                for a in ((schema.get("handlers") or {}).get(h) or {}).get("permissions") or []:
                    actions.setdefault(canonical(a).lower(), canonical(a))
        if not seen_schema:
            sys.exit(f"handler_permissions: cfn-lint {version} has no schema for {rtype} in any region")
        if not actions:
            no_handlers.append(rtype)
            continue
        entry = {"scoped": [], "unscoped": []}
        for a in sorted(actions.values(), key=str.lower):
            kind = classify(a, table)
            if kind == "ungrantable":
                ungrantable.setdefault(rtype, []).append(a)
                continue
            if kind == "unlisted":
                unlisted.setdefault(rtype, []).append(a)
                continue
            entry[kind].append(a)
        types[rtype] = entry
    return {
        "cfn_lint": version,
        "schema_date": schema_date,
        "regions": len(regions()),
        "blueprints": per_blueprint,
        "cdk_blueprints": per_cdk,
        "types": types,
        "not_in_iam_table": unlisted,
        "ungrantable": ungrantable,
        "types_without_handlers": no_handlers,
    }


HEADER = """\
# IAM actions that CloudFormation's resource handlers call, per resource type
# the CloudFormation blueprints deploy.
#
# GENERATED by scripts/handler_permissions.py: do not edit; re-run it after a
# blueprint gains a resource type or cfn-lint is upgraded (`--check` fails
# while this file is stale).
#
# Source: the registry schemas cfn-lint {cfn_lint} ships as data (schema date
# {schema_date}), handlers.create/read/update/delete.permissions, union over
# the {regions} regions of assets/regions.yaml; whether an action supports
# resource-level permissions comes from cfn-lint's IAM action table
# (data/AdditionalSpecs/Policies.json, from the Service Authorization
# Reference): `scoped` actions can be limited to named resources, `unscoped`
# ones only work with Resource "*" (a schema's Describe*/List* wildcards count
# as unscoped, its other wildcards as scoped). `not_in_iam_table` are names
# IAM does not know (old spellings such as s3:PutBucketReplication for
# s3:PutReplicationConfiguration, services the table lacks): they would allow
# nothing and cfn-lint W3037 refuses them, so they are not granted.
# `ungrantable` are not action names at all (s3:REST.PUT.OBJECT);
# `types_without_handlers` are not registry types.
#
# `blueprints` lists the types each blueprint's templates declare, in every
# branch of their conditions; stackwright renders each environment's
# CloudFormation execution policies from the types of the blueprints it deploys.
# `cdk_blueprints` lists the types each CDK stack synthesizes
# (assets/cdk_resource_types.yaml; Custom:: types have no handler list: the
# execution role invokes their provider function); stackwright renders the CDK
# bootstrap's execution policies and the project's handler table from them.
"""


def render(data: dict) -> str:
    body = yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=100)
    return HEADER.format(**data) + body


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="exit 1 when the asset differs from what would be written")
    args = ap.parse_args()
    text = render(build())
    if args.check:
        current = ASSET.read_text() if ASSET.is_file() else ""
        if current != text:
            print(f"handler_permissions: {ASSET.relative_to(ROOT)} is stale; run scripts/handler_permissions.py",
                  file=sys.stderr)
            return 1
        print(f"handler_permissions: {ASSET.relative_to(ROOT)} is current")
        return 0
    ASSET.write_text(text)
    data = yaml.safe_load(text)
    n_actions = sum(len(v["scoped"]) + len(v["unscoped"]) for v in data["types"].values())
    print(f"handler_permissions: wrote {ASSET.relative_to(ROOT)}: {len(data['types'])} resource types, "
          f"{n_actions} type/action pairs, cfn-lint {data['cfn_lint']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
