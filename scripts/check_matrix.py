#!/usr/bin/env python3
"""External-checker matrix for stackwright.

For every answers file in --answers-dir (sorted), generate a project with
`stackwright new --answers FILE --out DIR` and hold it to the bar in
PRODUCT.md:

  * cfn-lint (in the answers' region): no errors, no warnings;
  * checkov: no failed check, scanned once with the templates' own defaults
    and once per environment with that environment's params/<env>.json
    written into the parameter defaults (checkov evaluates defaults only);
  * the project's own unit tests (pytest) pass;
  * no hard-coded partition (`arn:aws:`), region, availability zone or
    secret in templates/;
  * `stackwright new` on the stored .stackwright/answers.yaml reproduces the
    project byte for byte;
  * the deployability checks DEP-01..05 (scripts/deploy_checks.py) over the
    project's templates and its deploy model (Makefile, pipeline actions,
    parameter files): one column per check. A finding fails the fixture;
    with --deploy-checks report (or STACKWRIGHT_DEPLOY_CHECKS=report) the
    findings are counted and shown but do not fail it.

Prints one line per fixture, a summary table, and finally
`check_matrix: N passed, M failed`. Exits 1 when a fixture failed or none ran.

Needs PyYAML and cfn-lint (importable) and the cfn-lint, checkov and pytest
of the same environment; scripts/test-all sets that environment up.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from matrixlib import (PYTEST_COUNT, Outcome, checkov_reports, log, output_of, run,  # noqa: E402
                       tree_differences)
from matrixlib import tool as find_tool  # noqa: E402
from matrixlib import trim as trim_lines  # noqa: E402

try:
    from cfnlint.decode import decode as cfn_decode
except ImportError:  # reported when first needed, so --help still works
    cfn_decode = None

REPO = Path(__file__).resolve().parent.parent
REGIONS_FILE = REPO / "assets" / "regions.yaml"
TRIM_LINES = 60
TEMPLATE_SUFFIXES = (".yaml", ".yml")

# Commercial-partition regions, used when assets/regions.yaml is absent.
BUILTIN_REGIONS = [
    "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2",
    "ap-northeast-3", "ap-south-1", "ap-south-2", "ap-southeast-1",
    "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5",
    "ap-southeast-6", "ap-southeast-7", "ca-central-1", "ca-west-1",
    "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2",
    "eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1",
    "me-south-1", "mx-central-1", "sa-east-1", "us-east-1", "us-east-2",
    "us-west-1", "us-west-2",
]

CFN_LINT_LINE = re.compile(
    r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+):\d+:\d+:(?P<rule>[EWI]\d+):(?P<msg>.*)$"
)
# A key or assignment named password/secret with a literal value; `:secret:` inside
# an ARN (arn:...:secretsmanager:...:secret:name) is a resource name, not a value.
SECRET = re.compile(r"(?i)(?<!:)(password|secret)\s*[:=]\s*['\"]?[A-Za-z0-9/+]{8,}")
SECRET_REFERENCES = ("{{resolve:", "ManageMasterUserPassword")

TIMEOUT_GENERATE = 120
TIMEOUT_CFN_LINT = 900
TIMEOUT_CHECKOV = 1800
TIMEOUT_PYTEST = 900
TIMEOUT_DEPLOY_CHECKS = 600
DEPLOY_CHECKS = REPO / "scripts" / "deploy_checks.py"
DEPLOY_CHECK_IDS = ("DEP-01", "DEP-02", "DEP-03", "DEP-04", "DEP-05")
# Every finding fails its fixture; `report` only counts them (while bringing a
# blueprint in line), `off` skips the checks.
DEPLOY_CHECKS_DEFAULT = "enforce"


@dataclass
class Result(Outcome):
    stem: str
    region: str = "?"
    envs: int = 0
    lint: dict = field(default_factory=lambda: {"E": 0, "W": 0, "I": 0})
    checkov_failed: int = 0
    checkov_skipped: int = 0
    checkov_scans: int = 0
    pytest_passed: int = 0
    grep_hits: int = 0
    repro: str = "-"
    deploy: dict = field(default_factory=dict)  # DEP-0N -> findings
    seconds: float = 0.0
    problems: list = field(default_factory=list)  # (title, detail text)
    notes: list = field(default_factory=list)  # worth a look, not a failure
    ran: set = field(default_factory=set)  # names of checks that got to run


# --------------------------------------------------------------------------
# helpers


def trim(text: str, limit: int = TRIM_LINES) -> str:
    return trim_lines(text, limit)


def tool(name: str) -> str:
    return find_tool(name, "check_matrix")


def load_region_codes() -> list[str]:
    """Codes from assets/regions.yaml (the tool's region table) plus the built-in list."""
    if REGIONS_FILE.is_file():
        data = yaml.safe_load(REGIONS_FILE.read_text()) or {}
        entries = data.get("regions", data) if isinstance(data, dict) else data
        codes = []
        if isinstance(entries, dict):  # tolerate `regions: {us-east-1: {...}}`
            codes = list(entries)
        elif isinstance(entries, list):
            for entry in entries:
                if isinstance(entry, dict) and entry.get("code"):
                    codes.append(str(entry["code"]))
                elif isinstance(entry, str):
                    codes.append(entry)
        if not codes:
            log(f"warning: {REGIONS_FILE} lists no region codes; using the built-in list")
        return sorted(set(codes) | set(BUILTIN_REGIONS))
    return list(BUILTIN_REGIONS)


def region_pattern(codes: list[str]) -> re.Pattern:
    alternatives = "|".join(re.escape(c) for c in sorted(codes, key=len, reverse=True))
    # A region code not preceded by a letter/digit and not followed by a digit;
    # an AZ is the code plus one letter a-f that ends the word.
    return re.compile(rf"(?<![A-Za-z0-9])(?P<region>{alternatives})(?![0-9])(?P<az>[a-f](?![A-Za-z0-9]))?")


def read_yaml(path: Path):
    try:
        return yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError):
        return None


