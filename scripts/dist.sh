#!/usr/bin/env bash
# Build the release binary once and package it for people who have no Rust
# toolchain (a workshop room): dist/stackwright-<version>-<target>.tar.gz with
# the binary, README.md, install.sh, docs/WORKSHOP.md (and LICENSE files, if
# any), plus <tarball>.sha256 in `sha256sum` format. They install it with
#   bash install.sh --from stackwright-<version>-<target>.tar.gz
# (dist/install.sh is a copy of install.sh, handed out with the tarball).
# The tarball is deterministic: sorted entries, one fixed mtime, owner 0:0,
# fixed modes and a gzip header without a name or time; the same binary gives
# the same bytes.
set -euo pipefail

usage() {
    cat <<USAGE
Usage: scripts/dist.sh [--help]

Builds stackwright (cargo build --release --locked) and writes
  dist/stackwright-<version>-<target>.tar.gz
  dist/stackwright-<version>-<target>.tar.gz.sha256
  dist/install.sh (a copy, to hand out with them)
<version> comes from Cargo.toml, <target> is rustc's host triple.

Environment:
  SOURCE_DATE_EPOCH  mtime of every file in the tarball (default: the time of
                     the last commit, or 0 outside a git checkout)
  CARGO_TARGET_DIR   cargo's build directory, if you use one
USAGE
}

for arg in "$@"; do
    case $arg in
        -h | --help) usage; exit 0 ;;
        *) echo "dist.sh: unknown argument '$arg'" >&2; usage >&2; exit 2 ;;
    esac
done

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
for tool in cargo rustc tar gzip sha256sum; do
    command -v "$tool" >/dev/null 2>&1 || { echo "dist.sh: $tool not found" >&2; exit 1; }
done

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
target=$(rustc -vV | sed -n 's/^host: //p')
[[ -n $version && -n $target ]] || { echo "dist.sh: cannot read the version from Cargo.toml or the host from rustc -vV" >&2; exit 1; }
if [[ -z ${SOURCE_DATE_EPOCH:-} ]]; then
    SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || echo 0)
fi
[[ $SOURCE_DATE_EPOCH =~ ^[0-9]+$ ]] || { echo "dist.sh: SOURCE_DATE_EPOCH must be whole seconds, not '$SOURCE_DATE_EPOCH'" >&2; exit 2; }
export SOURCE_DATE_EPOCH

echo "building stackwright $version for $target (cargo build --release --locked)..."
cargo build --release --locked
case ${CARGO_TARGET_DIR:-target} in
    /*) built=${CARGO_TARGET_DIR}/release/stackwright ;;
    *) built=$root/${CARGO_TARGET_DIR:-target}/release/stackwright ;;
esac
[[ -x $built ]] || { echo "dist.sh: the build did not produce $built" >&2; exit 1; }
# The binary must run here and say its own version before it is handed out.
reported=$("$built" --version)
[[ $reported == "stackwright $version" ]] || { echo "dist.sh: $built --version says '$reported', expected 'stackwright $version'" >&2; exit 1; }

name=stackwright-$version-$target
mkdir -p dist
stage=$(mktemp -d "dist/.stage.XXXXXX")
trap 'rm -rf -- "$stage"' EXIT
install -d -m 0755 "$stage/$name" "$stage/$name/docs"
install -m 0755 "$built" "$stage/$name/stackwright"
install -m 0755 install.sh "$stage/$name/install.sh"
install -m 0644 README.md "$stage/$name/README.md"
install -m 0644 docs/WORKSHOP.md "$stage/$name/docs/WORKSHOP.md"
for license in LICENSE*; do
    [[ -f $license ]] && install -m 0644 "$license" "$stage/$name/$license"
done

tarball=dist/$name.tar.gz
tmp=$(mktemp "dist/.$name.XXXXXX")
tar --create --format=gnu --sort=name --mtime="@$SOURCE_DATE_EPOCH" \
    --owner=0 --group=0 --numeric-owner -C "$stage" "$name" | gzip -n -9 >"$tmp"
mv -f -- "$tmp" "$tarball"
(cd dist && sha256sum "$name.tar.gz" >"$name.tar.gz.sha256")
# install.sh next to the tarball, so people can run it before unpacking anything.
install -m 0755 install.sh dist/install.sh

echo "wrote $tarball ($(wc -c <"$tarball") bytes)"
echo "wrote $tarball.sha256 ($(cut -d' ' -f1 "$tarball.sha256"))"
echo "wrote dist/install.sh"
echo "hand out these three files; each person runs: bash install.sh --from $name.tar.gz"
