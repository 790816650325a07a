#!/usr/bin/env python3
"""Terraform matrix for stackwright.

For every answers file in --answers-dir (sorted), generate the project as
`flavor: terraform` (`stackwright new --answers FILE --set flavor=terraform`)
and prove it:

  * terraform fmt -check -recursive;
  * terraform init -backend=false and validate in every environment root
    (envs/<env>), offline against the provider mirror;
  * terraform test in the project root (the generated tests/*.tftest.hcl,
    mock provider, command = plan);
  * the provider-schema check against the 6.x provider
    (scripts/check_tf_schema.py, when its data file is present);
  * checkov --framework terraform: 0 failed over the project, and again per
    environment root with that environment's --var-file;
  * cfn-lint of the bootstrap stack (bootstrap/state.yaml);
  * the generated offline pytest suite (tests/python);
  * `stackwright new` on the stored .stackwright/answers.yaml reproduces the
    project byte for byte.

When terraform or the provider mirror is missing, the Terraform steps are
reported loudly as NOT RUN and are never counted as passed; the other steps
still run. Prints one line per fixture and finally
`check_terraform: N passed, M failed` (a fixture passes only when every
step ran and passed). Exits 1 when a fixture failed or none ran.

Environment: TF_PLUGIN_MIRROR (default: the directory holding
registry.terraform.io under /opt/tf-plugins), STACKWRIGHT_VENV (checkers
venv, default .venv-checkers).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import filecmp
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

REPO = Path(__file__).resolve().parent.parent
TF_SUMMARY = re.compile(r"(\d+) passed, (\d+) failed")
PYTEST_COUNT = re.compile(r"(\d+) (passed|failed|errors?)")


@dataclass
class Result:
    name: str
    failures: list = field(default_factory=list)
    not_run: list = field(default_factory=list)
    validated: int = 0
    roots: int = 0
    tf_tests_passed: int = 0
    tf_tests_failed: int = 0
    checkov_passed: int = 0
    checkov_failed: int = 0
    checkov_skipped: int = 0
    checkov_scans: int = 0
    pytest_passed: int = 0
    schema: str = "-"
    seconds: float = 0.0

    def fail(self, what: str, detail: str = "") -> None:
        tail = "\n".join(detail.strip().splitlines()[-30:])
        self.failures.append(f"{what}\n{tail}" if tail else what)

    @property
    def ok(self) -> bool:
        return not self.failures and not self.not_run


def run(cmd, cwd=None, env=None, timeout=900) -> subprocess.CompletedProcess:
    cmd = [str(c) for c in cmd]
    try:
        return subprocess.run(cmd, cwd=cwd, env=env, timeout=timeout, text=True,
                              stdin=subprocess.DEVNULL, capture_output=True, errors="replace")
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(cmd, 124, "", f"timed out after {timeout}s: {' '.join(cmd)}")
    except FileNotFoundError as exc:
        return subprocess.CompletedProcess(cmd, 127, "", str(exc))


def output_of(proc) -> str:
    return (proc.stdout or "") + (proc.stderr or "")


def find_mirror() -> Path | None:
    given = os.environ.get("TF_PLUGIN_MIRROR")
    candidates = [Path(given)] if given else [Path("/opt/tf-plugins")]
    for c in candidates:
        if (c / "registry.terraform.io" / "hashicorp" / "aws").is_dir():
            return c
    return None


def terraform_env(workdir: Path, mirror: Path) -> dict:
    rc = workdir / "terraformrc"
    rc.write_text(
        "provider_installation {\n"
        f"  filesystem_mirror {{\n    path    = \"{mirror}\"\n    include = [\"registry.terraform.io/*/*\"]\n  }}\n"
        "  direct {\n    exclude = [\"registry.terraform.io/*/*\"]\n  }\n}\n"
    )
    env = dict(os.environ)
    env.update({"TF_CLI_CONFIG_FILE": str(rc), "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1",
                "NO_COLOR": "1", "TF_INPUT": "0"})
    return env


def venv_tool(venv: Path, name: str) -> str:
    path = venv / "bin" / name
    return str(path) if path.exists() else name


def tf_roots(project: Path) -> list[Path]:
    """The root modules: one per environment, and the pipeline's when there is one."""
    roots = sorted(p for p in (project / "envs").iterdir() if p.is_dir())
    if (project / "pipeline" / "main.tf").is_file():
        roots.append(project / "pipeline")
    return roots


