#!/usr/bin/env bash
# Build stackwright and install it as $PREFIX/bin/stackwright
# (PREFIX defaults to ~/.local). Run it again to update; --uninstall removes it.
set -euo pipefail

usage() {
    cat <<USAGE
Usage: ./install.sh [--uninstall] [--help]

Builds stackwright (cargo build --release) and installs the binary as
  \${PREFIX:-\$HOME/.local}/bin/stackwright    (now: $BIN_DIR/stackwright)
Running it again rebuilds and replaces the binary only if it changed.

Options:
  --uninstall   remove $BIN_DIR/stackwright (and nothing else)
  -h, --help    show this help

Environment:
  PREFIX            install prefix (default: \$HOME/.local)
  CARGO_TARGET_DIR  cargo's build directory, if you use one
  CARGO_NET_OFFLINE=true  build without the network (crates must be cached)
USAGE
}

PREFIX=${PREFIX:-$HOME/.local}
BIN_DIR=$PREFIX/bin
DEST=$BIN_DIR/stackwright

action=install
for arg in "$@"; do
    case $arg in
        -h | --help) usage; exit 0 ;;
        --uninstall) action=uninstall ;;
        *) echo "install.sh: unknown argument '$arg'" >&2; usage >&2; exit 2 ;;
    esac
done

if [[ $action == uninstall ]]; then
    if [[ -e $DEST || -L $DEST ]]; then
        rm -f -- "$DEST"
        echo "removed $DEST"
    else
        echo "nothing to remove: $DEST does not exist"
    fi
    exit 0
fi

cd "$(dirname "${BASH_SOURCE[0]}")"
if ! command -v cargo >/dev/null 2>&1; then
    echo "install.sh: cargo not found; install Rust from https://rustup.rs and run this again" >&2
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

if [[ -f $DEST ]] && cmp -s "$built" "$DEST"; then
    echo "stackwright is up to date: $DEST"
else
    install -d "$BIN_DIR"
    install -m 0755 "$built" "$DEST"
    echo "installed $DEST"
fi

case ":$PATH:" in
    *":$BIN_DIR:"*) ;;
    *)
        echo
        echo "note: $BIN_DIR is not on your PATH. Add it, e.g. in ~/.bashrc or ~/.profile:"
        echo "  export PATH=\"$BIN_DIR:\$PATH\""
        ;;
esac
