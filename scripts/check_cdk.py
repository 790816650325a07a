#!/usr/bin/env python3
"""Render every answers fixture as the CDK flavour and prove the app it writes.

For each fixture in the answers directory, `stackwright new --set flavor=cdk`
renders a project; then, offline, in that project:

  * tsc: no type error;
  * jest (the project's own tests, CDK_VALIDATION=false as `npm test` sets it):
    reported as `N passed, N failed`, every test must pass;
  * cdk synth (the pinned CLI, no lookups, CDK's validation on) with cdk-nag's
    AwsSolutions pack: no unacknowledged finding (the count of acknowledged
    ones is reported);
  * cfn-lint on every synthesized template, in the answers' region: 0 errors,
    0 warnings (informational rules are not enabled: CDK writes Fn::Join
    where Fn::Sub would do, I1022, in every template);
  * checkov on cdk.out: 0 failed;
  * scripts/deploy_checks.py cdk on cdk.out (DEP-01..05), the ephemeral
    environments' stages marked for DEP-04, and DEP-02 against the CDK
    bootstrap's execution policies the project ships
    (bootstrap/execution-policy-*.json): 0 findings, reported per check;
  * every synthesized resource type is listed for its stack in
    assets/cdk_resource_types.yaml (the execution policies are rendered
    from that list; --write-types adds what is missing).

node_modules is installed once for the whole matrix with `npm ci` from the
blueprint's package-lock.json into a cache directory keyed by the lock's hash
(reused while the lock and the node version are unchanged) and linked into
each project. jest and cdk synth of a fixture run side by side; cfn-lint
(once per region) and checkov (once) then scan the templates of every fixture
together, which saves their start-up per fixture. The last line is
`check_cdk: N passed, M failed`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import matrixlib  # noqa: E402
from matrixlib import Outcome, checkov_reports, log, output_of  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BLUEPRINT = ROOT / "blueprints" / "cdk" / "project"
DEPLOY_CHECKS = ROOT / "scripts" / "deploy_checks.py"
TYPES_FILE = ROOT / "assets" / "cdk_resource_types.yaml"
TYPES_HEADER = """\
# The CloudFormation resource types each CDK stack synthesizes, per blueprint
# and variant (app-<kind>, database-<engine>), over the answers fixtures.
# scripts/handler_permissions.py reads it to add these types' handler actions
# to assets/handler_permissions.yaml (cdk_blueprints), from which stackwright
# renders the CDK bootstrap's CloudFormation execution policies and the
# generated project's test/handler-permissions.json.
#
# scripts/check_cdk.py fails a fixture whose cdk.out holds a type not listed
# here for its stack; `scripts/check_cdk.py --write-types` adds what it found
# (then re-run scripts/handler_permissions.py). A type only an answers
# combination outside the fixtures produces is caught by the generated
# project's own DEP-02 test.
"""
PLACEHOLDER = "{{ project.name }}"
CACHE_NAME = "stackwright-cdk-cache"
TIMEOUT = 900
TRIM = 40
# No network: CDK's version check, notices and telemetry stay off.
OFFLINE_ENV = {
    "CDK_DISABLE_VERSION_CHECK": "1",
    "CDK_DISABLE_CLI_TELEMETRY": "true",
    "CI": "true",
    "NO_COLOR": "1",
    "FORCE_COLOR": "0",
}


@dataclass
class Result(Outcome):
    fixture: str
    tsc_errors: int | None = None
    jest_passed: int | None = None
    jest_failed: int | None = None
    nag_findings: int | None = None
    nag_acknowledged: int | None = None
    templates: int = 0
    lint_errors: int | None = None
    lint_warnings: int | None = None
    checkov_failed: int | None = None
    checkov_passed: int | None = None
    checkov_skipped: int | None = None
    deploy_findings: int | None = None
    types_unlisted: int | None = None
    dep: dict = field(default_factory=dict)
    dep02: str = ""
    times: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)


def trim(text: str, limit: int = TRIM) -> str:
    return matrixlib.trim(text, limit)


def run(cmd, cwd=None, env=None, timeout=TIMEOUT) -> subprocess.CompletedProcess:
    return matrixlib.run(cmd, cwd=cwd, env=env, timeout=timeout)


def tool(name: str) -> str:
    return matrixlib.tool(name, "check_cdk")


# --------------------------------------------------------------------------
# the shared node_modules


def install_node_modules(cache_root: Path) -> Path:
    """node_modules for every generated project, installed once per lock file."""
    lock = (BLUEPRINT / "package-lock.json").read_text().replace(PLACEHOLDER, CACHE_NAME)
    package = (BLUEPRINT / "package.json").read_text().replace(PLACEHOLDER, CACHE_NAME)
    node = run(["node", "--version"]).stdout.strip()
    # The lock decides what npm ci installs (it refuses a package.json that
    # disagrees with it), so the key is the lock and the node version.
    key = hashlib.sha256((lock + "\0" + node).encode()).hexdigest()[:16]
    home = cache_root / f"cdk-node-modules-{key}"
    done = home / ".installed"
    if done.is_file() and (home / "node_modules").is_dir():
        log(f"check_cdk: reusing {home}/node_modules (lock {key}, node {node})")
        return home / "node_modules"
    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    (home / "package.json").write_text(package)
    (home / "package-lock.json").write_text(lock)
    start = time.monotonic()
    proc = run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=home,
               env=dict(os.environ, **OFFLINE_ENV))
    if proc.returncode != 0:
        shutil.rmtree(home, ignore_errors=True)
        sys.exit(f"check_cdk: npm ci failed in {home}:\n{trim(output_of(proc))}")
    done.write_text(f"{key}\n")
    log(f"check_cdk: npm ci into {home} in {time.monotonic() - start:.1f}s")
    return home / "node_modules"


# --------------------------------------------------------------------------
# one fixture


def timed(res: Result, name: str, fn):
    return matrixlib.timed(res.times, name, fn)


def check_tsc(res: Result, out: Path, env: dict) -> None:
    proc = run(["node_modules/.bin/tsc"], cwd=out, env=env)
    errors = [line for line in proc.stdout.splitlines() if ": error TS" in line]
    res.tsc_errors = len(errors)
    if proc.returncode != 0:
        res.fail(f"tsc: {len(errors)} error(s) (exit {proc.returncode})", "\n".join(errors) or output_of(proc))


def check_jest(res: Result, out: Path, env: dict, work: Path) -> None:
    report = work / f"{res.fixture}.jest.json"
    proc = run(["node_modules/.bin/jest", "--ci", "--json", f"--outputFile={report}"], cwd=out,
               env=dict(env, CDK_VALIDATION="false"))
    try:
        data = json.loads(report.read_text())
    except (OSError, json.JSONDecodeError):
        res.fail(f"jest produced no report (exit {proc.returncode})", output_of(proc))
        return
    res.jest_passed = int(data.get("numPassedTests", 0))
    res.jest_failed = int(data.get("numFailedTests", 0)) + int(data.get("numRuntimeErrorTestSuites", 0))
    log(f"  jest: {res.jest_passed} passed, {res.jest_failed} failed")
    if res.jest_failed or proc.returncode != 0 or res.jest_passed == 0:
        failed = [f"{a.get('fullName')}: {(a.get('failureMessages') or [''])[0].splitlines()[0] if a.get('failureMessages') else ''}"
                  for suite in data.get("testResults", []) for a in suite.get("assertionResults", [])
                  if a.get("status") == "failed"]
        broken = [f"{s.get('name')}: {s.get('message', '')[:400]}" for s in data.get("testResults", [])
                  if s.get("status") == "failed" and not s.get("assertionResults")]
        res.fail(f"jest: {res.jest_passed} passed, {res.jest_failed} failed", "\n".join(failed + broken))


def check_synth(res: Result, out: Path, env: dict) -> bool:
    shutil.rmtree(out / "cdk.out", ignore_errors=True)
    proc = run(["node_modules/.bin/cdk", "synth", "--quiet", "--no-notices", "--no-version-reporting",
                "--lookups=false"], cwd=out, env=env)
    report = out / "cdk.out" / "validation-report.json"
    if report.is_file():
        data = json.loads(report.read_text())
        plugins = [p for p in data.get("pluginReports", []) if p.get("pluginName") == "AwsSolutions"]
        res.nag_findings = sum(len(p.get("violations", [])) for p in plugins)
        res.nag_acknowledged = sum(len(p.get("suppressedViolations", [])) for p in plugins)
        if not plugins:
            res.fail("cdk-nag did not run: no AwsSolutions report in cdk.out/validation-report.json")
    else:
        res.fail("cdk synth wrote no validation report (cdk-nag did not run)", output_of(proc))
    if proc.returncode != 0:
        res.fail(f"cdk synth failed (exit {proc.returncode})", output_of(proc))
        return False
    if res.nag_findings:
        res.fail(f"cdk-nag: {res.nag_findings} unacknowledged finding(s)", output_of(proc))
    return True


def lint_all(fixtures: list["Fixture"]) -> None:
    """cfn-lint once per region over the templates of every fixture in it."""
    by_region: dict[str, list[Fixture]] = {}
    for fx in fixtures:
        by_region.setdefault(fx.region, []).append(fx)
    for region, group in sorted(by_region.items()):
        templates = [t for fx in group for t in fx.templates]
        proc = run([tool("cfn-lint"), "--regions", region, "--format", "parseable", "--", *templates])
        for fx in group:
            counts = {"E": 0, "W": 0}
            offending = []
            for line in proc.stdout.splitlines():
                if not line.startswith(str(fx.out) + "/"):
                    continue
                parts = line.split(":", 5)
                if len(parts) >= 6 and parts[5][:1] in counts:
                    counts[parts[5][:1]] += 1
                    offending.append(line.removeprefix(str(fx.out) + "/"))
            fx.res.lint_errors, fx.res.lint_warnings = counts["E"], counts["W"]
            if counts["E"] or counts["W"]:
                fx.res.fail(f"cfn-lint: {counts['E']} error(s), {counts['W']} warning(s)", "\n".join(offending))
        if proc.returncode != 0 and not any(fx.res.lint_errors or fx.res.lint_warnings for fx in group):
            for fx in group:
                fx.res.fail(f"cfn-lint exited {proc.returncode}", output_of(proc))


def checkov_all(fixtures: list["Fixture"], work: Path) -> None:
    """checkov once over a copy of every fixture's templates (scan/<fixture>/...)."""
    scan = work / "scan"
    for fx in fixtures:
        for t in fx.templates:
            dest = scan / fx.res.fixture / t.relative_to(fx.out / "cdk.out")
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(t, dest)
    proc = run([tool("checkov"), "--framework", "cloudformation", "-d", ".", "--compact",
                "-o", "json", "--skip-download"], cwd=scan)
    reports = checkov_reports(proc.stdout)
    if reports is None:
        for fx in fixtures:
            fx.res.fail(f"checkov produced no JSON report (exit {proc.returncode})", output_of(proc))
        return
    per = {fx.res.fixture: {"passed": 0, "failed": 0, "skipped": 0, "lines": []} for fx in fixtures}
    parse_errors = []
    for report in reports:
        results = report.get("results") or {}
        parse_errors += [str(p) for p in results.get("parsing_errors", [])]
        for kind in ("passed", "failed", "skipped"):
            for check in results.get(f"{kind}_checks", []):
                path = str(check.get("file_path", "")).lstrip("./")
                top = path.split("/", 1)[0]
                if top not in per:
                    continue
                per[top][kind] += 1
                if kind == "failed":
                    per[top]["lines"].append(f"{check.get('check_id')} {check.get('resource')} ({path}): {check.get('check_name')}")
    for fx in fixtures:
        c = per[fx.res.fixture]
        fx.res.checkov_failed, fx.res.checkov_passed, fx.res.checkov_skipped = c["failed"], c["passed"], c["skipped"]
        if c["failed"]:
            fx.res.fail(f"checkov: {c['failed']} failed check(s)", "\n".join(c["lines"]))
        if c["passed"] == 0:
            fx.res.fail("checkov evaluated nothing in cdk.out")
        mine = [p for p in parse_errors if f"/{fx.res.fixture}/" in p or p.startswith(fx.res.fixture)]
        if mine:
            fx.res.fail(f"checkov could not parse {len(mine)} file(s)", "\n".join(mine))


