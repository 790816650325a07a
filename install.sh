#!/usr/bin/env bash
# Install stackwright as $PREFIX/bin/stackwright (PREFIX defaults to ~/.local):
# built from this checkout, or with --from FILE from a release tarball made by
# scripts/dist.sh (no Rust toolchain needed). Run it again to update;
# --uninstall removes it.
set -euo pipefail

PREFIX=${PREFIX:-$HOME/.local}
BIN_DIR=$PREFIX/bin
DEST=$BIN_DIR/stackwright

usage() {
    cat <<USAGE
Usage: ./install.sh [--from FILE] [--uninstall] [--help]

Without --from, builds stackwright from this checkout (cargo build --release)
and installs the binary as
  \${PREFIX:-\$HOME/.local}/bin/stackwright    (now: $DEST)
Running it again rebuilds and replaces the binary only if it changed.

Options:
  --from FILE   install from a release tarball instead of building: FILE is a
                stackwright-<version>-<target>.tar.gz made by scripts/dist.sh,
                and FILE.sha256 (sha256sum format) must be next to it. The
                checksum is verified first; a missing checksum file, a mismatch
                or a tarball without the stackwright binary is refused and
                nothing is installed. Needs tar, gzip and sha256sum (or
                shasum), no Rust toolchain. Same PREFIX, same idempotence:
                the binary is replaced only if it changed.
  --uninstall   remove $DEST (and nothing else)
  -h, --help    show this help

Environment:
  PREFIX            install prefix (default: \$HOME/.local)
  CARGO_TARGET_DIR  cargo's build directory, if you use one (build only)
  CARGO_NET_OFFLINE=true  build without the network (crates must be cached)
USAGE
}

die() {
    local code=$1
    shift
    echo "install.sh: $*" >&2
    exit "$code"
}

action=install
from=
while [[ $# -gt 0 ]]; do
    case $1 in
        -h | --help) usage; exit 0 ;;
        --uninstall) action=uninstall ;;
        --from)
            [[ $# -ge 2 && -n $2 ]] || { echo "install.sh: --from needs a FILE (the .tar.gz made by scripts/dist.sh)" >&2; usage >&2; exit 2; }
            from=$2
            shift
            ;;
        --from=*)
            from=${1#--from=}
            [[ -n $from ]] || { echo "install.sh: --from needs a FILE (the .tar.gz made by scripts/dist.sh)" >&2; usage >&2; exit 2; }
            ;;
        *) echo "install.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

if [[ $action == uninstall ]]; then
    [[ -z $from ]] || die 2 "--uninstall and --from do not go together"
    if [[ -e $DEST || -L $DEST ]]; then
        rm -f -- "$DEST"
        echo "removed $DEST"
    else
        echo "nothing to remove: $DEST does not exist"
    fi
    exit 0
fi

# Copies the binary at $1 to $DEST unless the same bytes are already there.
place() {
    local built=$1
    if [[ -f $DEST ]] && cmp -s "$built" "$DEST"; then
        echo "stackwright is up to date: $DEST"
    else
        install -d "$BIN_DIR"
        install -m 0755 "$built" "$DEST"
        echo "installed $DEST"
    fi
}

path_note() {
    case ":$PATH:" in
        *":$BIN_DIR:"*) ;;
        *)
            echo
            echo "note: $BIN_DIR is not on your PATH. Add it, e.g. in ~/.bashrc or ~/.profile:"
            echo "  export PATH=\"$BIN_DIR:\$PATH\""
            ;;
    esac
}

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum -- "$1" | cut -d' ' -f1
    elif command -v shasum >/dev/null 2>&1; then
        shasum -a 256 -- "$1" | cut -d' ' -f1
    else
        die 1 "neither sha256sum nor shasum found: cannot verify $1"
    fi
}

install_from() {
    local file=$1 sums name expected actual line
    [[ -f $file ]] || die 2 "--from $file: no such file. Nothing was installed."
    sums=$file.sha256
    name=$(basename -- "$file")
    [[ -f $sums ]] || die 2 "--from $file: no checksum file $sums next to it; get it with the tarball (scripts/dist.sh writes both). Nothing was installed."
    line=$(head -n 1 -- "$sums")
    # sha256sum format: <64 hex digits>, two spaces (or space and *), the file name.
    if [[ ! $line =~ ^([0-9a-fA-F]{64})\ [\ *](.+)$ ]]; then
        die 2 "$sums: line 1 is not '<sha256>  <file name>' (sha256sum format). Nothing was installed."
    fi
    expected=${BASH_REMATCH[1],,}
    [[ ${BASH_REMATCH[2]} == "$name" ]] || die 2 "$sums names '${BASH_REMATCH[2]}', not '$name': it is the checksum of another file. Nothing was installed."
    actual=$(sha256_of "$file")
    [[ $actual == "$expected" ]] || die 2 "$file: checksum mismatch (expected $expected, got $actual): the file is damaged or not the one handed out. Nothing was installed."
    echo "verified $name against $(basename -- "$sums")"

    local listing top entry
    listing=$(tar -tzf "$file") || die 2 "$file: not a readable .tar.gz. Nothing was installed."
    top=${listing%%/*}
    while IFS= read -r entry; do
        case $entry in
            "$top"/* | "$top") ;;
            *) die 2 "$file: '$entry' is outside the single top directory '$top/'; not a stackwright release tarball. Nothing was installed." ;;
        esac
        case /$entry/ in
            */../*) die 2 "$file: '$entry' climbs out with '..'; refused. Nothing was installed." ;;
        esac
    done <<<"$listing"
    grep -qx -- "$top/stackwright" <<<"$listing" || die 2 "$file: no $top/stackwright inside; not a stackwright release tarball. Nothing was installed."

    # Global: the EXIT trap removes it after this function has returned.
    unpack_dir=$(mktemp -d "${TMPDIR:-/tmp}/stackwright-install.XXXXXX")
    trap 'rm -rf -- "$unpack_dir"' EXIT
    tar -xzf "$file" -C "$unpack_dir" --no-same-owner -- "$top/stackwright"
    local bin=$unpack_dir/$top/stackwright
    [[ -f $bin && ! -L $bin ]] || die 2 "$file: $top/stackwright is not a regular file. Nothing was installed."
    chmod 0755 "$bin"
    local version
    version=$("$bin" --version 2>/dev/null) || die 1 "$file: its stackwright does not run on this machine ($(uname -s) $(uname -m); the tarball is $top). Nothing was installed."
    echo "$version from $name"
    place "$bin"
}

if [[ -n $from ]]; then
    install_from "$from"
    path_note
    exit 0
fi

cd "$(dirname "${BASH_SOURCE[0]}")"
if ! command -v cargo >/dev/null 2>&1; then
    echo "install.sh: cargo not found; install Rust from https://rustup.rs and run this again," >&2
    echo "  or install a release tarball: ./install.sh --from stackwright-<version>-<target>.tar.gz" >&2
    exit 1
fi

echo "building stackwright (cargo build --release)..."
cargo build --release
case ${CARGO_TARGET_DIR:-target} in
    /*) built=${CARGO_TARGET_DIR}/release/stackwright ;;
    *) built=$PWD/${CARGO_TARGET_DIR:-target}/release/stackwright ;;
esac
if [[ ! -x $built ]]; then
    echo "install.sh: the build did not produce $built" >&2
    exit 1
fi

place "$built"
path_note
