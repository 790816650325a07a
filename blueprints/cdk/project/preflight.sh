#!/usr/bin/env bash
# Read-only checks before the first deployment of an environment (DEP-06):
# every AWS call here is a get-, describe- or list- call (test_dep_06_* holds
# that). Usage: scripts/preflight.sh ENV   (make preflight ENV=<env>)
set -euo pipefail

AWS=${AWS:-aws}
PROJECT='{{ project.name }}'
REGION='{{ region.code }}'
QUALIFIER=hnb659fds
# Bootstrap stack version this aws-cdk-lib needs at least (cdk bootstrap writes it).
MIN_BOOTSTRAP_VERSION=6

env_name=${1:-}
case "$env_name" in
{%- for e in environments %}
  {{ e.name }}) want_account='{% if e.account_id %}{{ e.account_id }}{% endif %}' ;;
{%- endfor %}
  *) echo "usage: $0 ENV   environments:{% for e in environments %} {{ e.name }}{% endfor %}" >&2; exit 2 ;;
esac

failed=0
ok() { echo "ok    $*"; }
fail() { echo "FAIL  $1" >&2; echo "      $2" >&2; failed=1; }

version=$($AWS --version 2>&1 || true)
if [[ "$version" == aws-cli/2.* ]]; then ok "AWS CLI: ${version%% *}"; else
  fail "AWS CLI v2 is needed (found: ${version:-none})" "install it: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html"; fi

if ! account=$($AWS sts get-caller-identity --query Account --output text 2>/dev/null); then
  fail "no AWS credentials" "sign in for the account of $env_name (aws sso login, or AWS_PROFILE=...)"
  exit 1
fi
if [[ -n "$want_account" && "$account" != "$want_account" ]]; then
  fail "credentials are for account $account, $env_name lives in $want_account" "use credentials for account $want_account"
else
  ok "credentials: account $account"
fi
partition=$($AWS sts get-caller-identity --query Arn --output text | cut -d: -f2)

if bootstrap=$($AWS cloudformation describe-stacks --region "$REGION" --stack-name CDKToolkit \
    --query "Stacks[0].Outputs[?OutputKey=='BootstrapVersion'].OutputValue" --output text 2>/dev/null); then
  if [[ "$bootstrap" =~ ^[0-9]+$ && "$bootstrap" -ge "$MIN_BOOTSTRAP_VERSION" ]]; then ok "CDK bootstrap version $bootstrap in $REGION"
  else fail "CDK bootstrap version ${bootstrap:-unknown} in $REGION is older than $MIN_BOOTSTRAP_VERSION" "run make bootstrap"; fi
else
  fail "account $account is not bootstrapped in $REGION (no CDKToolkit stack)" "run make bootstrap-policies, then make bootstrap"
fi

exec_role="cdk-$QUALIFIER-cfn-exec-role-$account-$REGION"
attached=$($AWS iam list-attached-role-policies --role-name "$exec_role" --query 'AttachedPolicies[].PolicyName' --output text 2>/dev/null | tr '\t' ' ' || true)
for file in bootstrap/execution-policy-*.json; do
  part=${file#bootstrap/execution-policy-}; part=${part%.json}
  name="$PROJECT-cdk-exec-$part"
  if ! $AWS iam get-policy --policy-arn "arn:$partition:iam::$account:policy/$name" >/dev/null 2>&1; then
    fail "execution policy $name does not exist" "run make bootstrap-policies"
  elif [[ " $attached " != *" $name "* ]]; then
    fail "execution policy $name is not attached to $exec_role" "run make bootstrap (it passes --cloudformation-execution-policies)"
  else
    ok "execution policy $name on $exec_role"
  fi
done
if [[ "$attached" == *AdministratorAccess* ]]; then
  fail "$exec_role has AdministratorAccess" "bootstrap again with make bootstrap: only the project's execution policies"
fi

if (( failed )); then echo "preflight: $env_name is not ready; fix the FAIL lines above" >&2; exit 1; fi
echo "preflight: $env_name is ready for make deploy ENV=$env_name"
