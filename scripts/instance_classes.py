#!/usr/bin/env python3
"""Writes assets/instance_classes.yaml: the DB instance classes RDS offers for
each engine stackwright generates, at the engine versions it pins
(assets/engines.yaml), taken from cfn-lint's RDS data
(cfnlint/data/schemas/extensions/aws_rds_dbinstance/db_instance_class.json,
the data behind its rule E3025).

Run with the checkers venv after a cfn-lint upgrade:
    .venv-checkers/bin/python scripts/instance_classes.py
"""
import datetime
import json
import pathlib
import re
import sys

import cfnlint
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = (
    pathlib.Path(cfnlint.__file__).parent
    / "data/schemas/extensions/aws_rds_dbinstance/db_instance_class.json"
)


def main() -> int:
    engines = yaml.safe_load((ROOT / "assets/engines.yaml").read_text())["engines"]
    rules = json.loads(DATA.read_text())["allOf"]
    out = {}
    for engine, facts in sorted(engines.items()):
        versions = sorted({facts["version"], *facts.get("supported_versions", [])})
        classes = set()
        for rule in rules:
            props = rule["if"]["properties"]
            if props.get("Engine", {}).get("const") != engine:
                continue
            pattern = props.get("EngineVersion", {}).get("pattern")
            if pattern and not any(re.match(pattern, v) for v in versions):
                continue
            classes.update(rule["then"]["properties"]["DBInstanceClass"].get("enum", []))
        if not classes:
            print(f"no classes for {engine} in {DATA}", file=sys.stderr)
            return 1
        out[engine] = sorted(classes)
    header = (
        "# DB instance classes RDS offers per engine at the versions stackwright pins\n"
        "# (assets/engines.yaml): an instance class in the answers is checked against\n"
        "# these. Written by scripts/instance_classes.py from cfn-lint "
        f"{cfnlint.version.__version__}'s\n"
        "# data (aws_rds_dbinstance/db_instance_class.json, the data of rule E3025).\n"
        f"# checked: {datetime.date.today().isoformat()}\n"
    )
    body = yaml.safe_dump(
        {"checked": datetime.date.today().isoformat(), "engines": out},
        default_flow_style=None,
        width=100,
        sort_keys=True,
    )
    (ROOT / "assets/instance_classes.yaml").write_text(header + "\n" + body)
    for engine, classes in out.items():
        print(f"{engine}: {len(classes)} classes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
