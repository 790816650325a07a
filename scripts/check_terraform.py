#!/usr/bin/env python3
"""Terraform matrix for stackwright.

For every answers file in --answers-dir (sorted), generate the project as
`flavor: terraform` (`stackwright new --answers FILE --set flavor=terraform`)
and prove it:

  * terraform fmt -check -recursive;
  * terraform init -backend=false and validate in every root module
    (envs/<env> and pipeline/), offline against the provider mirror;
  * terraform test in the project root (the generated tests/*.tftest.hcl,
    mock provider, command = plan), after one init there;
  * the provider-schema check against the 6.x provider
    (scripts/check_tf_schema.py);
  * checkov (terraform and cloudformation): 0 failed. One checkov run scans
    every fixture's project at once (its start-up is paid once). checkov
    evaluates each root module with the terraform.tfvars beside it, as
    terraform does, so that scan is also the per-environment scan; a canary
    project scanned with them (two roots calling one module, one root's
    terraform.tfvars planting an unencrypted volume) proves it on every run,
    and every fixture fails when the canary's planted failure is missed;
  * cfn-lint of the bootstrap stacks (bootstrap/*.yaml) in the answers' region;
  * the deployability checks DEP-01..05 (scripts/deploy_checks.py project) on
    the bootstrap stacks as `make bootstrap` and `make apply-role` deploy them;
  * the generated offline pytest suite (tests/python);
  * `stackwright new` on the stored .stackwright/answers.yaml reproduces the
    project byte for byte.

The commands of all fixtures go through one pool of --jobs workers (default:
the number of cores), longest first; every step's time is printed per fixture
and summed per step.

When terraform or the provider mirror is missing, the Terraform steps are
reported loudly as NOT RUN and are never counted as passed; the other steps
still run. Prints one line per fixture and finally
`check_terraform: N passed, M failed` (a fixture passes only when every
step ran and passed). Exits 1 when a fixture failed or none ran.

Environment: TF_PLUGIN_MIRROR (default /opt/tf-plugins, the directory holding
registry.terraform.io), STACKWRIGHT_VENV (checkers venv; default
.venv-checkers when it exists, else the venv of this interpreter).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from matrixlib import (PYTEST_COUNT, Outcome, checkov_reports, log, output_of, run, timed,  # noqa: E402
                       tree_differences, trim)

REPO = Path(__file__).resolve().parent.parent
TF_SUMMARY = re.compile(r"(\d+) passed, (\d+) failed")
TRIM = 40
TIMEOUT = 900
TIMEOUT_LONG = 1800
STEPS = ("render", "fmt", "validate", "test", "schema", "pytest", "cfn-lint", "deploy", "replay")
# Files the checks add to a project (init, pytest): not part of the replay.
ADDED = re.compile(r"(^|/)(\.terraform(/|$)|\.terraform\.lock\.hcl$|__pycache__/|\.pytest_cache/)")
CANARY = "zz-tfvars-canary"
LOCK = threading.Lock()


@dataclass
class Result(Outcome):
    name: str
    problems: list = field(default_factory=list)
    not_run: list = field(default_factory=list)
    validated: int = 0
    roots: int = 0
    tf_tests_passed: int = 0
    tf_tests_failed: int = 0
    checkov_passed: int = 0
    checkov_failed: int = 0
    checkov_skipped: int = 0
    pytest_passed: int = 0
    lint: str = "-"
    deploy: str = "-"
    schema: str = "-"
    times: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.not_run


@dataclass
class Fixture:
    res: Result
    answers: Path
    project: Path
    region: str = "us-east-1"


def find_mirror() -> Path | None:
    given = os.environ.get("TF_PLUGIN_MIRROR")
    for c in [Path(given)] if given else [Path("/opt/tf-plugins")]:
        if (c / "registry.terraform.io" / "hashicorp" / "aws").is_dir():
            return c
    return None


def terraform_env(work: Path, mirror: Path) -> dict:
    """A CLI config of our own: providers only from the offline mirror (an
    unpacked mirror, which init links into .terraform rather than copies)."""
    rc = work / "terraformrc"
    rc.write_text(
        "provider_installation {\n"
        f"  filesystem_mirror {{\n    path    = \"{mirror}\"\n    include = [\"registry.terraform.io/*/*\"]\n  }}\n"
        "  direct {\n    exclude = [\"registry.terraform.io/*/*\"]\n  }\n}\n"
    )
    return dict(os.environ, TF_CLI_CONFIG_FILE=str(rc), TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1",
                NO_COLOR="1", TF_INPUT="0")


def venv_tool(venv: Path, name: str) -> str:
    path = venv / "bin" / name
    return str(path) if path.exists() else name


def tf_roots(project: Path) -> list[Path]:
    """The root modules: one per environment, and the pipeline's when there is one."""
    envs = project / "envs"
    roots = sorted(p for p in envs.iterdir() if p.is_dir()) if envs.is_dir() else []
    if (project / "pipeline" / "main.tf").is_file():
        roots.append(project / "pipeline")
    return roots


