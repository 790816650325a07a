"""General controls over every module and environment root (offline)."""

import re

import pytest

from hcl_helpers import ENVS, MODULES, ROOT, blocks, env_dirs, module_dirs, named, tfvars, value

FOLDERS = module_dirs() + env_dirs()
IDS = [str(f.relative_to(ROOT)) for f in FOLDERS]
REQUIRED_TAGS = {"Project", "Environment", "Owner", "CostCenter", "ManagedBy"}
REGION = re.compile(r"\b(us|eu|ap|sa|ca|me|af|il|mx)-(north|south|east|west|central|northeast|southeast|southwest|northwest)-\d\b")


def tf_text():
    for folder in FOLDERS:
        for path in sorted(folder.glob("*.tf")):
            yield path, path.read_text(encoding="utf-8")


@pytest.mark.parametrize("folder", FOLDERS, ids=IDS)
def test_gen_03_every_variable_typed_described_validated(folder):
    for name, body in named(folder, "variable").items():
        assert value(body, "type") is not None, f"{folder.name}: variable {name} has no type"
        description = value(body, "description", "")
        assert description.endswith("."), f"{folder.name}: variable {name} needs a full-sentence description"
        # A bool or a tag map cannot hold a wrong value that its type admits.
        if value(body, "type") in ("${bool}", "bool"):
            continue
        assert "validation" in body, f"{folder.name}: variable {name} has no validation block"
        for rule in body["validation"]:
            message = value(rule, "error_message", "")
            assert message.endswith("."), f"{folder.name}: variable {name}: the validation message must be a sentence"


@pytest.mark.parametrize("folder", FOLDERS, ids=IDS)
def test_gen_05_every_output_described(folder):
    for name, body in named(folder, "output").items():
        assert value(body, "description"), f"{folder.name}: output {name} has no description"


def test_gen_04_no_region_partition_or_zone_literal():
    for path, text in tf_text():
        code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
        assert not REGION.search(code), f"{path.relative_to(ROOT)} names a Region"
        assert "arn:aws:" not in code, f"{path.relative_to(ROOT)} hard-codes the aws partition"


def test_gen_02_default_tags_on_every_provider():
    for env in env_dirs():
        providers = blocks(env, "provider")
        assert providers, f"{env.name} configures no provider"
        for _, entry in providers:
            default_tags = entry["aws"].get("default_tags")
            assert default_tags, f"{env.name}: the provider has no default_tags"
            assert value(default_tags[0], "tags") == "${var.tags}", f"{env.name}: the provider must tag with var.tags"
        tags = tfvars(env)["tags"]
        assert REQUIRED_TAGS <= set(tags), f"{env.name}: tags miss {REQUIRED_TAGS - set(tags)}"
        assert tags["Environment"] == env.name


def test_gen_07_no_secret_literal():
    secret = re.compile(r"(?i)(password|secret)\w*\s*=\s*\"[^\"$]{8,}\"")
    for folder in [MODULES, ENVS]:
        for path in sorted(folder.rglob("*")):
            if path.suffix in (".tf", ".tfvars", ".hcl"):
                assert not secret.search(path.read_text(encoding="utf-8")), f"{path.relative_to(ROOT)} holds a literal secret"