def ephemeral_stages(out: Path) -> list[str]:
    """Stage ids of the ephemeral environments, from config/environments.ts."""
    text = (out / "config" / "environments.ts").read_text()
    names = re.findall(r"name: '([a-z0-9-]+)',\n\s+profile: 'ephemeral'", text)
    return ["".join(p[:1].upper() + p[1:] for p in n.split("-")) for n in names]


DEP_CHECKS = ("DEP-01", "DEP-02", "DEP-03", "DEP-04", "DEP-05")


def check_deploy(res: Result, out: Path, region: str, work: Path) -> None:
    """DEP-01..05 on cdk.out; DEP-02 against the bootstrap execution policies
    the project's `make bootstrap` passes (bootstrap/execution-policy-*.json)."""
    report = work / f"{res.fixture}.deploy.json"
    cmd = [sys.executable, DEPLOY_CHECKS, "cdk", "cdk.out", "--region", region, "--quiet", "--json", report]
    for stage in ephemeral_stages(out):
        cmd += ["--ephemeral", stage]
    policies = sorted((out / "bootstrap").glob("execution-policy-*.json"))
    if not policies:
        res.fail("no bootstrap/execution-policy-*.json: DEP-02 has no execution role to check")
    for policy in policies:
        cmd += ["--execution-policy", policy.relative_to(out)]
    proc = run(cmd, cwd=out)
    if proc.returncode not in (0, 1):
        res.fail(f"deploy checks could not run (exit {proc.returncode})", output_of(proc))
        return
    try:
        data = json.loads(report.read_text())
        res.deploy_findings = len(data.get("findings", []))
        figures = data.get("figures") or {}
        res.dep = {c: (figures.get(c) or {}).get("findings") for c in DEP_CHECKS}
        dep02 = figures.get("DEP-02") or {}
        res.dep02 = (f"{dep02.get('roles', 0)} role, {dep02.get('resource_types', 0)} types, "
                     f"{dep02.get('actions_checked', 0)} actions, {dep02.get('actions_missing', 0)} missing")
        if policies and not dep02.get("roles"):
            res.fail("DEP-02 checked no execution role", output_of(proc))
    except (OSError, json.JSONDecodeError, AttributeError):
        res.deploy_findings = None
    if proc.returncode == 1:
        res.fail(f"deploy checks: {res.deploy_findings if res.deploy_findings is not None else 'some'} finding(s)",
                 output_of(proc))


