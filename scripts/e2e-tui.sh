#!/usr/bin/env bash
# End-to-end test of the wizard in a real terminal: tmux runs `stackwright new`,
# sends keys, captures the pane, and compares the written project with the
# equivalent non-interactive run (diff -r). Cases:
#   1. Enter through every step          == new --defaults   (and idle CPU ~0)
#   2. region, +environment, mysql, -stage == new --answers <equivalent>
#   3. Ctrl-C midway: exit 130, nothing written, alternate screen left
#   4. --plain, Enter through everything == new --defaults
#   5. --plain editing: Ctrl-U clears, Esc goes back one question, an
#      overlapping VPC range is refused where it is typed, the app port is not
#      asked without an app, the repository follows the project name, the
#      review shows resolved ranges and the estimated total
#                                       == new --answers <equivalent>
#   6. --plain, quit at the review: exit 130, nothing written
#   7. wizard at 80x24: `?` is typed in a text field, q with unsaved edits
#      asks (another key keeps editing, y discards), the review shows the
#      resolved answers, the estimated total (as `stackwright cost` computes
#      it), `c` its line items and assumptions, and the quit key
#   8. update --wizard on a generated project, engine switched to mysql
#      == update --set database.engine=mysql on a copy
#   9. --plain --preset workshop as USER=alice: the project name question
#      offers ws-alice, and Enter through everything == new --preset workshop
#
#   STACKWRIGHT_BIN   binary to drive (default $CARGO_TARGET_DIR/release/stackwright)
#   E2E_KEEP=1        keep the work directory and print where it is
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

BIN=${STACKWRIGHT_BIN:-${CARGO_TARGET_DIR:-target}/release/stackwright}
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
[[ -x $BIN ]] || { echo "e2e-tui: no binary at $BIN (build with cargo build --release)" >&2; exit 1; }
command -v tmux >/dev/null || { echo "e2e-tui: tmux is not installed" >&2; exit 1; }

