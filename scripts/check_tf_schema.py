#!/usr/bin/env python3
"""Checks a Terraform project against a provider schema extracted by
scripts/extract_tf_schema.py (the AWS provider 6.x): every resource and data
source type exists, every argument and nested block exists where it is
written (an argument is not written as a block, nor a block as an argument),
every `dynamic` block names a real block, and every required argument and
block is set.

The HCL is read by a small parser of its own that keeps what JSON forms of
HCL lose: whether `x = {...}` is an argument or `x {...}` a block.

Usage: check_tf_schema.py [--schema FILE] PROJECT_DIR [--self-test]
Prints each problem as file:line: message, then
`schema: N resources, N data sources, N arguments, N blocks checked against
aws M; N unknown`. Exits 1 on any problem.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SCHEMA = REPO / "assets" / "terraform" / "aws-provider-schema.json.gz"
META_ARGS = {"count", "for_each", "depends_on", "provider"}
META_BLOCKS = {"lifecycle", "connection", "provisioner"}


@dataclass
class Attr:
    name: str
    line: int


@dataclass
class Block:
    type: str
    labels: list
    line: int
    attrs: list = field(default_factory=list)
    blocks: list = field(default_factory=list)


class ParseError(Exception):
    pass


class Parser:
    def __init__(self, text: str):
        self.s = text
        self.i = 0

    def line(self, i=None) -> int:
        return self.s.count("\n", 0, self.i if i is None else i) + 1

    def peek(self, n=1) -> str:
        return self.s[self.i:self.i + n]

    def skip_space(self, newlines=True) -> None:
        s = self.s
        while self.i < len(s):
            c = s[self.i]
            if c in " \t\r" or (newlines and c == "\n"):
                self.i += 1
            elif c == "#" or s.startswith("//", self.i):
                while self.i < len(s) and s[self.i] != "\n":
                    self.i += 1
            elif s.startswith("/*", self.i):
                end = s.find("*/", self.i + 2)
                if end < 0:
                    raise ParseError(f"line {self.line()}: unclosed comment")
                self.i = end + 2
            else:
                break

    def ident(self) -> str:
        start = self.i
        while self.i < len(self.s) and (self.s[self.i].isalnum() or self.s[self.i] in "_-"):
            self.i += 1
        return self.s[start:self.i]

    def string(self) -> str:
        """A quoted template; returns its text with interpolations skipped."""
        assert self.s[self.i] == '"'
        self.i += 1
        out = []
        while self.i < len(self.s):
            c = self.s[self.i]
            if c == "\\":
                out.append(self.s[self.i:self.i + 2])
                self.i += 2
            elif c == '"':
                self.i += 1
                return "".join(out)
            elif self.s.startswith(("${", "%{"), self.i) and not self.s.startswith(("$${", "%%{"), self.i - 1 if self.i else 0):
                self.i += 2
                self.skip_expr(closing="}")
                self.i += 1
            elif c == "\n":
                raise ParseError(f"line {self.line()}: newline in a quoted string")
            else:
                out.append(c)
                self.i += 1
        raise ParseError("unclosed string")

    def heredoc(self) -> None:
        start = self.i
        self.i += 2
        if self.peek() == "-":
            self.i += 1
        marker = self.ident()
        nl = self.s.find("\n", self.i)
        pos = nl + 1
        while True:
            nl = self.s.find("\n", pos)
            line = self.s[pos:nl if nl >= 0 else len(self.s)]
            if line.strip() == marker:
                self.i = nl if nl >= 0 else len(self.s)
                return
            if nl < 0:
                raise ParseError(f"line {self.line(start)}: unclosed heredoc {marker}")
            pos = nl + 1

    def skip_expr(self, closing=None) -> None:
        """Skips an expression: to the end of the line at depth 0, or to `closing`."""
        depth = 0
        while self.i < len(self.s):
            c = self.s[self.i]
            if c == '"':
                self.string()
                continue
            if self.s.startswith("<<", self.i) and (self.s[self.i + 2:self.i + 3].isalpha() or self.s[self.i + 2:self.i + 3] == "-"):
                self.heredoc()
                continue
            if c == "#" or self.s.startswith("//", self.i) or self.s.startswith("/*", self.i):
                if depth == 0 and closing is None and c != "/":
                    return
                self.skip_space(newlines=False)
                continue
            if c in "([{":
                depth += 1
            elif c in ")]}":
                if depth == 0:
                    if closing is not None and c == closing:
                        return
                    if closing is None:
                        return  # the end of a one-line block
                    raise ParseError(f"line {self.line()}: unbalanced {c}")
                depth -= 1
            elif c == "\n" and depth == 0 and closing is None:
                return
            self.i += 1
        if closing is not None:
            raise ParseError(f"missing {closing}")

    def body(self, end: str | None) -> Block:
        blk = Block("", [], self.line())
        while True:
            self.skip_space()
            if self.i >= len(self.s):
                if end is not None:
                    raise ParseError(f"line {blk.line}: unclosed block")
                return blk
            if end is not None and self.peek() == end:
                self.i += 1
                return blk
            line = self.line()
            name = self.ident()
            if not name:
                raise ParseError(f"line {line}: expected a name, found {self.peek()!r}")
            self.skip_space(newlines=False)
            if self.peek() == "=" and self.peek(2) != "==":
                self.i += 1
                self.skip_expr()
                blk.attrs.append(Attr(name, line))
                continue
            labels = []
            while self.peek() != "{":
                if self.peek() == '"':
                    labels.append(self.string())
                else:
                    label = self.ident()
                    if not label:
                        raise ParseError(f"line {line}: expected a label or {{ after {name}")
                    labels.append(label)
                self.skip_space(newlines=False)
            self.i += 1
            child = self.body("}")
            child.type, child.labels, child.line = name, labels, line
            blk.blocks.append(child)


def parse(text: str) -> Block:
    return Parser(text).body(None)


@dataclass
class Report:
    problems: list = field(default_factory=list)
    resources: int = 0
    data_sources: int = 0
    arguments: int = 0
    blocks: int = 0
    unknown: int = 0

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")
        self.unknown += 1


def check_body(rep: Report, where, blk: Block, schema: dict, top: bool) -> None:
    attrs, blocks = schema["attributes"], schema["blocks"]
    written = set()
    for a in blk.attrs:
        written.add(a.name)
        if top and a.name in META_ARGS:
            continue
        rep.arguments += 1
        if a.name in attrs:
            continue
        if a.name in blocks:
            rep.problem(f"{where}:{a.line}", f"{a.name} is a block, written as an argument")
        else:
            rep.problem(f"{where}:{a.line}", f"unknown argument {a.name}")
    for b in blk.blocks:
        if top and b.type in META_BLOCKS:
            continue
        if b.type == "dynamic":
            name = b.labels[0] if b.labels else ""
            written.add(name)
            rep.blocks += 1
            if name not in blocks:
                rep.problem(f"{where}:{b.line}", f"dynamic {name!r}: {'an argument, not a block' if name in attrs else 'no such block'}")
                continue
            content = next((c for c in b.blocks if c.type == "content"), None)
            if content is None:
                rep.problem(f"{where}:{b.line}", f"dynamic {name!r} has no content block")
                continue
            check_body(rep, where, content, blocks[name]["schema"], False)
            continue
        written.add(b.type)
        rep.blocks += 1
        if b.type in blocks:
            check_body(rep, where, b, blocks[b.type]["schema"], False)
        elif b.type in attrs:
            rep.problem(f"{where}:{b.line}", f"{b.type} is an argument, written as a block")
        else:
            rep.problem(f"{where}:{b.line}", f"unknown block {b.type}")
    for name, required in attrs.items():
        if required and name not in written:
            rep.problem(f"{where}:{blk.line}", f"missing required argument {name}")
    for name, spec in blocks.items():
        if spec["required"] and name not in written:
            rep.problem(f"{where}:{blk.line}", f"missing required block {name}")


def check_file(rep: Report, path: str, text: str, schema: dict) -> None:
    try:
        body = parse(text)
    except ParseError as exc:
        rep.problem(path, f"cannot parse: {exc}")
        return
    for b in body.blocks:
        if b.type not in ("resource", "data") or len(b.labels) != 2:
            continue
        kind = "resources" if b.type == "resource" else "data_sources"
        tf_type = b.labels[0]
        where = f"{path}"
        if not tf_type.startswith("aws_"):
            continue  # another provider's type: not in this schema
        if b.type == "resource":
            rep.resources += 1
        else:
            rep.data_sources += 1
        if tf_type not in schema[kind]:
            rep.problem(f"{where}:{b.line}", f"unknown {'resource' if b.type == 'resource' else 'data source'} type {tf_type}")
            continue
        check_body(rep, where, b, schema[kind][tf_type], True)


def check_project(project: Path, schema: dict) -> Report:
    rep = Report()
    for path in sorted(project.rglob("*.tf")):
        if ".terraform" in path.parts:
            continue
        check_file(rep, str(path.relative_to(project)), path.read_text(encoding="utf-8"), schema)
    return rep


PLANTED = {
    "a misspelt argument": ('resource "aws_vpc" "x" {\n  cidr_blok = "10.0.0.0/16"\n}\n', "unknown argument cidr_blok"),
    "a nested typo": ('resource "aws_s3_bucket_lifecycle_configuration" "x" {\n  bucket = "b"\n  rule {\n    id     = "r"\n    status = "Enabled"\n    noncurrent_version_expiraton {\n      noncurrent_days = 30\n    }\n  }\n}\n', "unknown block noncurrent_version_expiraton"),
    "a block written as an argument": ('resource "aws_s3_bucket_versioning" "x" {\n  bucket                   = "b"\n  versioning_configuration = { status = "Enabled" }\n}\n', "versioning_configuration is a block, written as an argument"),
    "an unknown resource type": ('resource "aws_vpcc" "x" {\n  cidr_block = "10.0.0.0/16"\n}\n', "unknown resource type aws_vpcc"),
    "a missing required argument": ('resource "aws_s3_bucket_policy" "x" {\n  bucket = "b"\n}\n', "missing required argument policy"),
}


def self_test(schema: dict) -> int:
    """Each planted error must be reported, and only it."""
    failed = 0
    for what, (text, expected) in PLANTED.items():
        rep = Report()
        check_file(rep, "planted.tf", text, schema)
        ok = len(rep.problems) == 1 and expected in rep.problems[0]
        print(f"{'caught' if ok else 'MISSED'}: {what}: {rep.problems or 'no problem reported'}")
        failed += not ok
    return failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("project", type=Path, nargs="?")
    parser.add_argument("--schema", type=Path, default=DEFAULT_SCHEMA)
    parser.add_argument("--self-test", action="store_true", help="prove the check catches planted errors")
    args = parser.parse_args()
    schema = json.load(gzip.open(args.schema))
    version = f"{schema['provider']} {schema['provider_version']} (from {schema['package']})"
    if args.self_test:
        failed = self_test(schema)
        print(f"schema self-test against {version}: {len(PLANTED) - failed} of {len(PLANTED)} planted errors caught")
        return 1 if failed else 0
    if args.project is None:
        parser.error("give a project directory or --self-test")
    rep = check_project(args.project, schema)
    for p in rep.problems:
        print(p)
    print(f"schema: {rep.resources} resources, {rep.data_sources} data sources, {rep.arguments} arguments, "
          f"{rep.blocks} blocks checked against {version}; {rep.unknown} unknown")
    return 1 if rep.problems or rep.resources == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