def list_templates(out: Path) -> list[Path]:
    root = out / "templates"
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in TEMPLATE_SUFFIXES)


# --------------------------------------------------------------------------
# checks


def generate(stackwright: str, answers: Path, out: Path, env: dict) -> subprocess.CompletedProcess:
    return run([stackwright, "new", "--answers", answers, "--out", out], timeout=TIMEOUT_GENERATE, env=env)


def check_repro(res: Result, stackwright: str, out: Path, work: Path, env: dict) -> None:
    stored = out / ".stackwright" / "answers.yaml"
    if not stored.is_file():
        res.repro = "missing"
        res.fail("stackwright did not store .stackwright/answers.yaml")
        return
    again = work / f"{res.stem}.repro"
    proc = generate(stackwright, stored, again, env)
    if proc.returncode != 0:
        res.repro = "fail"
        res.fail(f"stackwright new --answers .stackwright/answers.yaml exited {proc.returncode}", output_of(proc))
        return
    diffs = tree_differences(out, again)
    shutil.rmtree(again, ignore_errors=True)
    if diffs:
        res.repro = "fail"
        res.fail("regenerating from .stackwright/answers.yaml is not byte-identical", "\n".join(diffs))
    else:
        res.repro = "ok"


def check_cfn_lint(res: Result, templates: list[Path], region: str, cwd: Path) -> None:
    # Neutral cwd (the work dir): a .cfnlintrc in the generated project must not
    # relax the bar. Informational rules are off by default; include them to count them.
    rel = [t.relative_to(cwd) for t in templates]
    proc = run([tool("cfn-lint"), "--regions", region, "--format", "parseable", "--include-checks", "I",
                "--", *rel], cwd=cwd, timeout=TIMEOUT_CFN_LINT)
    counts = {"E": 0, "W": 0, "I": 0}
    offending, unparsed = [], []
    for line in proc.stdout.splitlines():
        m = CFN_LINT_LINE.match(line)
        if m:
            level = m["rule"][0]
            counts[level] += 1
            if level in "EW":
                offending.append(line)
        elif line.strip():
            unparsed.append(line)
    res.lint = counts
    res.ran.add("cfn-lint")
    if counts["E"] or counts["W"]:
        res.fail(f"cfn-lint: {counts['E']} error(s), {counts['W']} warning(s)", "\n".join(offending))
    # Exit code bits: 2 error, 4 warning, 8 informational; anything else is a crash.
    if proc.returncode & ~0b1110 or (proc.returncode and not any(counts.values())):
        res.fail(f"cfn-lint exited {proc.returncode}", "\n".join(unparsed) + "\n" + proc.stderr)


def param_values(raw, where: str) -> dict:
    """`{"Key": "Value"}` (or the CLI's list of ParameterKey/ParameterValue)."""
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, list) and all(isinstance(i, dict) and "ParameterKey" in i for i in raw):
        return {i["ParameterKey"]: i.get("ParameterValue") for i in raw}
    raise ValueError(f"{where}: 'Parameters' is neither an object nor a ParameterKey/ParameterValue list")


