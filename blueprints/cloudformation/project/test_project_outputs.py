"""Integration: every deployed stack exports what its template (and README.md) promise.

For the environment under test (make integration ENV=<env>), each stack that environment deploys
must expose every unconditional output of its template, exported as <stack name>-<OutputName>
with the same value, so neighbour stacks and the other integration tests can rely on them.
Skips cleanly without credentials or without a deployment (see conftest.py).
"""

import pytest
from pathlib import Path

from cfnlint.decode import cfn_yaml

ROOT = Path(__file__).resolve().parents[2]
# Stacks in deploy order: (name, template, scope), written by stackwright from the blueprints.
STACKS = [
{%- for s in stacks %}
    ({{ s.name | json_str }}, {{ s.template | json_str }}, {{ s.scope | json_str }}),
{%- endfor %}
]
CROSS_ACCOUNT = {
{%- for e in environments %}
    {{ e.name | json_str }}: {% if e.cross_account %}True{% else %}False{% endif %},
{%- endfor %}
}


def promised_outputs(template):
    """Output names the template always creates (outputs with a Condition may be absent)."""
    outputs = cfn_yaml.load(str(ROOT / template)).get("Outputs") or {}
    return sorted(key for key, out in outputs.items() if "Condition" not in out)


def exports(aws):
    found = {}
    for page in aws.client("cloudformation").get_paginator("list_exports").paginate():
        found.update({e["Name"]: e["Value"] for e in page["Exports"]})
    return found


@pytest.mark.integration
@pytest.mark.parametrize("stack, template, scope", STACKS, ids=[s[0] for s in STACKS])
def test_prj_03_deployed_stack_exports_its_outputs(stack, template, scope, env_name, aws, stack_outputs):
    if scope == "account" and not CROSS_ACCOUNT[env_name]:
        pytest.skip(f"{stack} is deployed only in cross-account environments; {env_name} is not one")
    outputs = stack_outputs("pipeline" if scope == "pipeline" else stack)
    name = f"{{ project.name }}-{stack}" if scope == "pipeline" else f"{{ project.name }}-{env_name}-{stack}"
    missing = [key for key in promised_outputs(template) if key not in outputs]
    assert not missing, f"{name} lacks the outputs {missing} that {template} declares; redeploy it"
    exported = exports(aws)
    wrong = [key for key, value in outputs.items() if exported.get(f"{name}-{key}") != value]
    assert not wrong, f"{name}: outputs {wrong} are not exported as {name}-<OutputName>"