def stack_key(stack: str, answers: dict) -> str:
    """The blueprint (and variant) a synthesized stack comes from: stack names
    are <project>-<env>-<concern> and <project>-pipeline."""
    project = str((answers.get("project") or {}).get("name"))
    if stack == f"{project}-pipeline":
        return "pipeline"
    concern = stack.rsplit("-", 1)[-1]
    if concern == "app":
        return f"app-{(answers.get('app') or {}).get('kind')}"
    if concern == "database":
        return f"database-{(answers.get('database') or {}).get('engine')}"
    return concern


def synthesized_types(out: Path) -> dict[str, set]:
    """Blueprint (and variant) -> the resource types of its stacks in cdk.out."""
    import yaml
    answers = yaml.safe_load((out / ".stackwright" / "answers.yaml").read_text()) or {}
    found: dict[str, set] = {}
    for manifest in sorted((out / "cdk.out").rglob("manifest.json")):
        arts = json.loads(manifest.read_text()).get("artifacts") or {}
        for name, art in arts.items():
            if art.get("type") != "aws:cloudformation:stack":
                continue
            props = art.get("properties") or {}
            template = manifest.parent / props.get("templateFile", f"{name}.template.json")
            resources = json.loads(template.read_text()).get("Resources") or {}
            key = stack_key(props.get("stackName") or name, answers)
            found.setdefault(key, set()).update(str(r.get("Type")) for r in resources.values())
    return found