def as_default(value):
    if isinstance(value, list):  # List<...>/CommaDelimitedList parameters take one comma-joined string
        return ",".join(str(v) for v in value)
    return value


def load_env_params(out: Path, res: Result) -> dict[str, dict]:
    """{env: {stack: {Key: Value}}} from params/<env>.json."""
    envs = {}
    for path in sorted((out / "params").glob("*.json")):
        rel = path.relative_to(out)
        try:
            data = json.loads(path.read_text())
            if not isinstance(data, dict):
                raise ValueError("top level is not an object of stacks")
            stacks = {}
            for stack, body in data.items():
                if not isinstance(body, dict) or "Parameters" not in body:
                    raise ValueError(f"stack {stack!r} has no 'Parameters' object")
                stacks[stack] = param_values(body["Parameters"], f"stack {stack!r}")
            envs[path.stem] = stacks
        except (OSError, ValueError) as exc:
            res.fail(f"{rel}: unreadable parameter file", str(exc))
    return envs


def prepare_checkov_dirs(res: Result, out: Path, templates: list[Path], env_params: dict, scan_root: Path) -> list[str]:
    """Lay out scan_root/defaults (templates as generated) and scan_root/env-<env>
    (templates as JSON with that environment's values as parameter defaults).
    Returns the subdirectory names."""
    tdir = out / "templates"
    decoded = {}
    for t in templates:
        rel = t.relative_to(tdir)
        dest = scan_root / "defaults" / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(t, dest)
        template, matches = cfn_decode(str(t))
        if template is None:
            res.fail(f"templates/{rel.as_posix()}: cannot be decoded", "\n".join(str(m) for m in matches))
            continue
        decoded[rel] = template

    by_stem: dict[str, list[Path]] = {}
    for rel in decoded:
        by_stem.setdefault(rel.with_suffix("").name, []).append(rel)

    subdirs = ["defaults"]
    problems = []
    for env, stacks in env_params.items():
        for stack in stacks:
            if stack not in by_stem:
                problems.append(f"params/{env}.json: stack {stack!r} has no template (templates/{stack}.yaml)")
        for rel, template in decoded.items():
            stem = rel.with_suffix("").name
            if env == "pipeline" and stem not in stacks:
                continue  # params/pipeline.json configures only the pipeline-scope stacks
            values = stacks.get(stem, {})
            template = json.loads(json.dumps(template, default=str))  # deep, plain copy
            declared = template.get("Parameters") or {}
            for key, value in values.items():
                if key not in declared:
                    problems.append(f"params/{env}.json: {stem}.{key} is not a parameter of templates/{rel.as_posix()}")
                    continue
                declared[key]["Default"] = as_default(value)
            for key, spec in declared.items():
                if isinstance(spec, dict) and "Default" not in spec:
                    # Maybe the pipeline or a parent stack passes it; checkov sees it unresolved.
                    res.notes.append(f"params/{env}.json: {stem}.{key} has no value and no default")
            dest = scan_root / f"env-{env}" / rel.with_suffix(".json")
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(json.dumps(template, indent=1, default=str))
        subdirs.append(f"env-{env}")
    if problems:
        res.fail("parameter files do not match the templates", "\n".join(problems))
    return subdirs


# Multi-AZ and deletion protection are off by design in ephemeral environments
# (IAC_NOTES.md): waived only in those environments' scans, never inline.
EPHEMERAL_WAIVED = {"CKV_AWS_157", "CKV_AWS_293"}