WORK=$(mktemp -d)
SOCKET=stackwright-e2e-$$
tm() { tmux -L "$SOCKET" "$@"; }
cleanup() {
    tm kill-server 2>/dev/null
    if [[ ${E2E_KEEP:-} == 1 ]]; then echo "e2e-tui: kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); echo "  ok: $*"; }
bad() { FAIL=$((FAIL + 1)); echo "  FAILED: $*"; }

# start CASE ARGS...: runs `stackwright new ARGS` in $WORK/CASE in a fresh session,
# 120x40 unless SIZE says otherwise (e.g. SIZE="-x 80 -y 24").
start() {
    local case=$1
    shift
    mkdir -p "$WORK/$case/run" "$WORK/$case/cfg"
    tm kill-session -t e2e 2>/dev/null
    # shellcheck disable=SC2086
    tm new-session -d -s e2e ${SIZE:--x 120 -y 40} -c "$WORK/$case/run" \
        "env STACKWRIGHT_CONFIG_DIR='$WORK/$case/cfg' ${RUN_ENV:-} '$BIN' new $*; echo \$? > '$WORK/$case/rc'; sleep 600"
    RUN=$WORK/$case
}

pane() { tm capture-pane -p -t e2e; }

# wait_for TEXT [SECONDS]: until the pane shows TEXT.
wait_for() {
    local i
    for ((i = 0; i < ${2:-10} * 10; i++)); do
        pane | grep -qF -- "$1" && return 0
        sleep 0.1
    done
    echo "    pane while waiting for '$1':" && pane | sed 's/^/    | /'
    return 1
}

# settle: waits (up to 3 s) until the pane stops changing for 0.3 s: the frame
# for the last key and any preview rendered after it have been drawn.
settle() {
    local j last now
    last=$(pane)
    for ((j = 0; j < 10; j++)); do
        sleep 0.3
        now=$(pane)
        [[ $now == "$last" ]] && return 0
        last=$now
    done
}

# enter_until TEXT: presses Enter, one at a time, until the pane shows TEXT.
# After each Enter it lets the screen settle, so a slow frame never lets a
# second Enter land on the next step.
enter_until() {
    local i
    for ((i = 0; i < 60; i++)); do
        pane | grep -qF -- "$1" && return 0
        tm send-keys -t e2e Enter
        settle
    done
    wait_for "$1" 2
}

# exit_code: waits for the run to end and prints its exit code.
exit_code() {
    local i
    for ((i = 0; i < 100; i++)); do
        [[ -s $RUN/rc ]] && { cat "$RUN/rc"; return; }
        sleep 0.1
    done
    echo timeout
}

# reference NAME ARGS...: the non-interactive run to compare with, in $WORK/ref-NAME.
reference() {
    local name=$1
    shift
    mkdir -p "$WORK/ref-$name/cfg"
    (cd "$WORK/ref-$name" && STACKWRIGHT_CONFIG_DIR="$WORK/ref-$name/cfg" "$BIN" new "$@" >/dev/null) ||
        bad "reference run $name failed"
}

same_tree() {
    if diff -r "$1" "$2" >"$WORK/diff.txt"; then
        ok "$3: byte-for-byte identical to the non-interactive run ($(find "$1" -type f | wc -l) files)"
    else
        bad "$3: differs from the non-interactive run:"
        head -20 "$WORK/diff.txt" | sed 's/^/    /'
    fi
}

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

echo "e2e-tui: driving $BIN"

reference defaults --defaults

echo "1. Enter through every step"
start enter
if wait_for "step 1/8 Project"; then
    pid=$(pgrep -P "$(tm display -p -t e2e '#{pane_pid}')" -x stackwright)
    if [[ -n $pid && -r /proc/$pid/stat ]]; then
        before=$(ticks "$pid")
        sleep 10
        after=$(ticks "$pid")
        hz=$(getconf CLK_TCK)
        echo "    idle CPU over 10 s: $((after - before)) ticks of 1/${hz} s"
        if ((after - before <= 2)); then ok "idle wizard uses ~0% CPU"; else bad "idle wizard burned $((after - before)) ticks in 10 s"; fi
    fi
    enter_until "step 8/8 Review" && tm send-keys -t e2e Enter
    wait_for "press any key to leave" && tm send-keys -t e2e q
    rc=$(exit_code)
    [[ $rc == 0 ]] && ok "exit 0" || bad "exit code $rc, wanted 0"
    same_tree "$RUN/run/demo" "$WORK/ref-defaults/demo" "Enter through everything"
else
    bad "the wizard did not start"
fi

echo "2. region, add an environment, mysql, remove a stage"
cat >"$WORK/equivalent.yaml" <<'EOF'
region: eu-west-1
environments:
  - {name: dev, profile: ephemeral, approval: false}
  - {name: staging, profile: ephemeral, approval: false}
  - {name: prod, profile: production, approval: true}
database: {engine: mysql}
pipeline: {stages: [validate, test, deploy, integration_test]}
EOF
reference changed --answers "$WORK/equivalent.yaml"
start changed
if wait_for "step 1/8 Project"; then
    enter_until "step 2/8 Region"
    tm send-keys -t e2e -l "eu-west-1"
    wait_for "Europe (Ireland)" && tm send-keys -t e2e Enter
    wait_for "step 3/8 Environments" && tm send-keys -t e2e C-n
    wait_for "Environment 2 of 3: staging"
    enter_until "step 5/8 Database"
    tm send-keys -t e2e Right
    wait_for "‹ mysql ›"
    enter_until "step 6/8 Pipeline"
    tm send-keys -t e2e Right Right Space
    wait_for "validate, test, deploy, integration_test" 3 || true
    enter_until "step 8/8 Review" && tm send-keys -t e2e Enter
    wait_for "press any key to leave" && tm send-keys -t e2e Enter
    rc=$(exit_code)
    [[ $rc == 0 ]] && ok "exit 0" || bad "exit code $rc, wanted 0"
    same_tree "$RUN/run/demo" "$WORK/ref-changed/demo" "changed answers"
else
    bad "the wizard did not start"
fi

echo "3. Ctrl-C midway"
start cancel
if wait_for "step 1/8 Project"; then
    enter_until "step 3/8 Environments"
    tm send-keys -t e2e C-c
    rc=$(exit_code)
    [[ $rc == 130 ]] && ok "exit 130" || bad "exit code $rc, wanted 130"
    if [[ -z $(ls -A "$RUN/run") ]]; then ok "nothing written"; else bad "files written: $(ls -A "$RUN/run")"; fi
    alt=$(tm display -p -t e2e '#{alternate_on}')
    [[ $alt == 0 ]] && ok "terminal left the alternate screen" || bad "alternate screen still on"
    pane | grep -qF "cancelled; nothing was written" && ok "said so" || bad "no cancellation message"
else
    bad "the wizard did not start"
fi

echo "4. --plain, Enter through everything"
start plain --plain
if wait_for "Project name"; then
    for ((i = 0; i < 80; i++)); do
        [[ -s $RUN/rc ]] && break
        tm send-keys -t e2e Enter
        sleep 0.2
    done
    rc=$(exit_code)
    [[ $rc == 0 ]] && ok "exit 0" || { bad "exit code $rc, wanted 0"; pane | tail -15 | sed 's/^/    | /'; }
    same_tree "$RUN/run/demo" "$WORK/ref-defaults/demo" "--plain with every default"
else
    bad "the prompts did not start"
fi

# plain_edit: answers the plain prompts as case 5 describes, up to the review.
plain_edit() {
    wait_for "? Project name: demo" || return 1
    tm send-keys -t e2e C-u
    tm send-keys -t e2e -l "payments"
    tm send-keys -t e2e Enter
    wait_for "? Owner: platform-team" || return 1
    tm send-keys -t e2e Escape
    if wait_for "↩ Owner" && wait_for "? Project name: payments"; then
        ok "esc went back to the previous question"
    else
        bad "esc did not go back"
    fi
    tm send-keys -t e2e Enter
    wait_for "? Owner" && tm send-keys -t e2e Enter
    wait_for "? Cost centre" && tm send-keys -t e2e Enter
    wait_for "? Flavour" && tm send-keys -t e2e Enter
    wait_for "? Account trail" && tm send-keys -t e2e Enter
    wait_for "? Region" && tm send-keys -t e2e Enter
    wait_for "? Environments: dev, prod" && tm send-keys -t e2e Enter
    local env
    for env in dev prod; do
        wait_for "? $env · Profile" && tm send-keys -t e2e Enter
        wait_for "? $env · Approval" && tm send-keys -t e2e Enter
        wait_for "? $env · Account id" && tm send-keys -t e2e Enter
        wait_for "? $env · VPC CIDR" || return 1
        if [[ $env == dev ]]; then
            tm send-keys -t e2e -l "10.0.0.0/16"
        else
            tm send-keys -t e2e -l "10.0.128.0/17"
            tm send-keys -t e2e Enter
            if wait_for "overlaps environments[0].vpc_cidr (10.0.0.0/16)"; then
                ok "overlapping range refused at the range"
            else
                bad "overlap not refused when typed"
            fi
            tm send-keys -t e2e C-u
            tm send-keys -t e2e -l "10.1.0.0/16"
        fi
        tm send-keys -t e2e Enter
    done
    # The rest with Enter, question by question (an early Enter would answer the next one).
    local q
    for q in "Availability zones" "NAT gateways" "VPC endpoints" "Allow 0.0.0.0/0" "Trusted CIDRs" \
        Engine Version "Instance class" "Database name" Stages Repository Branch "Notification email" "App tier"; do
        wait_for "? $q" || return 1
        tm send-keys -t e2e Enter
    done
    wait_for "? Review" || return 1
    if pane | grep -qF "Repository: example-org/payments"; then
        ok "the repository followed the project name"
    else
        bad "the repository did not follow the project name"
    fi
    if pane | grep -qF "App port"; then bad "the app port was asked without an app"; else ok "no app port question without an app"; fi
    total=$(STACKWRIGHT_CONFIG_DIR="$RUN/cfg" "$BIN" cost --answers "$WORK/plain.yaml" | awk '/^  total \(estimate/ {print $NF}')
    if [[ -n $total ]] && pane | grep -qF "Cost          $total a month (estimate)"; then
        ok "the plain review shows the estimated total ($total)"
    else
        bad "the plain review lacks the estimated total '$total'"
    fi
    if pane | grep -qF "prod        production · VPC 10.1.0.0/16 · manual approval"; then
        ok "the review shows the resolved answers"
    else
        bad "the review lacks the resolved answers"
    fi
}

echo "5. --plain editing"
cat >"$WORK/plain.yaml" <<'EOF'
project: {name: payments}
environments:
  - {name: dev, profile: ephemeral, approval: false, vpc_cidr: 10.0.0.0/16}
  - {name: prod, profile: production, approval: true, vpc_cidr: 10.1.0.0/16}
pipeline: {repository: example-org/payments}
EOF
reference plain --answers "$WORK/plain.yaml"
start plainedit --plain
if plain_edit; then
    tm send-keys -t e2e Enter
    rc=$(exit_code)
    [[ $rc == 0 ]] && ok "exit 0" || { bad "exit code $rc, wanted 0"; pane | tail -15 | sed 's/^/    | /'; }
    same_tree "$RUN/run/payments" "$WORK/ref-plain/payments" "--plain with edits"
else
    bad "the plain prompts did not go as expected"
fi

echo "6. --plain, quit at the review"
start plainquit --plain
if plain_edit; then
    tm send-keys -t e2e Down Down Enter
    rc=$(exit_code)
    [[ $rc == 130 ]] && ok "exit 130" || bad "exit code $rc, wanted 130"
    if [[ -z $(ls -A "$RUN/run") ]]; then ok "nothing written"; else bad "files written: $(ls -A "$RUN/run")"; fi
else
    bad "the plain prompts did not go as expected"
fi

echo "7. wizard at 80x24: ? typed in a text field, q with unsaved edits asks, the review shows resolved answers"
SIZE="-x 80 -y 24" start wiz80
if wait_for "step 1/8 Project"; then
    tm send-keys -t e2e -l "?"
    if wait_for "demo?" 3 && pane | grep -qF "f1 help (? types ?)"; then ok "? is typed in a text field, the footer says f1 is help"; else bad "? in a text field"; fi
    tm send-keys -t e2e C-u
    tm send-keys -t e2e -l "payments"
    tm send-keys -t e2e Enter
    enter_until "step 4/8 Network"
    tm send-keys -t e2e q
    if wait_for "Discard the unsaved answers?" 3; then ok "q with unsaved edits asks"; else bad "q left without asking"; fi
    tm send-keys -t e2e n
    wait_for "kept editing" 3 && [[ ! -s $RUN/rc ]] && ok "any other key keeps editing" || bad "did not keep editing"
    enter_until "step 8/8 Review"
    if wait_for "VPC 10.1.0.0/16 (auto)" 3 && pane | grep -qF "Answers (resolved"; then ok "the 80x24 review shows the resolved answers"; else bad "the 80x24 review lacks the resolved answers"; fi
    pane | grep -qF "ctrl-c quit, write nothing" && ok "quitting is visible at 80x24" || bad "no quit hint at 80x24"
    # The estimate's total, as `stackwright cost` computes it for the same answers.
    total=$(STACKWRIGHT_CONFIG_DIR="$RUN/cfg" "$BIN" cost --set project.name=payments | awk '/^  total \(estimate/ {print $NF}')
    if [[ -n $total ]] && pane | grep -qF "Cost          $total a month (estimate)"; then ok "the 80x24 review shows the estimated total ($total)"; else bad "the 80x24 review lacks the estimated total '$total'"; fi
    tm send-keys -t e2e c
    if wait_for "Cost estimate (pgup/pgdn scroll; c: answers)" 3 && pane | grep -qF "Database instance hours"; then ok "c shows the cost line items"; else bad "c did not show the cost line items"; fi
    for ((i = 0; i < 8; i++)); do
        pane | grep -qF "Assumptions" && break
        tm send-keys -t e2e PageDown
        settle
    done
    if wait_for "Assumptions" 3; then ok "the line items scroll to the assumptions"; else bad "no assumptions after scrolling"; fi
    tm send-keys -t e2e c
    wait_for "Answers (resolved" 3 || bad "c did not go back to the answers"
    tm send-keys -t e2e q
    wait_for "Discard the unsaved answers?" 3 && tm send-keys -t e2e y
    rc=$(exit_code)
    [[ $rc == 130 ]] && ok "y discards: exit 130" || bad "exit code $rc, wanted 130"
    if [[ -z $(ls -A "$RUN/run") ]]; then ok "nothing written"; else bad "files written: $(ls -A "$RUN/run")"; fi
else
    bad "the wizard did not start"
fi

echo "8. update --wizard: opens on the stored answers, mysql chosen, merged like --set"
mkdir -p "$WORK/upd/cfg"
(cd "$WORK/upd" && STACKWRIGHT_CONFIG_DIR="$WORK/upd/cfg" "$BIN" new --defaults --out demo >/dev/null &&
    cd demo && git init -q && git add -A &&
    git -c user.name=e2e -c user.email=e2e@example.com commit -qm generated) || bad "project for case 8"
cp -r "$WORK/upd/demo" "$WORK/upd/ref"
(cd "$WORK/upd/ref" && STACKWRIGHT_CONFIG_DIR="$WORK/upd/cfg" "$BIN" update --set database.engine=mysql >/dev/null) ||
    bad "reference update for case 8"
tm kill-session -t e2e 2>/dev/null
tm new-session -d -s e2e -x 120 -y 40 -c "$WORK/upd/demo" \
    "env STACKWRIGHT_CONFIG_DIR='$WORK/upd/cfg' '$BIN' update --wizard; echo \$? > '$WORK/upd/rc'; sleep 600"
RUN=$WORK/upd
if wait_for "step 1/8 Project"; then
    enter_until "step 5/8 Database"
    tm send-keys -t e2e Right
    wait_for "‹ mysql ›"
    enter_until "step 8/8 Review" && tm send-keys -t e2e Enter
    wait_for "press any key to leave" && tm send-keys -t e2e Enter
    rc=$(exit_code)
    [[ $rc == 0 ]] && ok "exit 0" || bad "exit code $rc, wanted 0"
    if diff -r -x .git "$WORK/upd/demo" "$WORK/upd/ref" >"$WORK/diff.txt"; then
        ok "update --wizard: byte-for-byte identical to update --set ($(find "$WORK/upd/demo" -path '*/.git' -prune -o -type f -print | wc -l) files)"
    else
        bad "update --wizard differs from update --set:"
        head -20 "$WORK/diff.txt" | sed 's/^/    /'
    fi
else
    bad "the update wizard did not start"
fi

echo "9. --plain --preset workshop: the project name comes from the login"
mkdir -p "$WORK/ref-workshop/cfg"
(cd "$WORK/ref-workshop" && USER=alice STACKWRIGHT_CONFIG_DIR="$WORK/ref-workshop/cfg" "$BIN" new --preset workshop >/dev/null 2>&1) ||
    bad "reference run workshop failed"
RUN_ENV="USER=alice" start workshop --plain --preset workshop
if wait_for "Project name: ws-alice"; then
    ok "the project name question offers ws-alice"
    for ((i = 0; i < 80; i++)); do
        [[ -s $RUN/rc ]] && break
        tm send-keys -t e2e Enter
        sleep 0.2
    done
    rc=$(exit_code)
    [[ $rc == 0 ]] && ok "exit 0" || { bad "exit code $rc, wanted 0"; pane | tail -15 | sed 's/^/    | /'; }
    same_tree "$RUN/run/ws-alice" "$WORK/ref-workshop/ws-alice" "--plain --preset workshop with every default"
else
    bad "the prompts did not start"
fi

echo "e2e-tui: $PASS passed, $FAIL failed"
((FAIL == 0))