def region_of(answers: Path) -> str:
    match = re.search(r"^region:\s*['\"]?([a-z0-9-]+)", answers.read_text(encoding="utf-8"), re.M)
    return match.group(1) if match else "us-east-1"


# --------------------------------------------------------------------------
# the steps of one fixture (each one a task of the shared pool)


def step_fmt(fx: Fixture, env: dict) -> None:
    proc = run(["terraform", "fmt", "-check", "-recursive", "-diff"], cwd=fx.project, env=env, timeout=TIMEOUT)
    if proc.returncode != 0:
        fx.res.fail("terraform fmt -check: files need formatting", output_of(proc))


def step_validate(fx: Fixture, root: Path, env: dict) -> None:
    rel = root.relative_to(fx.project)
    proc = run(["terraform", "init", "-backend=false", "-input=false", "-no-color"], cwd=root, env=env,
               timeout=TIMEOUT)
    if proc.returncode != 0:
        fx.res.fail(f"terraform init in {rel}", output_of(proc))
        return
    proc = run(["terraform", "validate", "-no-color"], cwd=root, env=env, timeout=TIMEOUT)
    if proc.returncode != 0:
        fx.res.fail(f"terraform validate in {rel}", output_of(proc))
    else:
        with LOCK:
            fx.res.validated += 1


def step_test(fx: Fixture, env: dict) -> None:
    proc = run(["terraform", "init", "-backend=false", "-input=false", "-no-color"], cwd=fx.project, env=env,
               timeout=TIMEOUT)
    if proc.returncode != 0:
        fx.res.fail("terraform init in the project root (for terraform test)", output_of(proc))
        return
    proc = run(["terraform", "test", "-no-color"], cwd=fx.project, env=env, timeout=TIMEOUT_LONG)
    counts = TF_SUMMARY.findall(output_of(proc))
    if counts:
        fx.res.tf_tests_passed, fx.res.tf_tests_failed = (int(x) for x in counts[-1])
    if proc.returncode != 0 or not counts:
        fx.res.fail("terraform test", output_of(proc))
    elif fx.res.tf_tests_passed == 0:
        fx.res.fail("terraform test ran no run block")


def step_schema(fx: Fixture, schema_ok: bool) -> None:
    if not schema_ok:
        fx.res.fail("provider-schema check: its self-test missed a planted error")
    script = REPO / "scripts" / "check_tf_schema.py"
    data = REPO / "assets" / "terraform" / "aws-provider-schema.json.gz"
    if not (script.exists() and data.exists()):
        fx.res.not_run.append("provider-schema check (no schema data file)")
        return
    proc = run([sys.executable, script, "--schema", data, fx.project], timeout=TIMEOUT)
    # e.g. "schema: 91 resources, 24 data sources, 539 arguments, 88 blocks checked against ...; 0 unknown"
    fx.res.schema = (proc.stdout.strip().splitlines() or ["?"])[-1]
    if proc.returncode != 0:
        fx.res.fail("provider-schema check against 6.x", output_of(proc))


def step_cfn_lint(fx: Fixture, venv: Path) -> None:
    templates = sorted((fx.project / "bootstrap").glob("*.yaml"))
    if not templates:
        fx.res.fail("no bootstrap stack (bootstrap/*.yaml)")
        return
    proc = run([venv_tool(venv, "cfn-lint"), "--regions", fx.region, "--format", "parseable", "--", *templates],
               cwd=fx.project, timeout=TIMEOUT)
    found = [ln for ln in proc.stdout.splitlines() if re.search(r":[EWI]\d+:", ln)]
    errors = sum(1 for ln in found if re.search(r":E\d+:", ln))
    warnings = sum(1 for ln in found if re.search(r":W\d+:", ln))
    fx.res.lint = f"{len(templates)} tpl {errors}E/{warnings}W"
    if proc.returncode != 0:
        fx.res.fail(f"cfn-lint bootstrap/: {errors} error(s), {warnings} warning(s) (exit {proc.returncode})",
                    output_of(proc))


