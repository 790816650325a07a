"""Helpers shared by the checker matrices (check_matrix.py, check_cdk.py,
check_terraform.py): running a command without raising, trimming its output,
finding a checker of the current environment, reading checkov's JSON report,
comparing two generated trees and the common shape of a fixture's result."""

from __future__ import annotations

import filecmp
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTEST_COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed)")


class Outcome:
    """What every matrix result shares: a list of problems, each a title and
    the detail that explains it; a fixture is ok when it has none.
    Subclasses are dataclasses with a `problems: list` field."""

    problems: list

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(self, title: str, detail: str = "") -> None:
        self.problems.append((title, detail))


def log(msg: str = "") -> None:
    print(msg, flush=True)


def trim(text: str, limit: int) -> str:
    lines = text.rstrip("\n").splitlines()
    if len(lines) <= limit:
        return "\n".join(lines)
    return "\n".join(lines[:limit] + [f"... ({len(lines) - limit} more lines)"])


def run(cmd, cwd=None, env=None, timeout=None) -> subprocess.CompletedProcess:
    """Run a command, never raising: a timeout or a missing program becomes
    a non-zero return code (124, 127) with the reason in stderr."""
    cmd = [str(c) for c in cmd]
    try:
        return subprocess.run(
            cmd, cwd=cwd, env=env, timeout=timeout, text=True,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            errors="replace",
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        return subprocess.CompletedProcess(cmd, 124, out, f"timed out after {timeout}s: {' '.join(cmd)}")
    except OSError as exc:
        return subprocess.CompletedProcess(cmd, 127, "", f"cannot run {cmd[0]}: {exc}")


def output_of(proc: subprocess.CompletedProcess) -> str:
    return "\n".join(part for part in (proc.stdout.strip(), proc.stderr.strip()) if part)


def tool(name: str, who: str) -> str:
    """A program from the same environment as this interpreter, else PATH;
    exits naming the matrix (`who`) when neither has it."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which(name)
    if not found:
        sys.exit(f"{who}: {name} not found (run scripts/test-all, or activate the checkers venv)")
    return found


def checkov_reports(text: str) -> list | None:
    """checkov's `-o json` output as a list of per-framework reports, or None
    when it wrote no JSON (a crash, a missing program)."""
    start = min((i for i in (text.find("{"), text.find("[")) if i >= 0), default=-1)
    try:
        data = json.loads(text[start:]) if start >= 0 else None
    except json.JSONDecodeError:
        data = None
    if data is None:
        return None
    return [r for r in (data if isinstance(data, list) else [data]) if isinstance(r, dict)]


def tree_differences(a: Path, b: Path, ignore=lambda rel: False) -> list[str]:
    """Files only in one tree or differing byte for byte; `ignore(relpath)`
    leaves out files the checks themselves add (caches, lock files)."""
    def files(root: Path) -> set:
        return {rel for p in root.rglob("*") if p.is_file() or p.is_symlink()
                if not ignore(rel := p.relative_to(root).as_posix())}

    fa, fb = files(a), files(b)
    diffs = [f"only in first run: {p}" for p in sorted(fa - fb)]
    diffs += [f"only in second run: {p}" for p in sorted(fb - fa)]
    diffs += [f"differs: {p}" for p in sorted(fa & fb) if not filecmp.cmp(a / p, b / p, shallow=False)]
    return diffs


def timed(times: dict, name: str, fn):
    """Run fn(), adding its wall time to times[name]."""
    start = time.monotonic()
    try:
        return fn()
    finally:
        times[name] = times.get(name, 0.0) + time.monotonic() - start