def check_checkov(res: Result, scan_root: Path, subdirs: list[str], ephemeral: set = frozenset()) -> None:
    # Not --quiet: the passed and skipped checks carry the file_path that proves
    # every subdirectory was scanned and attributes the skips.
    proc = run([tool("checkov"), "--framework", "cloudformation", "-d", ".", "--compact",
                "-o", "json", "--skip-download"], cwd=scan_root, timeout=TIMEOUT_CHECKOV)
    reports = checkov_reports(proc.stdout)
    if reports is None:
        res.fail(f"checkov produced no JSON report (exit {proc.returncode})", output_of(proc))
        return
    res.ran.add("checkov")

    per_dir = {d: {"passed": 0, "failed": 0, "skipped": 0} for d in subdirs}
    failed_lines, parse_errors = [], []
    summary_failed = summary_skipped = 0
    for report in reports:
        if not isinstance(report, dict):
            continue
        summary = report.get("summary", report)  # an empty scan is a bare summary
        summary_failed += int(summary.get("failed", 0) or 0)
        summary_skipped += int(summary.get("skipped", 0) or 0)
        results = report.get("results") or {}
        parse_errors += [str(p) for p in results.get("parsing_errors", [])]
        for kind in ("passed", "failed", "skipped"):
            for check in results.get(f"{kind}_checks", []):
                path = str(check.get("file_path", "")).removeprefix("./").lstrip("/")
                top = path.split("/", 1)[0]
                if top in per_dir:
                    per_dir[top][kind] += 1
                if kind == "failed" and top.removeprefix("env-") in ephemeral \
                        and check.get("check_id") in EPHEMERAL_WAIVED:
                    summary_failed -= 1
                    summary_skipped += 1
                    per_dir[top]["failed"] -= 1
                    per_dir[top]["skipped"] += 1
                    res.notes.append(f"[{top.removeprefix('env-')}] {check.get('check_id')} waived: ephemeral profile")
                    continue
                if kind == "failed":
                    label = "defaults" if top == "defaults" else top.removeprefix("env-")
                    failed_lines.append(
                        f"[{label}] {check.get('check_id')} {check.get('resource')} "
                        f"({path.split('/', 1)[-1]}): {check.get('check_name')}")
    res.checkov_failed = summary_failed
    res.checkov_skipped = summary_skipped
    res.checkov_scans = len(subdirs)
    if summary_failed:
        res.fail(f"checkov: {summary_failed} failed check(s)", "\n".join(failed_lines))
    if parse_errors:
        res.fail(f"checkov could not parse {len(parse_errors)} file(s)", "\n".join(parse_errors))
    unscanned = [d for d, c in per_dir.items() if not any(c.values())]
    if unscanned:
        res.fail("checkov evaluated nothing in: " + ", ".join(unscanned),
                 "the templates there have no resource checkov recognises")
    if proc.returncode not in (0, 1):
        res.fail(f"checkov exited {proc.returncode}", proc.stderr)


def check_pytest(res: Result, out: Path) -> None:
    unit = out / "tests" / "unit"
    if not unit.is_dir():
        res.fail("the project has no tests/unit")
        return
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    proc = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", unit],
               cwd=out, timeout=TIMEOUT_PYTEST, env=env)
    res.ran.add("pytest")
    tail = [ln for ln in proc.stdout.splitlines() if ln.strip()][-1:]
    counts = {kind: int(n) for n, kind in PYTEST_COUNT.findall(tail[0])} if tail else {}
    res.pytest_passed = counts.get("passed", 0)
    if proc.returncode != 0 or res.pytest_passed == 0:
        res.fail(f"unit tests: exit {proc.returncode}, {res.pytest_passed} passed", output_of(proc))


def check_grep(res: Result, out: Path, region_re: re.Pattern) -> None:
    hits = []
    root = out / "templates"
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(out).as_posix()
        try:
            text = path.read_text(errors="replace")
        except OSError as exc:
            hits.append(f"{rel}: unreadable: {exc}")
            continue
        for no, line in enumerate(text.splitlines(), 1):
            where = f"{rel}:{no}"
            if "arn:aws:" in line:
                hits.append(f"{where}: hard-coded partition 'arn:aws:': {line.strip()}")
            for m in region_re.finditer(line):
                kind = "availability zone" if m["az"] else "region"
                hits.append(f"{where}: hard-coded {kind} {m.group(0)!r}: {line.strip()}")
            if SECRET.search(line) and not any(ref in line for ref in SECRET_REFERENCES):
                hits.append(f"{where}: looks like a secret: {line.strip()}")
    res.grep_hits = len(hits)
    res.ran.add("grep")
    if hits:
        res.fail(f"grep: {len(hits)} hard-coded value(s) in templates/", "\n".join(hits))


def check_deploy(res: Result, out: Path, work: Path, mode: str) -> None:
    """scripts/deploy_checks.py on the generated project; paths in its findings
    are relative to the project."""
    report_file = work / f"{res.stem}.deploy-checks.json"
    proc = run([sys.executable, DEPLOY_CHECKS, "project", ".", "--quiet", "--json", report_file],
               cwd=out, timeout=TIMEOUT_DEPLOY_CHECKS)
    try:
        data = json.loads(report_file.read_text()) if proc.returncode in (0, 1) else None
    except (OSError, json.JSONDecodeError):
        data = None
    if data is None:
        res.fail(f"deploy checks exited {proc.returncode} without a report", output_of(proc))
        return
    res.ran.add("deploy")
    figures = data.get("figures") or {}
    res.deploy = {c: int((figures.get(c) or {}).get("findings", 0)) for c in DEPLOY_CHECK_IDS}
    findings = [f"{f['check']} {f['where']}: {f['message']}" for f in data.get("findings") or []]
    if not findings:
        return
    counts = ", ".join(f"{c} {n}" for c, n in res.deploy.items() if n)
    title = f"deploy checks: {len(findings)} finding(s) ({counts})"
    if mode == "enforce":
        res.fail(title, "\n".join(findings))
    else:
        res.notes.append(f"{title}; not failing the fixture (--deploy-checks report)")


