#!/usr/bin/env bash
# Regenerates the wizard screenshots README.md shows, from real terminal
# captures with their colours:
#
#   tmux (a 120x40 terminal, one screen at 80x24) runs the built binary's
#   wizard on a fixed answers file and steps through every screen;
#   `tmux capture-pane -e -p` keeps each screen's SGR colours;
#   scripts/ansi_to_html.py draws the capture as an HTML grid (monospace,
#   dark background); headless Chromium photographs the page at its exact size.
#
# Writes docs/screenshots/<step>.png and the plain-text capture of the same
# screen to assets/screenshots/<step>.txt (searchable, diffable, readable
# without images). Everything is made in a temporary directory first and only
# moved into the checkout once every screen was captured, so a failed run
# changes nothing. The wizard is left with Ctrl-C: nothing is generated.
#
# NOT part of scripts/test-all: Chromium is not a prerequisite of the test
# suite or CI. Run it by hand after a change to the wizard's screens.
#
# Needs: tmux, python3, Chromium (Debian: apt-get install tmux chromium) and
# the DejaVu Sans Mono font (fonts-dejavu-core, which chromium pulls in).
#
#   STACKWRIGHT_BIN   binary to drive (default: target/release/stackwright,
#                     built with `cargo build --release` when missing)
#   CHROMIUM          browser command (default: the first of chromium,
#                     chromium-browser, google-chrome on PATH)
#   SHOTS_KEEP=1      keep the work directory and print where it is
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

die() { echo "screenshots: $*" >&2; exit 1; }

command -v tmux >/dev/null || die "tmux is not installed (Debian: apt-get install tmux)"
command -v python3 >/dev/null || die "python3 is not installed"
if [[ -z ${CHROMIUM:-} ]]; then
    for c in chromium chromium-browser google-chrome; do
        command -v "$c" >/dev/null && { CHROMIUM=$c; break; }
    done
fi
[[ -n ${CHROMIUM:-} ]] || die "no Chromium found (Debian: apt-get install chromium), or set CHROMIUM"
fc-list 2>/dev/null | grep -q "DejaVu Sans Mono" ||
    echo "screenshots: warning: DejaVu Sans Mono is not installed; the browser's default monospace font is used" >&2