def check_terraform(res: Result, project: Path, env: dict | None) -> None:
    roots = tf_roots(project)
    res.roots = len(roots)
    if env is None:
        res.not_run += ["terraform fmt", "terraform validate", "terraform test"]
        return
    proc = run(["terraform", "fmt", "-check", "-recursive", "-diff"], cwd=project, env=env)
    if proc.returncode != 0:
        res.fail("terraform fmt -check: files need formatting", output_of(proc))
    for root in [project] + roots:
        proc = run(["terraform", "init", "-backend=false", "-input=false", "-no-color"], cwd=root, env=env)
        if proc.returncode != 0:
            res.fail(f"terraform init in {root.relative_to(project) or '.'}", output_of(proc))
            continue
        if root == project:
            continue
        proc = run(["terraform", "validate", "-no-color"], cwd=root, env=env)
        if proc.returncode != 0:
            res.fail(f"terraform validate in {root.relative_to(project)}", output_of(proc))
        else:
            res.validated += 1
    proc = run(["terraform", "test", "-no-color"], cwd=project, env=env, timeout=1800)
    counts = TF_SUMMARY.findall(output_of(proc))
    if counts:
        res.tf_tests_passed, res.tf_tests_failed = (int(x) for x in counts[-1])
    if proc.returncode != 0 or not counts:
        res.fail("terraform test", output_of(proc))
    elif res.tf_tests_passed == 0:
        res.fail("terraform test ran no run block")


def check_checkov(res: Result, project: Path, venv: Path) -> None:
    scans = [(project, [])]
    for root in tf_roots(project):
        scans.append((root, ["--var-file", str(root / "terraform.tfvars")]))
    for directory, extra in scans:
        proc = run([venv_tool(venv, "checkov"), "--framework", "terraform", "-d", str(directory), "--compact",
                    "-o", "json", "--skip-download", *extra], cwd=project, timeout=1800)
        text = proc.stdout
        start = text.find("{") if text.find("{") >= 0 else text.find("[")
        try:
            data = json.loads(text[start:]) if start >= 0 else None
        except json.JSONDecodeError:
            data = None
        if data is None:
            res.fail(f"checkov produced no JSON report for {directory.name}", output_of(proc))
            continue
        reports = data if isinstance(data, list) else [data]
        failed = []
        for report in reports:
            summary = report.get("summary", {})
            res.checkov_passed += summary.get("passed", 0)
            res.checkov_skipped += summary.get("skipped", 0)
            res.checkov_failed += summary.get("failed", 0)
            for check in report.get("results", {}).get("failed_checks", []):
                failed.append(f"{check['check_id']} {check['resource']} {check['file_path']}")
        res.checkov_scans += 1
        if failed:
            res.fail(f"checkov ({directory.relative_to(project.parent)}): {len(failed)} failed", "\n".join(failed))


SCHEMA_SELF_TEST_OK = True


def check_schema(res: Result, project: Path) -> None:
    if not SCHEMA_SELF_TEST_OK:
        res.fail("provider-schema check: its self-test missed a planted error")
    script = REPO / "scripts" / "check_tf_schema.py"
    data = REPO / "assets" / "terraform" / "aws-provider-schema.json.gz"
    if not (script.exists() and data.exists()):
        res.not_run.append("provider-schema check (no schema data file)")
        return
    proc = run([sys.executable, script, "--schema", data, project])
    # e.g. "schema: 91 resources, 24 data sources, 539 arguments, 88 blocks checked against ...; 0 unknown"
    res.schema = (proc.stdout.strip().splitlines() or ["?"])[-1]
    if proc.returncode != 0:
        res.fail("provider-schema check against 6.x", output_of(proc))


def check_cfn_lint(res: Result, project: Path, venv: Path, region: str) -> None:
    templates = sorted((project / "bootstrap").glob("*.yaml"))
    if not templates:
        return
    proc = run([venv_tool(venv, "cfn-lint"), "--regions", region, "--", *templates], cwd=project)
    if proc.returncode != 0:
        res.fail("cfn-lint bootstrap/", output_of(proc))
    proc = run([venv_tool(venv, "checkov"), "--framework", "cloudformation", "-d", "bootstrap", "--compact",
                "-o", "json", "--skip-download"], cwd=project, timeout=1800)
    text = proc.stdout
    start = text.find("{")
    try:
        data = json.loads(text[start:]) if start >= 0 else None
    except json.JSONDecodeError:
        data = None
    if data is None:
        res.fail("checkov produced no JSON report for bootstrap/", output_of(proc))
        return
    summary = data.get("summary", {})
    res.checkov_passed += summary.get("passed", 0)
    res.checkov_skipped += summary.get("skipped", 0)
    res.checkov_failed += summary.get("failed", 0)
    res.checkov_scans += 1
    failed = [f"{c['check_id']} {c['resource']} {c['file_path']}" for c in data.get("results", {}).get("failed_checks", [])]
    if failed:
        res.fail(f"checkov (bootstrap/, cloudformation): {len(failed)} failed", "\n".join(failed))


def check_pytest(res: Result, project: Path, venv: Path) -> None:
    python = venv / "bin" / "python"
    proc = run([python if python.exists() else sys.executable, "-m", "pytest", "-p", "no:cacheprovider"],
               cwd=project)
    counts = dict((k, int(n)) for n, k in PYTEST_COUNT.findall(output_of(proc)))
    res.pytest_passed = counts.get("passed", 0)
    if proc.returncode != 0:
        res.fail("generated pytest suite", output_of(proc))
    elif res.pytest_passed == 0:
        res.fail("generated pytest suite ran no test")