# --------------------------------------------------------------------------
# one fixture


def check_fixture(answers: Path, stackwright: str, work: Path, region_re: re.Pattern,
                  repro: bool, sw_env: dict, deploy_mode: str = "enforce") -> Result:
    res = Result(stem=answers.stem)
    started = time.monotonic()
    given = read_yaml(answers)
    if isinstance(given, dict) and given.get("region"):
        res.region = str(given["region"])

    out = work / answers.stem
    proc = generate(stackwright, answers, out, sw_env)
    if proc.returncode != 0:
        res.fail(f"stackwright new exited {proc.returncode}", output_of(proc))
        res.seconds = time.monotonic() - started
        return res

    resolved = read_yaml(out / ".stackwright" / "answers.yaml")
    if isinstance(resolved, dict) and resolved.get("region"):
        res.region = str(resolved["region"])
    source = resolved if isinstance(resolved, dict) else given if isinstance(given, dict) else {}
    answers_envs = [e.get("name") for e in source.get("environments") or [] if isinstance(e, dict)]

    if repro:
        check_repro(res, stackwright, out, work, sw_env)

    templates = list_templates(out)
    if res.region == "?":
        res.fail("no region in .stackwright/answers.yaml nor in the answers file")
    elif not templates:
        res.fail("the project has no templates/*.yaml")
    else:
        check_cfn_lint(res, templates, res.region, cwd=work)

        env_params = load_env_params(out, res)
        res.envs = len([e for e in env_params if e != "pipeline"])
        missing = [e for e in answers_envs if e not in env_params]
        if missing:
            res.fail("no parameter file for environment(s): " + ", ".join(f"params/{e}.json" for e in missing))
        # params/pipeline.json holds the pipeline-scope stack; scanned like an environment.
        extra = [e for e in env_params if answers_envs and e not in answers_envs and e != "pipeline"]
        if extra:
            res.fail("parameter file(s) for environment(s) not in the answers: "
                     + ", ".join(f"params/{e}.json" for e in extra))
        scan_root = work / f"{answers.stem}.checkov"
        subdirs = prepare_checkov_dirs(res, out, templates, env_params, scan_root)
        ephemeral = {e.get("name") for e in source.get("environments") or []
                     if isinstance(e, dict) and e.get("profile") == "ephemeral"}
        check_checkov(res, scan_root, subdirs, ephemeral)

        check_grep(res, out, region_re)

        if deploy_mode != "off":
            check_deploy(res, out, work, deploy_mode)

    check_pytest(res, out)
    res.seconds = time.monotonic() - started
    return res


def fixture_line(res: Result) -> str:
    """One line per fixture; a check that did not get to run shows as '-'."""
    lint = res.lint
    parts = [f"{res.stem}: region={res.region} envs={res.envs}"]
    parts.append(f"cfn-lint E={lint['E']} W={lint['W']} I={lint['I']}" if "cfn-lint" in res.ran else "cfn-lint -")
    parts.append(f"checkov failed={res.checkov_failed} skipped={res.checkov_skipped} (scans={res.checkov_scans})"
                 if "checkov" in res.ran else "checkov -")
    parts.append(f"pytest passed={res.pytest_passed}" if "pytest" in res.ran else "pytest -")
    if "grep" in res.ran:
        parts.append("grep=ok" if res.grep_hits == 0 else f"grep={res.grep_hits}-hits")
    else:
        parts.append("grep=-")
    parts.append(f"repro={res.repro}")
    if "deploy" in res.ran:
        parts.append("deploy " + " ".join(f"{c}={n}" for c, n in res.deploy.items()))
    else:
        parts.append("deploy -")
    parts.append(f"-> {'PASS' if res.ok else 'FAIL'}")
    return " ".join(parts)