BIN=${STACKWRIGHT_BIN:-${CARGO_TARGET_DIR:-target}/release/stackwright}
case $BIN in /*) ;; *) BIN=$ROOT/$BIN ;; esac
if [[ ! -x $BIN ]]; then
    [[ -z ${STACKWRIGHT_BIN:-} ]] || die "no binary at $BIN"
    echo "screenshots: building the release binary"
    cargo build --release --quiet
fi
[[ -x $BIN ]] || die "no binary at $BIN"

WORK=$(mktemp -d)
SOCKET=stackwright-shots-$$
tm() { tmux -L "$SOCKET" "$@"; }
cleanup() {
    tm kill-server 2>/dev/null || true
    if [[ ${SHOTS_KEEP:-} == 1 ]]; then echo "screenshots: kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
mkdir -p "$WORK/png" "$WORK/txt" "$WORK/cfg" "$WORK/run"

# The fixed answers every screen is made from: three environments, a trusted
# range, a database and an app tier, so each step has something to show.
cat >"$WORK/answers.yaml" <<'EOF'
version: 1
project: {name: payments, owner: platform-team, cost_center: CC-1234}
region: eu-west-1
environments:
  - {name: dev, profile: ephemeral}
  - {name: staging, profile: ephemeral}
  - {name: prod, profile: production, approval: true}
network:
  trusted_cidrs: [203.0.113.0/24]
database: {engine: postgres}
pipeline: {repository: example-org/payments, notification_email: platform@example.com}
app: {kind: ecs, port: 443}
EOF

# start COLS ROWS: the wizard on the fixed answers in a fresh session of that
# size, in an empty directory with a relative --out, so the screens name
# `payments/` rather than a temporary path.
start() {
    tm kill-session -t shots 2>/dev/null || true
    rm -f "$WORK/rc"
    tm new-session -d -s shots -x "$1" -y "$2" -c "$WORK/run" \
        "env -u NO_COLOR STACKWRIGHT_CONFIG_DIR='$WORK/cfg' '$BIN' new --wizard --answers '$WORK/answers.yaml' --out payments; echo \$? > '$WORK/rc'; sleep 600"
    COLS=$1
    ROWS=$2
}

pane() { tm capture-pane -p -t shots; }

# wait_for TEXT: until the pane shows TEXT (10 s).
wait_for() {
    local i
    for ((i = 0; i < 100; i++)); do
        pane | grep -qF -- "$1" && return 0
        sleep 0.1
    done
    pane | sed 's/^/  | /' >&2
    die "the wizard did not show '$1'"
}

# settle: until the coloured pane has not changed for 0.6 s (the frame for the
# last key and any preview rendered after it are drawn); 6 s at most.
settle() {
    local j last now
    last=$(tm capture-pane -e -p -t shots)
    for ((j = 0; j < 20; j++)); do
        sleep 0.3
        now=$(tm capture-pane -e -p -t shots)
        if [[ $now == "$last" ]]; then
            sleep 0.3
            now=$(tm capture-pane -e -p -t shots)
            [[ $now == "$last" ]] && return 0
        fi
        last=$now
    done
    die "the screen kept changing"
}

# shoot NAME TITLE: the settled screen as $WORK/txt/NAME.txt and $WORK/png/NAME.png.
shoot() {
    local name=$1 title=$2 size w h
    settle
    tm capture-pane -e -p -t shots >"$WORK/$name.ansi"
    tm capture-pane -p -t shots >"$WORK/txt/$name.txt"
    size=$(python3 scripts/ansi_to_html.py "$WORK/$name.ansi" "$COLS" "$ROWS" "$WORK/$name.html" \
        --title "stackwright · $title")
    read -r w h <<<"$size"
    # --virtual-time-budget lets the page finish layout before the shot; the
    # profile directory is fresh so nothing from another run leaks in.
    "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
        --no-first-run --disable-component-update --disable-sync --hide-scrollbars \
        --force-device-scale-factor=1 --user-data-dir="$(mktemp -d "$WORK/profile.XXXX")" \
        --virtual-time-budget=2000 --window-size="$w,$h" \
        --screenshot="$WORK/png/$name.png" "file://$WORK/$name.html" >"$WORK/chromium.log" 2>&1 ||
        { cat "$WORK/chromium.log" >&2; die "$CHROMIUM failed on $name"; }
    python3 - "$WORK/png/$name.png" "$w" "$h" <<'EOF' || die "$name.png is not the page it should be"
import struct, sys
path, w, h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(path, "rb") as f:
    head = f.read(24)
if head[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit("%s: not a PNG" % path)
got = struct.unpack(">II", head[16:24])
if got != (w, h):
    sys.exit("%s: %dx%d, expected %dx%d" % (path, got[0], got[1], w, h))
EOF
    echo "  $name: ${COLS}x${ROWS} terminal, ${w}x${h} px"
}

echo "screenshots: driving $BIN"
STEPS=("1-project:1/8 Project" "2-region:2/8 Region" "3-environments:3/8 Environments"
    "4-network:4/8 Network" "5-database:5/8 Database" "6-pipeline:6/8 Pipeline"
    "7-app:7/8 App tier" "8-review:8/8 Review")
start 120 40
for entry in "${STEPS[@]}"; do
    name=${entry%%:*}
    step=${entry#*:}
    # Enter accepts the focused field and moves on; a step is left once every
    # field in it is accepted.
    for ((i = 0; i < 40; i++)); do
        pane | grep -qF "step $step" && break
        tm send-keys -t shots Enter
        settle
    done
    wait_for "step $step"
    shoot "$name" "${step#* }"
done
tm send-keys -t shots C-c

echo "screenshots: the review at 80x24"
start 80 24
for ((i = 0; i < 60; i++)); do
    pane | grep -qF "step 8/8 Review" && break
    tm send-keys -t shots Enter
    settle
done
wait_for "step 8/8 Review"
shoot 8-review-80x24 "Review at 80x24"
tm send-keys -t shots C-c
for ((i = 0; i < 50; i++)); do [[ -s $WORK/rc ]] && break; sleep 0.1; done
[[ $(cat "$WORK/rc" 2>/dev/null) == 130 ]] || die "the wizard did not leave with 130 on Ctrl-C"
[[ -z $(ls -A "$WORK/run") ]] || die "the wizard wrote files: $(ls -A "$WORK/run")"

mkdir -p docs/screenshots assets/screenshots
cp "$WORK"/png/*.png docs/screenshots/
cp "$WORK"/txt/*.txt assets/screenshots/
echo "screenshots: wrote $(ls "$WORK"/png | wc -l) PNGs to docs/screenshots/ and their text to assets/screenshots/"
