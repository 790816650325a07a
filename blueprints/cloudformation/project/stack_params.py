#!/usr/bin/env python3
"""Print what `aws cloudformation deploy` needs for one stack, as shell-quoted words.

    scripts/stack_params.py ENV STACK   the stack's parameters from params/ENV.json as Key=Value
                                        (ENV `pipeline` reads params/pipeline.json)
    scripts/stack_params.py --tags ENV  the stack tags: Project, Environment, Owner, CostCenter,
                                        ManagedBy and the answers' extra tags, as Key=Value
                                        (ENV `shared`: the account-level bootstrap stack)

Each word is quoted with shlex.quote, so `eval "args=($(scripts/stack_params.py dev network))"`
gives one array element per pair whatever the values contain (the Makefile does this). Plain
values print unquoted, so `--parameter-overrides $(scripts/stack_params.py dev network)` also
works for them. Exit status 2 on an unknown environment or stack.
"""

import json
import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Written by stackwright from the answers (project.owner, project.cost_center, project.tags).
FIXED_TAGS = [
    ("Project", {{ project.name | json_str }}),
    ("Owner", {{ project.owner | json_str }}),
    ("CostCenter", {{ project.cost_center | json_str }}),
    ("ManagedBy", "stackwright"),
{%- for k in project.tags | keys | sort %}
    ({{ k | json_str }}, {{ project.tags[k] | json_str }}),
{%- endfor %}
]


def fail(message):
    print(f"stack_params.py: {message}", file=sys.stderr)
    sys.exit(2)


def load(env):
    path = ROOT / "params" / f"{env}.json"
    if not path.is_file():
        known = sorted(p.stem for p in (ROOT / "params").glob("*.json"))
        fail(f"no params/{env}.json; environments: {', '.join(known)}")
    return json.loads(path.read_text())


def words(pairs):
    out = []
    for key, value in pairs:
        value = str(value)
        if "\n" in value or "\0" in value:
            fail(f"{key}: a value with a line break cannot be passed on the command line")
        out.append(shlex.quote(f"{key}={value}"))
    return " ".join(out)


def parameters(env, stack):
    given = load(env)
    if stack not in given:
        fail(f"params/{env}.json has no stack {stack!r}; it has: {', '.join(given)}")
    return words(given[stack]["Parameters"].items())


def tags(env):
    if env == "shared" and not (ROOT / "params" / "shared.json").is_file():
        return words([FIXED_TAGS[0], ("Environment", "shared"), *FIXED_TAGS[1:]])
    given = load(env)
    # The pipeline's EnvironmentName parameter names what it serves; environments are themselves.
    environment = env
    for stack in given.values():
        environment = stack["Parameters"].get("EnvironmentName", environment) if env == "pipeline" else env
    return words([FIXED_TAGS[0], ("Environment", environment), *FIXED_TAGS[1:]])


def main(argv):
    if len(argv) == 2 and argv[0] == "--tags":
        print(tags(argv[1]))
    elif len(argv) == 2 and not argv[0].startswith("-"):
        print(parameters(argv[0], argv[1]))
    else:
        fail("usage: stack_params.py ENV STACK | stack_params.py --tags ENV")


if __name__ == "__main__":
    main(sys.argv[1:])
