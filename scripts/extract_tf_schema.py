#!/usr/bin/env python3
"""Extracts the AWS provider schema (resource and data source types, their
arguments and nested blocks, which are required) from the npm package of
prebuilt provider bindings `@cdktn/provider-aws`, into the data file
scripts/check_tf_schema.py checks generated Terraform against.

Each binding module (lib/<name>/index.js) names its Terraform type
(`static tfResourceType`), maps every argument to its Terraform name in
`synthesizeAttributes()` and every nested block in a `<Struct>ToTerraform`
function; a nested block is what is mapped through such a function (directly
or with `listMapper(fn, true)`), everything else is an argument. Required
arguments and blocks are the properties without `?` in the matching
TypeScript interface (lib/<name>/index.d.ts).

Usage:
  npm pack @cdktn/provider-aws@25.7.0      # binds hashicorp/aws 6.66.0
  scripts/extract_tf_schema.py cdktn-provider-aws-25.7.0.tgz \
      --out assets/terraform/aws-provider-schema.json.gz
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import tarfile
from pathlib import Path

TYPE = re.compile(r'static tfResourceType = "([a-z0-9_]+)";')
CLASS = re.compile(r"class (\w+) extends cdktn\.Terraform(?:Resource|DataSource) \{")
FUNC = re.compile(r"^function (\w+)ToTerraform\(struct\) \{$", re.M)
# `snake_name: <mapping>(this._camel...)` or `(struct.camel)` / `(struct!.camel)`.
ENTRY = re.compile(r"^\s+([a-z0-9_]+): (.+)\((?:this\._|struct!?\.)(\w+)(?:\.internalValue)?\),?$")
DIRECT = re.compile(r"^(\w+)ToTerraform$")
BLOCK_LIST = re.compile(r"^cdktn\.listMapper\((\w+)ToTerraform, true\)$")
PROP = re.compile(r"^\s+readonly (\w+)(\??):")


def interfaces(dts: str) -> dict[str, dict[str, bool]]:
    """Interface name -> property (camelCase) -> required."""
    out: dict[str, dict[str, bool]] = {}
    current = None
    for line in dts.splitlines():
        m = re.match(r"export interface (\w+)", line)
        if m:
            current = out.setdefault(m.group(1), {})
            continue
        if line.startswith("}"):
            current = None
            continue
        if current is not None:
            p = PROP.match(line)
            if p:
                current[p.group(1)] = p.group(2) != "?"
    return out


def body_entries(text: str, start: int) -> list[tuple[str, str, str]]:
    """(snake, mapping, camel) of the `return { ... }` object that follows `start`."""
    begin = text.index("return {", start)
    if text.startswith("return {}", begin):
        return []
    end = re.compile(r"\n\s*\};").search(text, begin)
    if end is None:
        raise ValueError(f"no end of the object returned at offset {begin}")
    end = end.start()
    out = []
    for line in text[begin:end].splitlines()[1:]:
        m = ENTRY.match(line)
        if m:
            out.append((m.group(1), m.group(2), m.group(3)))
    return out


def module_schema(js: str, dts: str) -> tuple[str, str, dict] | None:
    t = TYPE.search(js)
    c = CLASS.search(js)
    if not (t and c):
        return None
    props = interfaces(dts)
    funcs = {m.group(1): m.end() for m in FUNC.finditer(js)}
    memo: dict[str, dict] = {}

    def node(entries, required) -> dict:
        attrs, blocks = {}, {}
        for snake, mapping, camel in entries:
            fn = None
            d = DIRECT.match(mapping)
            b = BLOCK_LIST.match(mapping)
            if d and d.group(1) in funcs:
                fn = d.group(1)
            elif b and b.group(1) in funcs:
                fn = b.group(1)
            if fn:
                blocks[snake] = {"required": required.get(camel, False), "schema": nested(fn)}
            else:
                attrs[snake] = required.get(camel, False)
        return {"attributes": attrs, "blocks": blocks}

    def nested(fn: str) -> dict:
        if fn not in memo:
            memo[fn] = {}
            iface = fn[0].upper() + fn[1:]
            memo[fn] = node(body_entries(js, funcs[fn]), props.get(iface, {}))
        return memo[fn]

    synth = js.index("synthesizeAttributes() {")
    main = node(body_entries(js, synth), props.get(c.group(1) + "Config", {}))
    return t.group(1), c.group(1), main


def read_package(src: Path):
    """(relative path, text) of every lib/*/index.js and index.d.ts, and package.json."""
    if src.is_dir():
        for p in sorted(src.rglob("*")):
            if p.is_file():
                yield str(p.relative_to(src)), p
        return
    with tarfile.open(src) as tar:
        for member in tar.getmembers():
            if member.isfile():
                yield member.name, tar.extractfile(member)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("package", type=Path, help="the npm tarball (npm pack) or its unpacked folder")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    files: dict[str, bytes] = {}
    for name, handle in read_package(args.package):
        name = name.removeprefix("package/")
        if name == "package.json" or (name.startswith("lib/") and name.count("/") == 2
                                      and name.endswith(("/index.js", "/index.d.ts"))):
            files[name] = handle.read_bytes() if isinstance(handle, Path) else handle.read()
    pkg = json.loads(files["package.json"])
    provider = pkg.get("cdktf", {}).get("provider", {})
    schema = {
        "package": f"{pkg['name']}@{pkg['version']}",
        "provider": provider.get("name"),
        "provider_version": provider.get("version"),
        "resources": {},
        "data_sources": {},
    }
    for name in sorted(files):
        if not name.endswith("/index.js"):
            continue
        folder = name[len("lib/"):-len("/index.js")]
        dts = files.get(f"lib/{folder}/index.d.ts", b"").decode()
        found = module_schema(files[name].decode(), dts)
        if not found:
            continue
        tf_type, _, node = found
        kind = "data_sources" if folder.startswith("data-") else "resources"
        schema[kind][tf_type] = node
    if not schema["resources"] or not schema["provider_version"]:
        print("extract_tf_schema: found no resource bindings or no provider version", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(schema, sort_keys=True, separators=(",", ":")).encode()
    # mtime 0: the same package gives the same bytes.
    with open(args.out, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        gz.write(data)
    print(f"{schema['package']} binds {schema['provider']} {schema['provider_version']}: "
          f"{len(schema['resources'])} resource types, {len(schema['data_sources'])} data sources -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