def print_table(results: list[Result]) -> None:
    head = ["fixture", "region", "envs", "E", "W", "I", "ckv-fail", "ckv-skip", "scans",
            "pytest", "grep", "repro", *DEPLOY_CHECK_IDS, "time", "result"]
    rows = [[r.stem, r.region, str(r.envs),
             *(str(r.lint[k]) if "cfn-lint" in r.ran else "-" for k in "EWI"),
             *(v if check in r.ran else "-" for check, v in (
                 ("checkov", str(r.checkov_failed)), ("checkov", str(r.checkov_skipped)),
                 ("checkov", str(r.checkov_scans)), ("pytest", str(r.pytest_passed)), ("grep", str(r.grep_hits)))),
             r.repro,
             *(str(r.deploy.get(c, 0)) if "deploy" in r.ran else "-" for c in DEPLOY_CHECK_IDS),
             f"{r.seconds:.0f}s",
             "PASS" if r.ok else "FAIL"] for r in results]
    widths = [max(len(x) for x in col) for col in zip(head, *rows)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    log()
    log(fmt.format(*head).rstrip())
    log(fmt.format(*("-" * w for w in widths)))
    for row in rows:
        log(fmt.format(*row).rstrip())
    log()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stackwright", required=True, type=Path, help="the stackwright binary to test")
    ap.add_argument("--answers-dir", required=True, type=Path, help="directory of *.yaml answers fixtures")
    ap.add_argument("--only", action="append", default=[], metavar="TEXT",
                    help="run only fixtures whose name contains TEXT (repeatable)")
    ap.add_argument("--keep", action="store_true", help="keep the generated projects and print where they are")
    ap.add_argument("--no-repro", dest="repro", action="store_false",
                    help="skip the byte-for-byte regeneration check")
    ap.add_argument("--deploy-checks", choices=("enforce", "report", "off"),
                    default=os.environ.get("STACKWRIGHT_DEPLOY_CHECKS") or DEPLOY_CHECKS_DEFAULT,
                    help="DEP-01..05 findings fail the fixture (enforce), are only counted (report), "
                         "or the checks do not run (off); default %(default)s "
                         "(environment: STACKWRIGHT_DEPLOY_CHECKS)")
    args = ap.parse_args(argv)

    if cfn_decode is None:
        sys.exit("check_matrix: cfn-lint is not importable (run scripts/test-all, or activate the checkers venv)")
    stackwright = args.stackwright.resolve()
    if not (stackwright.is_file() and os.access(stackwright, os.X_OK)):
        sys.exit(f"check_matrix: {args.stackwright} is not an executable file (build it first)")
    fixtures = sorted(args.answers_dir.glob("*.yaml"))
    if args.only:
        fixtures = [f for f in fixtures if any(o in f.name for o in args.only)]
    for name in ("cfn-lint", "checkov"):
        tool(name)

    region_re = region_pattern(load_region_codes())
    work = Path(tempfile.mkdtemp(prefix="stackwright-matrix-"))
    # stackwright reads a user config dir (a precedence layer): point it at an
    # empty one so the results depend on the fixtures alone.
    xdg = work / "xdg-config"
    xdg.mkdir()
    sw_env = dict(os.environ, NO_COLOR="1", XDG_CONFIG_HOME=str(xdg))

    log(f"check_matrix: {len(fixtures)} fixture(s) from {args.answers_dir}, stackwright {stackwright}")
    results = []
    try:
        for answers in fixtures:
            res = check_fixture(answers, str(stackwright), work, region_re, args.repro, sw_env, args.deploy_checks)
            results.append(res)
            log(fixture_line(res))
            for note in res.notes[:TRIM_LINES]:
                log(f"  note: {note}")
            for title, detail in res.problems:
                log(f"  ! {title}")
                if detail.strip():
                    for line in trim(detail).splitlines():
                        log(f"    {line}")
    finally:
        if args.keep:
            log(f"check_matrix: generated projects kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    passed = sum(r.ok for r in results)
    failed = len(results) - passed
    if results:
        print_table(results)
        if args.deploy_checks != "off":
            totals = {c: sum(r.deploy.get(c, 0) for r in results) for c in DEPLOY_CHECK_IDS}
            clean = sum(1 for r in results if "deploy" in r.ran and not any(r.deploy.values()))
            log(f"deploy checks ({args.deploy_checks}): {clean}/{len(results)} fixture(s) without finding; findings "
                + ", ".join(f"{c} {n}" for c, n in totals.items()))
    else:
        log("check_matrix: no fixture ran")
    log(f"check_matrix: {passed} passed, {failed} failed")
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
