#!/usr/bin/env bash
# Integration smoke test of deployed environments (all of them, or those named):
# every stack exists in a *_COMPLETE state, the outputs the app exports are
# there, and the live VPC and key are what the controls promise (DNS on, key
# rotation on). Environments in another account are read through that account's
# CDK bootstrap lookup role (read-only). Needs AWS CLI v2 and credentials.
set -euo pipefail

region=${AWS_REGION:-{{ region.code }}}
project={{ project.name }}
stacks=(security network{% if database.enabled %} database{% endif %}{% if app.enabled %} app{% endif %} monitoring)
if (($#)); then envs=("$@"); else envs=({% for e in environments %}{{ e.name }}{% if not loop.last %} {% endif %}{% endfor %}); fi

caller=$(aws sts get-caller-identity --query Account --output text)
partition=$(aws sts get-caller-identity --query Arn --output text | cut -d: -f2)
failures=0
fail() { echo "FAIL $*" >&2; failures=$((failures + 1)); }

for env in "${envs[@]}"; do
  case $env in
{%- for e in environments %}
    {{ e.name }}) account='{{ e.account_id }}' ;;
{%- endfor %}
    *) echo "smoke: unknown environment '$env'" >&2; exit 2 ;;
  esac
  run=()
  if [[ -n $account && $account != "$caller" ]]; then
    role="arn:$partition:iam::$account:role/cdk-hnb659fds-lookup-role-$account-$region"
    read -r key secret token < <(aws sts assume-role --role-arn "$role" --role-session-name "$project-smoke" \
      --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text)
    run=(env "AWS_ACCESS_KEY_ID=$key" "AWS_SECRET_ACCESS_KEY=$secret" "AWS_SESSION_TOKEN=$token")
  fi
  for stack in "${stacks[@]}"; do
    name="$project-$env-$stack"
    status=$("${run[@]}" aws cloudformation describe-stacks --region "$region" --stack-name "$name" \
      --query 'Stacks[0].StackStatus' --output text 2>/dev/null || echo MISSING)
    case $status in
      CREATE_COMPLETE | UPDATE_COMPLETE) echo "ok   $name $status" ;;
      *) fail "$name is $status" ;;
    esac
  done
  output() {
    "${run[@]}" aws cloudformation describe-stacks --region "$region" --stack-name "$project-$env-$1" \
      --query "Stacks[0].Outputs[?OutputKey=='$2'].OutputValue" --output text 2>/dev/null || true
  }
  vpc=$(output network VpcId)
  if [[ -n $vpc && $vpc != None ]]; then
    dns=$("${run[@]}" aws ec2 describe-vpc-attribute --region "$region" --vpc-id "$vpc" \
      --attribute enableDnsHostnames --query 'EnableDnsHostnames.Value' --output text)
    [[ $dns == True ]] && echo "ok   $env VPC $vpc has DNS hostnames (NET-01)" || fail "$env VPC $vpc has no DNS hostnames"
  else
    fail "$env: network output VpcId missing"
  fi
  key=$(output security KmsKeyArn)
  if [[ -n $key && $key != None ]]; then
    rotation=$("${run[@]}" aws kms get-key-rotation-status --region "$region" --key-id "$key" \
      --query KeyRotationEnabled --output text 2>/dev/null || echo unknown)
    [[ $rotation == True ]] && echo "ok   $env key rotation on (SEC-01)" || fail "$env key rotation is $rotation"
  else
    fail "$env: security output KmsKeyArn missing"
  fi
done
((failures == 0)) || { echo "smoke: $failures failure(s)" >&2; exit 1; }
echo "smoke: {% raw %}${#envs[@]}{% endraw %} environment(s) ok"