def step_deploy(fx: Fixture, venv: Path, work: Path) -> None:
    """DEP-01..05 on the bootstrap stacks as the Makefile deploys them."""
    report = work / f"{fx.res.name}.deploy.json"
    python = venv / "bin" / "python"
    proc = run([python if python.exists() else sys.executable, REPO / "scripts" / "deploy_checks.py", "project",
                ".", "--quiet", "--json", report], cwd=fx.project, timeout=TIMEOUT)
    try:
        data = json.loads(report.read_text()) if proc.returncode in (0, 1) else None
    except (OSError, json.JSONDecodeError):
        data = None
    if data is None:
        fx.res.fail(f"deploy checks exited {proc.returncode} without a report", output_of(proc))
        return
    findings = [f"{f['check']} {f['where']}: {f['message']}" for f in data.get("findings") or []]
    figures = data.get("figures") or {}
    deployments = (figures.get("DEP-01") or {}).get("deployments", "?")
    fx.res.deploy = f"{len(findings)} findings on {deployments} deployments"
    if findings or proc.returncode != 0:
        fx.res.fail(f"deploy checks: {len(findings)} finding(s)", "\n".join(findings) or output_of(proc))


def step_pytest(fx: Fixture, venv: Path) -> None:
    python = venv / "bin" / "python"
    proc = run([python if python.exists() else sys.executable, "-m", "pytest", "-p", "no:cacheprovider"],
               cwd=fx.project, env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"), timeout=TIMEOUT)
    # The summary line: "== 61 passed in 4.1s ==" (the project's pytest.ini may add -q).
    summary = [ln for ln in proc.stdout.splitlines() if re.search(r"\d+ (passed|failed|errors?) in ", ln)][-1:]
    counts = {kind: int(n) for n, kind in PYTEST_COUNT.findall(summary[0])} if summary else {}
    fx.res.pytest_passed = counts.get("passed", 0)
    if proc.returncode != 0:
        fx.res.fail("generated pytest suite", output_of(proc))
    elif fx.res.pytest_passed == 0:
        fx.res.fail("generated pytest suite ran no test")


def step_replay(fx: Fixture, binary: Path, work: Path) -> None:
    again = work / "replay" / fx.res.name
    proc = run([binary, "new", "--answers", fx.project / ".stackwright" / "answers.yaml", "--out", again],
               timeout=TIMEOUT)
    if proc.returncode != 0:
        fx.res.fail("replay from .stackwright/answers.yaml", output_of(proc))
        return
    diffs = tree_differences(fx.project, again, ignore=lambda rel: bool(ADDED.search(rel)))
    shutil.rmtree(again, ignore_errors=True)
    if diffs:
        fx.res.fail("replay from .stackwright/answers.yaml is not byte-identical", "\n".join(diffs))


# --------------------------------------------------------------------------
# checkov, once over every project and the canary


def write_canary(root: Path) -> None:
    """Two root modules calling one module; only envs/b's terraform.tfvars
    turns the volume's encryption off."""
    module = root / "modules" / "volume"
    module.mkdir(parents=True)
    (module / "main.tf").write_text(
        'variable "encrypted" {\n  type = bool\n}\n\n'
        'resource "aws_ebs_volume" "canary" {\n  availability_zone = "us-east-1a"\n  size              = 1\n'
        '  encrypted         = var.encrypted\n}\n')
    for name, value in (("a", None), ("b", "false")):
        env = root / "envs" / name
        env.mkdir(parents=True)
        (env / "main.tf").write_text(
            'variable "encrypted" {\n  type    = bool\n  default = true\n}\n\n'
            'module "volume" {\n  source    = "../../modules/volume"\n  encrypted = var.encrypted\n}\n')
        if value:
            (env / "terraform.tfvars").write_text(f"encrypted = {value}\n")


def checkov_all(fixtures: list[Fixture], scan_root: Path, venv: Path) -> str:
    """One checkov run (terraform and cloudformation) over scan_root, which
    holds every fixture's project and the canary; counts go to each fixture
    by the first component of the file path. Returns a one-line summary."""
    write_canary(scan_root / CANARY)
    proc = run([venv_tool(venv, "checkov"), "--framework", "terraform", "cloudformation", "-d", ".",
                "--compact", "-o", "json", "--skip-download"], cwd=scan_root, timeout=TIMEOUT_LONG * 2)
    reports = checkov_reports(proc.stdout)
    if reports is None:
        for fx in fixtures:
            fx.res.fail(f"checkov produced no JSON report (exit {proc.returncode})", output_of(proc))
        return "checkov: no report"
    per = {fx.res.name: {"passed": 0, "failed": 0, "skipped": 0, "lines": []} for fx in fixtures}
    canary_failed = []
    parse_errors = []
    for report in reports:
        results = report.get("results") or {}
        parse_errors += [str(p) for p in results.get("parsing_errors", [])]
        for kind in ("passed", "failed", "skipped"):
            for check in results.get(f"{kind}_checks", []):
                path = str(check.get("file_path", "")).lstrip("./")
                top = path.split("/", 1)[0]
                if top == CANARY:
                    if kind == "failed" and check.get("check_id") == "CKV_AWS_3":
                        canary_failed.append(str(check.get("caller_file_path") or path))
                    continue
                if top not in per:
                    continue
                per[top][kind] += 1
                if kind == "failed":
                    caller = check.get("caller_file_path")
                    per[top]["lines"].append(
                        f"{check.get('check_id')} {check.get('resource')} ({path}"
                        f"{', called from ' + str(caller).lstrip('./') if caller else ''}): {check.get('check_name')}")
    canary_ok = len(canary_failed) == 1 and "envs/b/" in canary_failed[0]
    for fx in fixtures:
        c = per[fx.res.name]
        fx.res.checkov_passed, fx.res.checkov_failed, fx.res.checkov_skipped = c["passed"], c["failed"], c["skipped"]
        if c["failed"]:
            fx.res.fail(f"checkov: {c['failed']} failed check(s)", "\n".join(c["lines"]))
        if c["passed"] == 0:
            fx.res.fail("checkov evaluated nothing in the project")
        if not canary_ok:
            fx.res.fail("checkov did not apply each root's terraform.tfvars (the canary's planted failure in "
                        "envs/b was reported as: " + (", ".join(canary_failed) or "nothing") +
                        "): the per-environment results are unproven")
        mine = [p for p in parse_errors if f"/{fx.res.name}/" in p]
        if mine:
            fx.res.fail(f"checkov could not parse {len(mine)} file(s)", "\n".join(mine))
    if proc.returncode not in (0, 1):
        for fx in fixtures:
            fx.res.fail(f"checkov exited {proc.returncode}", trim(proc.stderr, TRIM))
    return (f"checkov: one scan of {len(fixtures)} project(s); canary "
            f"{'caught (the failing root alone)' if canary_ok else 'MISSED'}")


# --------------------------------------------------------------------------


def status(res: Result) -> str:
    return "PASS" if res.ok else ("FAIL" if res.problems else "NOT RUN")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stackwright", required=True, type=Path, help="the stackwright binary to test")
    parser.add_argument("--answers-dir", default=REPO / "tests" / "fixtures" / "answers", type=Path)
    parser.add_argument("--only", action="append", default=[], help="run only fixtures whose name contains TEXT")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2,
                        help="commands run at once (default: the number of cores)")
    parser.add_argument("--keep", action="store_true", help="keep the generated projects")
    args = parser.parse_args(argv)
    given = os.environ.get("STACKWRIGHT_VENV")
    venv = Path(given if given else REPO / ".venv-checkers" if (REPO / ".venv-checkers").is_dir()
                else sys.prefix).resolve()
    binary = args.stackwright.resolve()
    fixtures_files = sorted(p for p in args.answers_dir.glob("*.yaml")
                            if not args.only or any(o in p.name for o in args.only))
    t0 = time.monotonic()
    mirror = find_mirror()
    terraform = shutil.which("terraform")
    if not terraform or mirror is None:
        missing = "terraform is not on PATH" if not terraform else \
            "no AWS provider mirror (set TF_PLUGIN_MIRROR to the directory holding registry.terraform.io)"
        banner = "!" * 78
        log(banner)
        log(f"check_terraform: WARNING: {missing}:")
        log("check_terraform: terraform fmt, init, validate and terraform test are NOT RUN; no fixture can pass")
        log(banner)
    else:
        log(f"check_terraform: {run(['terraform', 'version']).stdout.splitlines()[0]}, provider mirror {mirror}")
    proc = run([sys.executable, REPO / "scripts" / "check_tf_schema.py", "--self-test"], timeout=TIMEOUT)
    log(proc.stdout.strip())
    schema_ok = proc.returncode == 0
    if not schema_ok:
        log("check_terraform: the provider-schema check misses planted errors; every fixture fails")

    work = Path(tempfile.mkdtemp(prefix="stackwright-tf-"))
    scan_root = work / "projects"
    scan_root.mkdir()
    # The binary as it is now renders and replays every fixture, even when
    # it is rebuilt while the matrix runs.
    shutil.copy2(binary, work / "stackwright")
    binary = work / "stackwright"
    env = terraform_env(work, mirror) if (terraform and mirror) else None
    fixtures: list[Fixture] = []
    for answers in fixtures_files:
        fx = Fixture(Result(answers.stem), answers, scan_root / answers.stem, region_of(answers))
        proc = timed(fx.res.times, "render", lambda: run(
            [binary, "new", "--answers", answers, "--set", "flavor=terraform", "--out", fx.project],
            timeout=TIMEOUT))
        if proc.returncode != 0:
            fx.res.fail("stackwright new --set flavor=terraform", output_of(proc))
        fixtures.append(fx)
    rendered = [fx for fx in fixtures if fx.res.ok]

    # Longest first: checkov over everything, then terraform test, validate, the rest.
    tasks = []
    if rendered:
        tasks.append(("checkov", None, lambda: checkov_all(rendered, scan_root, venv)))
    for fx in rendered:
        roots = tf_roots(fx.project)
        fx.res.roots = len(roots)
        if env is None:
            fx.res.not_run += ["terraform fmt", "terraform init/validate", "terraform test"]
            continue
        tasks.append(("test", fx, lambda fx=fx: step_test(fx, env)))
    for fx in rendered:
        if env is not None:
            for root in tf_roots(fx.project):
                tasks.append(("validate", fx, lambda fx=fx, root=root: step_validate(fx, root, env)))
    for fx in rendered:
        tasks.append(("pytest", fx, lambda fx=fx: step_pytest(fx, venv)))
        tasks.append(("cfn-lint", fx, lambda fx=fx: step_cfn_lint(fx, venv)))
        tasks.append(("deploy", fx, lambda fx=fx: step_deploy(fx, venv, work)))
        if env is not None:
            tasks.append(("fmt", fx, lambda fx=fx: step_fmt(fx, env)))
        tasks.append(("schema", fx, lambda fx=fx: step_schema(fx, schema_ok)))
        tasks.append(("replay", fx, lambda fx=fx: step_replay(fx, binary, work)))

    checkov_line = ""
    checkov_seconds = 0.0

    def do(task):
        nonlocal checkov_line, checkov_seconds
        name, fx, fn = task
        start = time.monotonic()
        try:
            out = fn()
        except Exception as exc:  # a bug in a step must fail its fixture, not vanish
            if fx is None:
                for f in rendered:
                    f.res.fail(f"{name} raised {type(exc).__name__}: {exc}")
            else:
                fx.res.fail(f"{name} raised {type(exc).__name__}: {exc}")
            out = None
        took = time.monotonic() - start
        if fx is None:
            checkov_line, checkov_seconds = out or "", took
        else:
            with LOCK:
                fx.res.times[name] = fx.res.times.get(name, 0.0) + took

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        list(pool.map(do, tasks))

    try:
        for fx in fixtures:
            res = fx.res
            total = sum(res.times.values())
            log(f"{status(res)} {res.name}: roots {res.validated}/{res.roots} valid, terraform test "
                f"{res.tf_tests_passed} passed/{res.tf_tests_failed} failed, checkov {res.checkov_passed} passed "
                f"{res.checkov_failed} failed {res.checkov_skipped} skipped, pytest {res.pytest_passed} passed, "
                f"cfn-lint {res.lint}, deploy checks {res.deploy}, {res.schema}")
            log("    times: " + ", ".join(f"{k} {res.times[k]:.1f}s" for k in STEPS if k in res.times)
                + f"; total {total:.1f}s")
            for title, detail in res.problems:
                log(f"    ! {title}")
                for line in trim(detail, TRIM).splitlines() if detail.strip() else []:
                    log(f"      {line}")
            for n in res.not_run:
                log(f"    NOT RUN: {n}")
    finally:
        if args.keep:
            log(f"check_terraform: generated projects kept in {scan_root}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    if checkov_line:
        log(f"{checkov_line} ({checkov_seconds:.0f}s)")
    totals = {k: sum(fx.res.times.get(k, 0.0) for fx in fixtures) for k in STEPS}
    log("check_terraform: time per step over all fixtures: "
        + ", ".join(f"{k} {v:.0f}s" for k, v in totals.items() if v) + f", checkov {checkov_seconds:.0f}s")
    cpu = os.times()
    log(f"check_terraform: {len(fixtures)} fixture(s) in {time.monotonic() - t0:.0f}s wall, "
        f"{cpu.children_user + cpu.children_system:.0f}s CPU in checkers, {args.jobs} at once")
    results = [fx.res for fx in fixtures]
    passed = sum(r.ok for r in results)
    failed = len(results) - passed
    not_run = sum(1 for r in results if r.not_run and not r.problems)
    if not_run:
        log(f"check_terraform: {not_run} fixture(s) had steps that did NOT RUN; they count as failed")
    log(f"check_terraform: {passed} passed, {failed} failed")
    return 0 if results and failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
