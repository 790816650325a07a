#!/usr/bin/env bash
# The Terraform flavour's full stack with 3 environments (every blueprint on),
# rendered and written by `stackwright new`, against `cp -r` of its output:
# median wall time of RUNS fresh runs each. Target: within 3x of cp -r.
#
#   benches/terraform.sh                          # release binary of this tree
#   RUNS=30 STACKWRIGHT=/path/to/stackwright benches/terraform.sh
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SW="${STACKWRIGHT:-${CARGO_TARGET_DIR:-$REPO/target}/release/stackwright}"
RUNS="${RUNS:-21}"
[[ -x $SW ]] || { echo "no stackwright binary at $SW (cargo build --release, or set STACKWRIGHT)" >&2; exit 2; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export STACKWRIGHT_CONFIG_DIR="$WORK/config"

cat > "$WORK/answers.yaml" <<'YAML'
version: 1
project: {name: bench, owner: perf, cost_center: CC-1}
flavor: terraform
region: eu-west-1
environments:
  - {name: dev, profile: ephemeral, approval: false}
  - {name: staging, profile: production, approval: true, account_id: "111122223333"}
  - {name: prod, profile: production, approval: true, account_id: "444455556666"}
network: {availability_zones: 3, endpoints: [s3, dynamodb, ssm, secretsmanager, kms, logs], trusted_cidrs: [203.0.113.0/24]}
database: {engine: aurora-postgresql}
app: {kind: none}
pipeline: {repository: acme/bench, stages: [validate, test, security_scan, deploy], notification_email: ops@example.com}
YAML

"$SW" new --answers "$WORK/answers.yaml" --out "$WORK/ref" >/dev/null
files=$(find "$WORK/ref" -type f | wc -l)
bytes=$(du -sb "$WORK/ref" | cut -f1)

python3 - "$SW" "$WORK" "$RUNS" "$files" "$bytes" <<'PY'
import shutil, statistics, subprocess, sys, time
sw, work, runs, files, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
def median(cmd):
    times = []
    for _ in range(runs):
        shutil.rmtree(f"{work}/x", ignore_errors=True)
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000
render = median([sw, "new", "--answers", f"{work}/answers.yaml", "--out", f"{work}/x"])
copy = median(["cp", "-r", f"{work}/ref", f"{work}/x"])
print(f"Terraform flavour, 3 environments ({files} files, {size // 1024} KiB), median of {runs} runs:")
print(f"| command | median ms | ratio vs cp -r |")
print(f"|---|---:|---:|")
print(f"| stackwright new (terraform, 3 envs) | {render:.1f} | {render / copy:.2f}x |")
print(f"| cp -r of its output | {copy:.1f} | 1.00x |")
print(f"within 3x of cp -r: {'MET' if render <= 3 * copy else 'MISSED'} ({render / copy:.2f}x)")
PY