def load_types() -> dict[str, list]:
    import yaml
    if not TYPES_FILE.is_file():
        return {}
    return yaml.safe_load(TYPES_FILE.read_text()) or {}


def check_types(res: Result, out: Path, known: dict, collected: dict) -> None:
    """Every synthesized type is listed for its stack's blueprint (or the
    execution policies rendered from that list would miss its handler actions)."""
    found = synthesized_types(out)
    unlisted = []
    for key, types in sorted(found.items()):
        collected.setdefault(key, set()).update(types)
        extra = sorted(types - set(known.get(key) or []))
        if extra:
            unlisted.append(f"{key}: {', '.join(extra)}")
    res.types_unlisted = len(unlisted)
    if unlisted:
        res.fail(f"{TYPES_FILE.relative_to(ROOT)} misses {len(unlisted)} stack type list(s) "
                 "(run with --write-types, then scripts/handler_permissions.py)", "\n".join(unlisted))


def write_types(known: dict, collected: dict) -> None:
    import yaml
    merged = {k: sorted(set(known.get(k) or []) | collected.get(k, set())) for k in sorted(set(known) | set(collected))}
    TYPES_FILE.write_text(TYPES_HEADER + yaml.safe_dump(merged, sort_keys=True, default_flow_style=False))
    log(f"check_cdk: wrote {TYPES_FILE.relative_to(ROOT)} ({len(merged)} stack kinds)")