def check_replay(res: Result, binary: Path, project: Path, work: Path) -> None:
    again = work / "replay"
    proc = run([binary, "new", "--answers", project / ".stackwright" / "answers.yaml", "--out", again])
    if proc.returncode != 0:
        res.fail("replay from .stackwright/answers.yaml", output_of(proc))
        return
    diff = []

    def walk(cmp: filecmp.dircmp, prefix: str) -> None:
        diff.extend(f"{prefix}{n}" for n in cmp.left_only + cmp.right_only + cmp.diff_files + cmp.funny_files)
        for name, sub in cmp.subdirs.items():
            walk(sub, f"{prefix}{name}/")

    cmp = filecmp.dircmp(project, again, ignore=[".terraform", ".terraform.lock.hcl", ".pytest_cache",
                                                 "__pycache__", ".tflint.d"])
    walk(cmp, "")
    # dircmp compares by stat signature first; compare every file byte for byte.
    for path in sorted(p for p in project.rglob("*") if p.is_file() and ".terraform" not in p.parts
                       and "__pycache__" not in p.parts and p.name != ".terraform.lock.hcl"):
        other = again / path.relative_to(project)
        if other.is_file() and path.read_bytes() != other.read_bytes():
            diff.append(str(path.relative_to(project)))
    if diff:
        res.fail("replay is not byte-identical", "\n".join(sorted(set(diff))))


def region_of(answers: Path) -> str:
    match = re.search(r"^region:\s*([a-z0-9-]+)", answers.read_text(encoding="utf-8"), re.M)
    return match.group(1) if match else "us-east-1"


def check_fixture(answers: Path, binary: Path, venv: Path, mirror: Path | None, keep: bool) -> Result:
    res = Result(answers.stem)
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix=f"tf-{answers.stem[:2]}-"))
    project = work / "project"
    proc = run([binary, "new", "--answers", answers, "--set", "flavor=terraform", "--out", project])
    if proc.returncode != 0:
        res.fail("stackwright new --set flavor=terraform", output_of(proc))
    else:
        env = terraform_env(work, mirror) if (mirror and shutil.which("terraform")) else None
        check_terraform(res, project, env)
        check_schema(res, project)
        check_checkov(res, project, venv)
        check_cfn_lint(res, project, venv, region_of(answers))
        check_pytest(res, project, venv)
        check_replay(res, binary, project, work)
    res.seconds = time.monotonic() - started
    if keep:
        print(f"kept {answers.stem}: {project}", flush=True)
    else:
        shutil.rmtree(work, ignore_errors=True)
    return res


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stackwright", required=True, type=Path, help="the stackwright binary to test")
    parser.add_argument("--answers-dir", default=REPO / "tests" / "fixtures" / "answers", type=Path)
    parser.add_argument("--only", action="append", default=[], help="run only fixtures whose name contains TEXT")
    parser.add_argument("--jobs", type=int, default=2, help="fixtures checked at once (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep the generated projects")
    args = parser.parse_args()
    venv = Path(os.environ.get("STACKWRIGHT_VENV", REPO / ".venv-checkers")).resolve()
    binary = args.stackwright.resolve()
    fixtures = sorted(p for p in args.answers_dir.glob("*.yaml")
                      if not args.only or any(o in p.name for o in args.only))
    mirror = find_mirror()
    if not shutil.which("terraform") or mirror is None:
        missing = "terraform is not on PATH" if not shutil.which("terraform") else "no AWS provider mirror (TF_PLUGIN_MIRROR)"
        print(f"check_terraform: WARNING: {missing}: fmt, validate and terraform test are NOT RUN "
              "and no fixture can pass", file=sys.stderr, flush=True)
    schema_script = REPO / "scripts" / "check_tf_schema.py"
    proc = run([sys.executable, schema_script, "--self-test"])
    print(proc.stdout.strip(), flush=True)
    if proc.returncode != 0:
        global SCHEMA_SELF_TEST_OK
        SCHEMA_SELF_TEST_OK = False
        print("check_terraform: the provider-schema check misses planted errors; every fixture fails", flush=True)
    results = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(check_fixture, f, binary, venv, mirror, args.keep) for f in fixtures]
        for fut in futures:
            res = fut.result()
            results.append(res)
            status = "PASS" if res.ok else ("FAIL" if res.failures else "NOT RUN")
            print(f"{status} {res.name}: roots {res.validated}/{res.roots} valid, terraform test "
                  f"{res.tf_tests_passed} passed/{res.tf_tests_failed} failed, checkov {res.checkov_passed} passed "
                  f"{res.checkov_failed} failed {res.checkov_skipped} skipped in {res.checkov_scans} scans, "
                  f"pytest {res.pytest_passed} passed, schema {res.schema} ({res.seconds:.0f} s)", flush=True)
            for f in res.failures:
                print("    " + f.replace("\n", "\n    "), flush=True)
            for n in res.not_run:
                print(f"    NOT RUN: {n}", flush=True)
    passed = sum(r.ok for r in results)
    failed = len(results) - passed
    not_run = sum(1 for r in results if r.not_run and not r.failures)
    if not_run:
        print(f"check_terraform: {not_run} fixture(s) had steps that did NOT RUN; they count as failed", flush=True)
    print(f"check_terraform: {passed} passed, {failed} failed", flush=True)
    return 0 if results and failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
