#!/usr/bin/env python3
"""checkov over templates/, once with the templates' own defaults and once per parameter file.

checkov evaluates CloudFormation with parameter defaults (and drops resources whose Condition
is false), so the defaults scan checks the safe values and each environment's scan checks what
that environment really deploys: this writes a copy of every template the environment deploys,
as JSON with params/<env>.json written into the parameter defaults, and scans that.

For ephemeral-profile environments of a project with a database it skips CKV_AWS_157 (RDS Multi-AZ) and CKV_AWS_293 (RDS
deletion protection): one AZ and a deletable database are what the ephemeral profile is for. The
defaults scan and production-profile environments keep both checks.

    scripts/scan.py              every scan; exit status 1 if any check failed
    scripts/scan.py --env dev    the defaults scan and dev's
    scripts/scan.py --keep DIR   keep the per-environment copies in DIR
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parent.parent
EPHEMERAL_SKIPS = {
    "CKV_AWS_157": "RDS Multi-AZ: an ephemeral environment runs in one AZ to save cost (DB-04)",
    "CKV_AWS_293": "RDS deletion protection: an ephemeral environment must be deletable (GEN-06)",
}


def checkov():
    beside = Path(sys.executable).parent / "checkov"
    return str(beside) if beside.is_file() else shutil.which("checkov") or sys.exit("scan.py: checkov not found (make venv)")


# Stack -> template, in deploy order (written by stackwright from the blueprints).
STACK_TEMPLATES = {
{%- for s in stacks %}
    {{ s.name | json_str }}: {{ s.template | json_str }},
{%- endfor %}
}


def answers():
    return yaml.safe_load((ROOT / ".stackwright" / "answers.yaml").read_text())


def write_env_copy(label, given, dest):
    """Templates of the stacks in `given` ({stack: {"Parameters": {...}}}) with values as defaults."""
    written = 0
    for stack, relative in STACK_TEMPLATES.items():
        if stack not in given:
            continue
        path = ROOT / relative
        template, matches = decode(str(path))
        if template is None:
            sys.exit(f"scan.py: cannot read {path}: {matches}")
        template = json.loads(json.dumps(template, default=str))
        declared = template.get("Parameters") or {}
        for key, value in given[stack]["Parameters"].items():
            if key not in declared:
                sys.exit(f"scan.py: params/{label}.json passes {key}, which {path.name} does not declare")
            declared[key]["Default"] = ",".join(map(str, value)) if isinstance(value, list) else value
        (dest / f"{stack}.json").write_text(json.dumps(template, indent=1))
        written += 1
    return written


def run(title, directory, skips):
    print(f"==> checkov: {title}", flush=True)
    for check, why in skips.items():
        print(f"    skipping {check}: {why}", flush=True)
    cmd = [checkov(), "--framework", "cloudformation", "-d", str(directory), "--compact", "--quiet",
           "--skip-download"]
    if skips:
        cmd += ["--skip-check", ",".join(skips)]
    return subprocess.run(cmd, env=dict(os.environ, PYTHONWARNINGS="ignore")).returncode


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--env", action="append", default=[], help="scan only these environments (repeatable)")
    ap.add_argument("--keep", type=Path, help="write the per-environment copies here and keep them")
    args = ap.parse_args(argv)

    stored = answers()
    profiles = {e["name"]: e["profile"] for e in stored["environments"]}
    has_database = stored["database"]["engine"] != "none"
    unknown = [e for e in args.env if e not in profiles and e != "pipeline"]
    if unknown:
        sys.exit(f"scan.py: unknown environment(s) {', '.join(unknown)}; known: {', '.join(profiles)}")
    labels = args.env or [*profiles, *(["pipeline"] if (ROOT / "params" / "pipeline.json").is_file() else [])]

    work = args.keep or Path(tempfile.mkdtemp(prefix="scan-"))
    failed = []
    try:
        if run("templates with their defaults", ROOT / "templates", {}):
            failed.append("defaults")
        for label in labels:
            dest = work / label
            dest.mkdir(parents=True, exist_ok=True)
            given = json.loads((ROOT / "params" / f"{label}.json").read_text())
            if not write_env_copy(label, given, dest):
                continue
            skips = EPHEMERAL_SKIPS if has_database and profiles.get(label) == "ephemeral" else {}
            if run(f"{label} (params/{label}.json, {profiles.get(label, 'pipeline')})", dest, skips):
                failed.append(label)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    if failed:
        print(f"scan.py: checkov failed for: {', '.join(failed)}", file=sys.stderr)
        return 1
    print("scan.py: every scan passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