@dataclass
class Fixture:
    res: Result
    out: Path
    region: str = "us-east-1"
    templates: list = field(default_factory=list)


def build_fixture(answers: Path, stackwright: str, work: Path, node_modules: Path, sw_env: dict,
                  known_types: dict, collected_types: dict) -> Fixture:
    """Render, type-check, then jest and cdk synth side by side (two cores)."""
    res = Result(answers.stem)
    out = work / answers.stem
    fx = Fixture(res, out)
    proc = run([stackwright, "new", "--answers", answers, "--set", "flavor=cdk", "--out", out], env=sw_env)
    if proc.returncode != 0:
        res.fail(f"stackwright new failed (exit {proc.returncode})", output_of(proc))
        return fx
    (out / "node_modules").symlink_to(node_modules)
    region = re.search(r"region: '([a-z0-9-]+)'", (out / "config" / "environments.ts").read_text())
    fx.region = region.group(1) if region else "us-east-1"
    env = dict(os.environ, **OFFLINE_ENV)
    timed(res, "tsc", lambda: check_tsc(res, out, env))
    with ThreadPoolExecutor(max_workers=2) as pool:
        jest = pool.submit(timed, res, "jest", lambda: check_jest(res, out, env, work))
        synth = pool.submit(timed, res, "synth", lambda: check_synth(res, out, env))
        jest.result()
        synthesized = synth.result()
    if synthesized:
        fx.templates = sorted((out / "cdk.out").rglob("*.template.json"))
        res.templates = len(fx.templates)
        if not fx.templates:
            res.fail("cdk synth wrote no template")
        check_types(res, out, known_types, collected_types)
        timed(res, "deploy", lambda: check_deploy(res, out, fx.region, work))
    return fx


# --------------------------------------------------------------------------
# report


def cell(v) -> str:
    return "-" if v is None else str(v)


