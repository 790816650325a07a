#!/usr/bin/env python3
"""Builds build/app.zip, the function package, from src/: byte-stable (fixed
timestamps, modes and order), so the same source always gives the same
source_code_hash and a plan never shows a change that is not one."""

import pathlib
import zipfile

HERE = pathlib.Path(__file__).resolve().parent
SRC = HERE / "src"
OUT = HERE / "build" / "app.zip"


def main(out: pathlib.Path = OUT) -> None:
    out.parent.mkdir(exist_ok=True)
    with zipfile.ZipFile(out, "w") as archive:
        for path in sorted(p for p in SRC.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            info = zipfile.ZipInfo(path.relative_to(SRC).as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes(), compresslevel=9)
    print(f"{out}: {out.stat().st_size} bytes")


if __name__ == "__main__":
    main()
