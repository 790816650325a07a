"""General controls over every module and environment root (offline)."""

import re

import pytest

from hcl_helpers import ENVS, MODULES, ROOT, blocks, env_dirs, module_dirs, named, resources, tfvars, value

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


# A resource address, optionally inside a module call and with a count index or for_each key.
ADDRESS = re.compile(r'^(?:module\.(?P<call>\w+)\.)?(?P<type>\w+)\.(?P<name>\w+)(?:\[(?P<index>\d+|"[^"]+")\])?$')


def moved_blocks(folder):
    """from -> to of the moved blocks of a module folder."""
    out = {}
    for _, entry in blocks(folder, "moved"):
        source, target = (value(entry, key).removeprefix("${").removesuffix("}") for key in ("from", "to"))
        assert source not in out, f"{folder.relative_to(ROOT)}: two moved blocks from {source}"
        out[source] = target
    return out


def local_keys(folder, name):
    keys = set()
    for _, entry in blocks(folder, "locals"):
        if name in entry:
            keys |= set(value(entry, name))
    return keys


def declared(folder, address):
    """Why `address` is not an address the module at `folder` declares now, or None when it is."""
    match = ADDRESS.match(address)
    if not match:
        return f"{address} is not a resource address"
    if match["call"]:
        call = named(folder, "module").get(match["call"])
        if call is None:
            return f"no module call {match['call']}"
        folder = (folder / value(call, "source")).resolve()
    attrs = resources(folder).get((match["type"], match["name"]))
    if attrs is None:
        return f"{folder.relative_to(ROOT)} declares no {match['type']}.{match['name']}"
    index = match["index"]
    if index is None:
        return f"{address} has count or for_each: name an instance" if "count" in attrs or "for_each" in attrs else None
    if index.isdigit():
        return None if "count" in attrs else f"{address}: the resource has no count"
    each = str(value(attrs, "for_each", ""))
    local = re.fullmatch(r"\$\{local\.(\w+)\}", each)
    if not local:
        return f"{address}: the resource has no for_each over a local map"
    return None if index.strip('"') in local_keys(folder, local[1]) else f"{address}: local.{local[1]} has no key {index}"


def test_gen_06_moved_blocks_carry_every_former_address():
    """An address an earlier version declared must move, never be destroyed and re-created
    (buckets, alarms and their history live in the users' states)."""
    listed = ROOT / "tests" / "python" / "former_addresses.txt"
    former = [line.split() for line in listed.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]
    assert former, f"{listed.relative_to(ROOT)} lists no address"
    for folder_name, address in former:
        folder = ROOT / folder_name
        moves = moved_blocks(folder)
        assert address in moves, f"{folder_name}: no moved block from {address}: plan would destroy and re-create it"
        assert declared(folder, address) is not None, f"{folder_name}: {address} is still declared, so it cannot move"
        problem = declared(folder, moves[address])
        assert problem is None, f"{folder_name}: moved from {address} to {moves[address]}: {problem}"