def print_table(results: list[Result]) -> None:
    head = ["fixture", "tsc", "jest", "nag f/ack", "tpl", "lint E/W", "checkov F/P/S", "DEP 01/02/03/04/05",
            "tsc s", "jest s", "synth s", "deploy s", "ok"]
    rows = []
    for r in results:
        rows.append([
            r.fixture[:44], cell(r.tsc_errors),
            f"{cell(r.jest_passed)}/{cell(r.jest_failed)}",
            f"{cell(r.nag_findings)}/{cell(r.nag_acknowledged)}", str(r.templates),
            f"{cell(r.lint_errors)}/{cell(r.lint_warnings)}",
            f"{cell(r.checkov_failed)}/{cell(r.checkov_passed)}/{cell(r.checkov_skipped)}",
            "/".join(cell(r.dep.get(c)) for c in DEP_CHECKS),
            *(f"{r.times[k]:.1f}" if k in r.times else "-" for k in ("tsc", "jest", "synth", "deploy")),
            "ok" if r.ok else "FAIL",
        ])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
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
    ap.add_argument("--cache", type=Path,
                    default=Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "stackwright",
                    help="where the shared node_modules is kept (default ~/.cache/stackwright)")
    ap.add_argument("--keep", action="store_true", help="keep the generated projects and print where they are")
    ap.add_argument("--write-types", action="store_true",
                    help=f"add the resource types found in cdk.out to {TYPES_FILE.relative_to(ROOT)} "
                         "(then run scripts/handler_permissions.py and rebuild stackwright)")
    args = ap.parse_args(argv)

    stackwright = args.stackwright.resolve()
    if not (stackwright.is_file() and os.access(stackwright, os.X_OK)):
        sys.exit(f"check_cdk: {args.stackwright} is not an executable file (build it first)")
    fixtures = sorted(args.answers_dir.glob("*.yaml"))
    if args.only:
        fixtures = [f for f in fixtures if any(o in f.name for o in args.only)]
    for name in ("cfn-lint", "checkov"):
        tool(name)
    if not shutil.which("npm") or not shutil.which("node"):
        sys.exit("check_cdk: node and npm are needed")

    t0 = time.monotonic()
    node_modules = install_node_modules(args.cache.resolve())
    work = Path(tempfile.mkdtemp(prefix="stackwright-cdk-"))
    xdg = work / "xdg-config"
    xdg.mkdir()
    sw_env = dict(os.environ, NO_COLOR="1", XDG_CONFIG_HOME=str(xdg))
    log(f"check_cdk: {len(fixtures)} fixture(s) from {args.answers_dir}, stackwright {stackwright}")
    built: list[Fixture] = []
    known_types, collected_types = load_types(), {}
    try:
        for answers in fixtures:
            log(f"{answers.stem}: rendering, tsc, jest and cdk synth")
            built.append(build_fixture(answers, str(stackwright), work, node_modules, sw_env, known_types, collected_types))
        scanned = [fx for fx in built if fx.templates]
        if scanned:
            log(f"check_cdk: cfn-lint and checkov over {sum(len(fx.templates) for fx in scanned)} templates")
            start = time.monotonic()
            with ThreadPoolExecutor(max_workers=2) as pool:
                lint = pool.submit(lint_all, scanned)
                scan = pool.submit(checkov_all, scanned, work)
                lint.result()
                scan.result()
            log(f"check_cdk: cfn-lint and checkov took {time.monotonic() - start:.0f}s")
        results = [fx.res for fx in built]
        for res in results:
            log(f"{res.fixture}: {'ok' if res.ok else 'FAILED'}: tsc {cell(res.tsc_errors)} errors; "
                f"jest {cell(res.jest_passed)} passed, {cell(res.jest_failed)} failed; "
                f"cdk-nag {cell(res.nag_findings)} findings, {cell(res.nag_acknowledged)} acknowledged; "
                f"cfn-lint {cell(res.lint_errors)}E/{cell(res.lint_warnings)}W on {res.templates} templates; "
                f"checkov {cell(res.checkov_failed)} failed, {cell(res.checkov_skipped)} skipped; "
                f"deploy checks {cell(res.deploy_findings)} findings "
                f"({', '.join(f'{c} {cell(res.dep.get(c))}' for c in DEP_CHECKS)}; DEP-02: {res.dep02 or '-'})")
            for title, detail in res.problems:
                log(f"  ! {title}")
                for line in trim(detail).splitlines() if detail.strip() else []:
                    log(f"    {line}")
        if args.write_types:
            write_types(known_types, collected_types)
    finally:
        if args.keep:
            log(f"check_cdk: generated projects kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    passed = sum(r.ok for r in results)
    failed = len(results) - passed
    if results:
        print_table(results)
    log(f"check_cdk: matrix took {time.monotonic() - t0:.0f}s")
    log(f"check_cdk: {passed} passed, {failed} failed")
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
