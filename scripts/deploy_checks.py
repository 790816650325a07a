#!/usr/bin/env python3
"""Deployability checks for CloudFormation templates (controls DEP-01..DEP-05).

Static checkers (cfn-lint, checkov) judge a template on its own; these checks
judge it together with the way it is deployed: which command or pipeline action
deploys which template, in which order, into which account, with which role
and which parameters (the *deploy model*).

  DEP-01  size and quotas: the template fits the path that deploys it
          (51,200 bytes inline or through a CodePipeline CloudFormation action,
          1 MB through S3) and the resource/parameter/output quotas.
  DEP-02  handler permissions: every CloudFormation execution role is allowed
          every action in handlers.{create,read,update,delete}.permissions of
          every resource type it deploys. The handler lists are the registry
          schemas shipped with the installed cfn-lint (its version is printed).
  DEP-03  deploy order: no trust, key or bucket policy names as principal an IAM
          role or user ARN that an earlier stack in the same account has not
          created (a later stack, another account, or nobody).
  DEP-04  re-creatable: in ephemeral environments no resource with
          DeletionPolicy Retain has a fixed physical name.
  DEP-05  condition keys: every condition key on a trust, key, topic or bucket
          policy statement for a service principal is one that the service
          sends in that context (assets/condition_keys.yaml).

Three ways to give the deploy model:

  deploy_checks.py project DIR       a generated stackwright project: the model
                                     is read from `make -n` of its deploy targets,
                                     the CloudFormation actions of
                                     templates/pipeline.yaml, params/<env>.json
                                     and .stackwright/answers.yaml
  deploy_checks.py model FILE.json   an explicit model (see --help of `model`)
  deploy_checks.py cdk CDK_OUT --region R
                                     CDK output: every stack of cdk.out and of
                                     its stage assemblies, in dependency order;
                                     through S3 (cdk deploy), or CodePipeline
                                     actions for stages (--stage-path
                                     codepipeline); --ephemeral STAGE marks a
                                     stage destroyed and re-created (DEP-04)

`--write-model FILE` saves the model used (JSON), `--json FILE` the findings and
figures. Exit status: 0 no finding, 1 findings, 2 bad input.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
QUOTAS_FILE = REPO / "assets" / "cloudformation_quotas.yaml"
CONDITION_KEYS_FILE = REPO / "assets" / "condition_keys.yaml"
CHECKS = ("DEP-01", "DEP-02", "DEP-03", "DEP-04", "DEP-05")
PIPELINE_ACCOUNT = "<pipeline-account>"
CREATE_MODES = {"CREATE_UPDATE", "CHANGE_SET_REPLACE", "REPLACE_ON_FAILURE"}


class InputError(Exception):
    """Bad input: reported with file, field and what would be valid; exit 2."""


# --------------------------------------------------------------------------
# templates


class Template:
    """A decoded template; keeps cfn-lint's nodes so findings can name lines."""

    _cache: dict = {}

    def __init__(self, path: Path):
        self.path = path
        self.text_bytes = path.stat().st_size
        try:
            from cfnlint.decode import decode
        except ImportError as exc:  # pragma: no cover - environment problem
            raise InputError("cfn-lint is not importable: run inside the checkers venv") from exc
        data, matches = decode(str(path))
        if data is None or not isinstance(data, dict):
            detail = "; ".join(str(m) for m in matches) or "not a mapping"
            raise InputError(f"{path}: cannot be decoded as a CloudFormation template: {detail}")
        self.data = data

    @classmethod
    def load(cls, path: Path) -> "Template":
        try:
            key = (path.resolve(), hashlib.sha256(path.read_bytes()).hexdigest())
        except OSError as exc:
            raise InputError(f"{path}: cannot be read: {exc}") from exc
        if key not in cls._cache:
            cls._cache[key] = Template(path)
        return cls._cache[key]

    def section(self, name: str) -> dict:
        value = self.data.get(name)
        return value if isinstance(value, dict) else {}

    @property
    def resources(self) -> dict:
        return self.section("Resources")

    def line(self, node) -> int | None:
        mark = getattr(node, "start_mark", None)
        return mark.line + 1 if mark is not None else None

    def where(self, logical_id: str | None = None, node=None) -> str:
        target = node if node is not None else (self.resources.get(logical_id) if logical_id else None)
        line = self.line(target) if target is not None else None
        return f"{self.path}:{line}" if line else str(self.path)


# --------------------------------------------------------------------------
# intrinsic functions, resolved as far as the deploy model allows


class Unknown(str):
    """A value only known at deploy time, kept as `${Name}` text."""


NO_VALUE = object()


class Resolver:
    def __init__(self, template: Template, params: dict, pseudo: dict):
        self.t = template
        self.values = {}
        for name, spec in template.section("Parameters").items():
            if name in params:
                self.values[name] = params[name]
            elif isinstance(spec, dict) and "Default" in spec:
                self.values[name] = spec["Default"]
        self.pseudo = pseudo
        self._conditions: dict = {}

    # conditions: True, False or None (cannot be decided)
    def condition(self, name: str):
        if name not in self._conditions:
            self._conditions[name] = None  # cycle guard
            body = self.t.section("Conditions").get(name)
            self._conditions[name] = self._cond(body)
        return self._conditions[name]

    def _cond(self, node):
        if isinstance(node, dict) and len(node) == 1:
            (fn, arg), = node.items()
            if fn == "Condition":
                return self.condition(str(arg))
            if fn == "Fn::Not" and isinstance(arg, list) and arg:
                v = self._cond(arg[0])
                return None if v is None else not v
            if fn in ("Fn::And", "Fn::Or") and isinstance(arg, list):
                vals = [self._cond(a) for a in arg]
                if fn == "Fn::And":
                    return False if False in vals else (None if None in vals else True)
                return True if True in vals else (None if None in vals else False)
            if fn == "Fn::Equals" and isinstance(arg, list) and len(arg) == 2:
                a, b = (self.value(x) for x in arg)
                if isinstance(a, Unknown) or isinstance(b, Unknown) or a is None or b is None:
                    return None
                return str(a) == str(b)
        return None

    def resource_included(self, logical_id: str) -> bool | None:
        res = self.t.resources.get(logical_id)
        cond = res.get("Condition") if isinstance(res, dict) else None
        return True if cond is None else self.condition(str(cond))

    def value(self, node):
        """Resolve intrinsics; unresolvable parts become Unknown text. Fn::If
        with an undecidable condition returns the list of both branches'
        values under the key `__either__`."""
        if isinstance(node, dict):
            if len(node) == 1:
                (fn, arg), = node.items()
                if fn == "Ref":
                    return self.ref(str(arg))
                if fn == "Fn::Sub":
                    return self.sub(arg)
                if fn == "Fn::GetAtt":
                    parts = arg.split(".", 1) if isinstance(arg, str) else [str(a) for a in arg]
                    return Unknown("${" + ".".join(parts) + "}")
                if fn == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
                    sep = self.value(arg[0])
                    items = self.value(arg[1])
                    if isinstance(items, list) and all(isinstance(i, str) for i in items):
                        text = str(sep).join(items)
                        return Unknown(text) if any(isinstance(i, Unknown) for i in items) else text
                    return Unknown("${Fn::Join}")
                if fn == "Fn::Select" and isinstance(arg, list) and len(arg) == 2:
                    idx, items = self.value(arg[0]), self.value(arg[1])
                    if isinstance(items, list) and str(idx).isdigit() and int(idx) < len(items):
                        return items[int(idx)]
                    return Unknown("${Fn::Select}")
                if fn == "Fn::If" and isinstance(arg, list) and len(arg) == 3:
                    cond = self.condition(str(arg[0]))
                    if cond is True:
                        return self.value(arg[1])
                    if cond is False:
                        return self.value(arg[2])
                    return {"__either__": [self.value(arg[1]), self.value(arg[2])]}
                if fn == "Fn::ImportValue":
                    return Unknown("${ImportValue}")
                if fn == "Fn::FindInMap" and isinstance(arg, list) and len(arg) >= 3:
                    keys = [self.value(a) for a in arg[:3]]
                    try:
                        return self.value(self.t.section("Mappings")[keys[0]][keys[1]][keys[2]])
                    except (KeyError, TypeError):
                        return Unknown("${Fn::FindInMap}")
                if fn.startswith("Fn::"):
                    return Unknown("${" + fn + "}")
            out = {}
            for k, v in node.items():
                r = self.value(v)
                if r is not NO_VALUE:
                    out[str(k)] = r
            return out
        if isinstance(node, list):
            return [r for r in (self.value(v) for v in node) if r is not NO_VALUE]
        if isinstance(node, str):
            return str(node) if not isinstance(node, Unknown) else node
        return node

    def ref(self, name: str):
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.values:
            v = self.values[name]
            return v if isinstance(v, (list, Unknown)) else str(v)
        return Unknown("${" + name + "}")

    def sub(self, arg):
        if isinstance(arg, list) and len(arg) == 2:
            text, local = arg[0], arg[1] if isinstance(arg[1], dict) else {}
        else:
            text, local = arg, {}
        if not isinstance(text, str):
            return Unknown("${Fn::Sub}")
        unknown = False

        def repl(m):
            nonlocal unknown
            name = m.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in local:
                v = self.value(local[name])
            elif "." in name:
                v = Unknown("${" + name + "}")
            else:
                v = self.ref(name)
            if isinstance(v, Unknown) or not isinstance(v, str):
                unknown = True
                return v if isinstance(v, Unknown) else "${" + name + "}"
            return v

        out = re.sub(r"\$\{([^}]+)\}", repl, text)
        return Unknown(out) if unknown else out


def branches(value) -> list:
    """All concrete alternatives of a resolved value (Fn::If both ways)."""
    if isinstance(value, dict) and set(value) == {"__either__"}:
        out = []
        for v in value["__either__"]:
            out.extend(branches(v))
        return out
    if value is NO_VALUE:
        return []
    return [value]


def as_list(value) -> list:
    out = []
    for v in branches(value):
        if isinstance(v, list):
            for item in v:
                out.extend(branches(item))
        else:
            out.append(v)
    return out


# --------------------------------------------------------------------------
# the deploy model


@dataclass
class Deployment:
    stack: str
    template: Path
    env: str | None
    account: str
    path: str  # inline | s3 | codepipeline
    via: str
    parameters: dict = field(default_factory=dict)
    role: dict | None = None  # {"logical_id": ..., "stack": ...} or {"arn": ...}
    ephemeral: bool = False

    def to_json(self, root: Path) -> dict:
        try:
            template = self.template.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            template = str(self.template)
        out = {"stack": self.stack, "template": template, "env": self.env, "account": self.account,
               "path": self.path, "via": self.via, "parameters": self.parameters, "ephemeral": self.ephemeral}
        if self.role:
            out["role"] = self.role
        return out


@dataclass
class Model:
    region: str
    root: Path
    deployments: list  # in first-deploy order
    notes: list = field(default_factory=list)

    def to_json(self) -> dict:
        return {"region": self.region, "deployments": [d.to_json(self.root) for d in self.deployments]}

    def pseudo(self, d: Deployment) -> dict:
        account = d.account if re.fullmatch(r"\d{12}", d.account or "") else Unknown("${AWS::AccountId}")
        return {"AWS::Partition": "aws", "AWS::Region": self.region, "AWS::URLSuffix": "amazonaws.com",
                "AWS::AccountId": account, "AWS::StackName": d.stack,
                "AWS::StackId": Unknown("${AWS::StackId}"), "AWS::NotificationARNs": Unknown("${AWS::NotificationARNs}")}

    def resolver(self, d: Deployment) -> Resolver:
        return Resolver(Template.load(d.template), d.parameters, self.pseudo(d))

    def first_deploys(self) -> list:
        """One deployment per stack: its first appearance in the order."""
        seen, out = set(), []
        for d in self.deployments:
            if d.stack not in seen:
                seen.add(d.stack)
                out.append(d)
        return out


VALID_PATHS = ("inline", "s3", "codepipeline")
_POLICY_DOCS: dict = {}


def load_policy_document(path: Path, where: str) -> dict:
    """A managed policy document as `aws iam create-policy --policy-document`
    takes it: literal JSON, no CloudFormation functions (an ARN written with
    ${AWS::Partition} or ${AWS::AccountId} would be taken literally by IAM and
    match nothing, so it is refused here)."""
    key = str(path.resolve())
    if key in _POLICY_DOCS:
        return _POLICY_DOCS[key]
    try:
        doc = json.loads(path.read_text())
    except OSError as exc:
        raise InputError(f"{where}: {path}: not readable: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}: not a JSON policy document: {exc.msg}") from exc
    if not isinstance(doc, dict) or doc.get("Version") != "2012-10-17" or not doc.get("Statement"):
        raise InputError(f"{path}: a policy document needs \"Version\": \"2012-10-17\" and a non-empty "
                         "\"Statement\" (an IAM managed policy, not a CloudFormation template)")
    for i, st in enumerate(as_list(doc["Statement"])):
        if not isinstance(st, dict) or st.get("Effect") not in ("Allow", "Deny") \
                or not ({"Action", "NotAction"} & set(st)) or not ({"Resource", "NotResource"} & set(st)):
            raise InputError(f"{path}: Statement[{i}] needs Effect Allow or Deny, Action or NotAction, "
                             "Resource or NotResource")
        text = json.dumps(st)
        m = re.search(r"\$\{AWS::[^}]*\}|\{\{[^}]*\}\}", text)
        if m:
            raise InputError(f"{path}: Statement[{i}] ({st.get('Sid') or 'no Sid'}) contains {m.group(0)}: "
                             "IAM does not substitute variables in a managed policy; write the value or *")
    _POLICY_DOCS[key] = doc
    return doc


def model_from_json(path: Path) -> Model:
    """{"region": R, "deployments": [{"stack", "template", "env", "account",
    "path": inline|s3|codepipeline, "via", "parameters": {}, "ephemeral": bool,
    "role": {"stack": S, "logical_id": L} | {"arn": A}
          | {"name": N, "policy_documents": [FILE, ...]}}]}; templates and
    policy documents relative to the model file; the list order is the
    first-deploy order. A role given by policy documents is one that no
    modelled stack creates (the CDK bootstrap's CloudFormation execution role):
    its managed policies as IAM stores them (JSON, {"Version", "Statement"})."""
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not readable JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("region"), str):
        raise InputError(f"{path}: top level must be an object with a string 'region' (e.g. \"eu-west-1\")")
    deps = data.get("deployments")
    if not isinstance(deps, list) or not deps:
        raise InputError(f"{path}: 'deployments' must be a non-empty list")
    out = []
    for i, d in enumerate(deps):
        where = f"{path}: deployments[{i}]"
        if not isinstance(d, dict):
            raise InputError(f"{where}: must be an object")
        for key in ("stack", "template"):
            if not isinstance(d.get(key), str) or not d[key]:
                raise InputError(f"{where}.{key}: a non-empty string is required")
        p = d.get("path", "inline")
        if p not in VALID_PATHS:
            raise InputError(f"{where}.path: {p!r} is not one of {', '.join(VALID_PATHS)}")
        template = (path.parent / d["template"])
        if not template.is_file():
            raise InputError(f"{where}.template: {template} does not exist")
        params = d.get("parameters") or {}
        if not isinstance(params, dict):
            raise InputError(f"{where}.parameters: must be an object of Key: Value")
        role = d.get("role")
        if role is not None and not (isinstance(role, dict) and ("arn" in role or "logical_id" in role
                                                                 or "policy_documents" in role)):
            raise InputError(f"{where}.role: must be {{\"stack\": S, \"logical_id\": L}}, {{\"arn\": A}} or "
                             f"{{\"name\": N, \"policy_documents\": [FILE, ...]}}")
        if isinstance(role, dict) and "policy_documents" in role:
            docs = role["policy_documents"]
            if not isinstance(docs, list) or not docs or not all(isinstance(x, str) for x in docs):
                raise InputError(f"{where}.role.policy_documents: a non-empty list of policy document files is required")
            role = dict(role, policy_documents=[str((path.parent / x).resolve()) for x in docs])
            for x in role["policy_documents"]:
                load_policy_document(Path(x), f"{where}.role.policy_documents")
        out.append(Deployment(stack=d["stack"], template=template, env=d.get("env"),
                              account=str(d.get("account") or PIPELINE_ACCOUNT), path=p,
                              via=str(d.get("via") or "model"), parameters={k: v for k, v in params.items()},
                              role=role, ephemeral=bool(d.get("ephemeral"))))
    return Model(region=data["region"], root=path.parent, deployments=out)


# --- a generated stackwright project ---------------------------------------

DEPLOY_CMD = re.compile(r"\bcloudformation\s+(deploy|create-stack|update-stack|create-change-set)\b")


def _make_dry_run(project: Path, args: list) -> list[str] | None:
    """`make -n ARGS` in the project (recipes printed, not run; $(MAKE) lines recurse)."""
    try:
        proc = subprocess.run(["make", "-n", "--no-print-directory", *args], cwd=project, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=120)
    except OSError as exc:
        raise InputError(f"{project}: cannot run make to read the deploy targets: {exc}") from exc
    except subprocess.TimeoutExpired as exc:
        raise InputError(f"{project}: make -n {' '.join(args)} did not finish in 120 s") from exc
    if proc.returncode != 0:
        return None
    # A recipe continued with a backslash is one command.
    return proc.stdout.replace("\\\n", " ").splitlines()


def _parse_deploy_commands(lines: list[str]) -> list[dict]:
    found = []
    for line in lines:
        for segment in re.split(r";|&&|\|\|", line):
            m = DEPLOY_CMD.search(segment)
            if not m:
                continue
            try:
                words = shlex.split(segment[m.start():], posix=True)
            except ValueError:
                words = segment[m.start():].split()
            opts = {}
            for i, w in enumerate(words):
                if w.startswith("--"):
                    key, _, val = w.partition("=")
                    opts[key] = val if val else (words[i + 1] if i + 1 < len(words) and not words[i + 1].startswith("--") else "")
            template = opts.get("--template-file") or opts.get("--template-body", "").removeprefix("file://")
            path = "s3" if ("--s3-bucket" in opts or "--template-url" in opts) else "inline"
            # `--parameter-overrides K=V K=V ...` (aws cloudformation deploy)
            overrides = {}
            if "--parameter-overrides" in words:
                for w in words[words.index("--parameter-overrides") + 1:]:
                    if w.startswith("--"):
                        break
                    key, sep, val = w.partition("=")
                    if sep:
                        overrides[key] = val
            found.append({"stack": opts.get("--stack-name"), "template": template or None, "path": path,
                          "role": opts.get("--role-arn") or None, "parameters": overrides})
    return found


def _makefile_targets(project: Path) -> set:
    text = (project / "Makefile").read_text(errors="replace")
    return set(re.findall(r"^([a-z][a-z0-9-]*):", text, flags=re.M))


def _role_ref(raw, stack: str):
    """A CodePipeline RoleArn: !GetAtt X.Arn in the same stack, or an ARN."""
    if isinstance(raw, dict) and "Fn::GetAtt" in raw:
        arg = raw["Fn::GetAtt"]
        parts = arg.split(".", 1) if isinstance(arg, str) else list(arg)
        return {"stack": stack, "logical_id": str(parts[0])}
    return None


def _codebuild_deployment(project: Path, tpl: Template, resolver: Resolver, pipeline_stack: str, stage, action):
    """A CodeBuild action that creates a stack's change set: its EnvironmentVariables
    name STACK, TEMPLATE and EXEC_ROLE_ARN (MODE create, when given), as the
    project's buildspecs/change_set.py expects. The template goes through S3 when
    a buildspec creates change sets from a template URL. None for other actions;
    a string (a note) when it cannot be followed."""
    raw = (action.get("Configuration") or {}).get("EnvironmentVariables")
    if raw is None:
        return None
    value = resolver.value(raw)
    try:
        items = json.loads(value) if isinstance(value, str) else value
        env = {str(i["name"]): str(i.get("value", "")) for i in items}
    except (TypeError, KeyError, ValueError):
        return f"{tpl.where(node=action)}: CodeBuild action {action.get('Name')}: EnvironmentVariables not readable"
    if not {"STACK", "TEMPLATE"} <= set(env) or env.get("MODE", "create") != "create":
        return None
    template = project / env["TEMPLATE"]
    if not template.is_file():
        return f"{tpl.where(node=action)}: CodeBuild action {action.get('Name')}: TEMPLATE {env['TEMPLATE']} is not a file"
    role_text = env.get("EXEC_ROLE_ARN") or env.get("ROLE_ARN") or ""
    m = re.fullmatch(r"\$\{([A-Za-z0-9]+)\.Arn\}", role_text)
    role = {"stack": pipeline_stack, "logical_id": m.group(1)} if m else ({"arn": role_text} if role_text else None)
    by_url = any(re.search(r"TemplateURL|--template-url|--s3-bucket", f.read_text(errors="replace"))
                 for f in sorted((project / "buildspecs").glob("*")) if f.is_file())
    cfg = re.search(r"template-config/([^/]+)/", env.get("CONFIG", ""))
    return Deployment(stack=env["STACK"], template=template, env=cfg.group(1) if cfg else None,
                      account=PIPELINE_ACCOUNT, path="s3" if by_url else "inline",
                      via=f"pipeline action {stage.get('Name')}/{action.get('Name')} (CodeBuild)", role=role)


def model_from_project(project: Path) -> Model:
    answers_file = project / ".stackwright" / "answers.yaml"
    if not answers_file.is_file():
        raise InputError(f"{project}: no .stackwright/answers.yaml (is this a generated stackwright project?)")
    answers = yaml.safe_load(answers_file.read_text()) or {}
    region = answers.get("region")
    if not isinstance(region, str):
        raise InputError(f"{answers_file}: 'region' is missing")
    envs = [e for e in answers.get("environments") or [] if isinstance(e, dict) and e.get("name")]
    env_account = {e["name"]: str(e.get("account_id") or PIPELINE_ACCOUNT) for e in envs}
    ephemeral = {e["name"]: e.get("profile") == "ephemeral" for e in envs}
    params: dict[str, dict] = {}
    for f in sorted((project / "params").glob("*.json")):
        try:
            data = json.loads(f.read_text())
            params[f.stem] = {s: dict((b or {}).get("Parameters") or {}) for s, b in data.items()}
        except (OSError, json.JSONDecodeError, AttributeError) as exc:
            raise InputError(f"{f}: unreadable parameter file: {exc}") from exc

    def stack_params(env: str, template: Path, account: str) -> dict:
        values = dict(params.get(env, {}).get(template.stem, {}))
        # Passed on the command line (PARAMS=...), never in the parameter files.
        declared = Template.load(template).section("Parameters")
        if "PipelineAccountId" in declared and "PipelineAccountId" not in values:
            values["PipelineAccountId"] = PIPELINE_ACCOUNT
        return values

    model = Model(region=region, root=project, deployments=[])
    if not (project / "Makefile").is_file():
        raise InputError(f"{project}: no Makefile")
    targets = _makefile_targets(project)
    cross = [e["name"] for e in envs if e.get("account_id")]
    # The first-deploy order (README): bootstrap, deploy-role per cross-account
    # environment, the pipeline, then every environment.
    runs = []
    # The deployment bucket stack is one per account, outside every
    # environment's destroy/deploy cycle: its parameters are its defaults.
    # A Terraform project (envs/<env> roots, no templates/): its CloudFormation
    # is the state bucket stack in the pipeline's account (make bootstrap) and
    # the apply role in each cross-account environment (make apply-role).
    terraform = (project / "envs").is_dir() and not (project / "templates").is_dir()
    if "bootstrap" in targets:
        runs.append((["bootstrap"], None, PIPELINE_ACCOUNT))
        for env in [] if terraform else cross:
            runs.append((["bootstrap", f"ENV={env}"], None, env_account[env]))
    if "apply-role" in targets:
        for env in cross:
            runs.append((["apply-role", f"ENV={env}", f"PIPELINE_ACCOUNT={PIPELINE_ACCOUNT}"], env,
                         env_account[env]))
    if "deploy-role" in targets:
        for env in cross:
            runs.append((["deploy-role", f"ENV={env}"], env, env_account[env]))
    if "deploy-pipeline" in targets:
        runs.append((["deploy-pipeline"], "pipeline", PIPELINE_ACCOUNT))
    for e in envs if "deploy" in targets or not terraform else []:
        runs.append((["deploy", f"ENV={e['name']}"], e["name"], env_account[e["name"]]))
    # What `make destroy ENV=<env>` deletes is what must be re-creatable there.
    destroyed: dict[str, set] = {}
    if "destroy" in targets:
        for e in envs:
            lines = _make_dry_run(project, ["destroy", f"ENV={e['name']}", f"CONFIRM={e['name']}"]) or []
            destroyed[e["name"]] = {m.group(1) for line in lines
                                   for m in re.finditer(r"delete-stack\b.*?--stack-name\s+(\S+)", line)}

    def recreated(env, stack) -> bool:
        if not env or not ephemeral.get(env):
            return False
        return stack in destroyed[env] if destroyed.get(env) else True

    stack_env: dict[str, str] = {}
    for args, env, account in runs:
        lines = _make_dry_run(project, args)
        if lines is None:
            model.notes.append(f"make -n {' '.join(args)} failed; its deployments are not in the model")
            continue
        for cmd in _parse_deploy_commands(lines):
            if not cmd["stack"] or not cmd["template"]:
                model.notes.append(f"make {' '.join(args)}: a deploy command without --stack-name/--template-file")
                continue
            template = project / cmd["template"]
            if not template.is_file():
                model.notes.append(f"make {' '.join(args)}: {cmd['template']} does not exist")
                continue
            label = env if env in params else "pipeline" if env == "pipeline" else env
            role = {"arn": cmd["role"]} if cmd["role"] else None
            model.deployments.append(Deployment(
                stack=cmd["stack"], template=template, env=env, account=account, path=cmd["path"],
                via=f"make {' '.join(args)}",
                parameters={**stack_params(label or "", template, account), **cmd["parameters"]}, role=role,
                ephemeral=recreated(env, cmd["stack"])))
            if env and env != "pipeline":
                stack_env.setdefault(cmd["stack"], env)

    pipeline = project / "templates" / "pipeline.yaml"
    pipeline_stack = next((d.stack for d in model.deployments if d.template.resolve() == pipeline.resolve()), None)
    if pipeline.is_file() and pipeline_stack:
        tpl = Template.load(pipeline)
        for res in tpl.resources.values():
            if not isinstance(res, dict) or res.get("Type") != "AWS::CodePipeline::Pipeline":
                continue
            presolver = Resolver(tpl, params.get("pipeline", {}).get("pipeline", {}), {
                "AWS::Partition": "aws", "AWS::Region": region, "AWS::URLSuffix": "amazonaws.com",
                "AWS::AccountId": Unknown("${AWS::AccountId}"), "AWS::StackName": pipeline_stack})
            for stage in (res.get("Properties") or {}).get("Stages") or []:
                for action in (stage or {}).get("Actions") or []:
                    type_id = action.get("ActionTypeId") or {}
                    conf = action.get("Configuration") or {}
                    if type_id.get("Provider") == "CodeBuild":
                        d = _codebuild_deployment(project, tpl, presolver, pipeline_stack, stage, action)
                        if d is None:
                            continue
                        if isinstance(d, str):
                            model.notes.append(d)
                            continue
                        d.env = stack_env.get(d.stack) or d.env
                        d.account = env_account.get(d.env, PIPELINE_ACCOUNT) if d.env else PIPELINE_ACCOUNT
                        d.parameters = stack_params(d.env, d.template, d.account) if d.env else {}
                        d.ephemeral = recreated(d.env, d.stack)
                        model.deployments.append(d)
                        continue
                    if type_id.get("Provider") != "CloudFormation" or conf.get("ActionMode") not in CREATE_MODES:
                        continue
                    tpath = conf.get("TemplatePath")
                    stack = conf.get("StackName")
                    if not isinstance(tpath, str) or not isinstance(stack, str) or "::" not in tpath:
                        model.notes.append(f"{tpl.where(node=action)}: CloudFormation action {action.get('Name')} "
                                           "has no literal StackName/TemplatePath; not modelled")
                        continue
                    template = project / tpath.split("::", 1)[1]
                    if not template.is_file():
                        model.notes.append(f"{tpl.where(node=action)}: TemplatePath {tpath} is not a file of the project")
                        continue
                    env = stack_env.get(stack)
                    m = re.search(r"template-config/([^/]+)/", str(conf.get("TemplateConfiguration") or ""))
                    env = env or (m.group(1) if m else None)
                    account = env_account.get(env, PIPELINE_ACCOUNT) if env else PIPELINE_ACCOUNT
                    raw_role = conf.get("RoleArn")
                    role = _role_ref(raw_role, pipeline_stack)
                    if role is None and raw_role is not None:
                        role = {"arn": str(presolver.value(raw_role))}
                    model.deployments.append(Deployment(
                        stack=stack, template=template, env=env, account=account, path="codepipeline",
                        via=f"pipeline action {stage.get('Name')}/{action.get('Name')}",
                        parameters=stack_params(env or "", template, account) if env else {},
                        role=role, ephemeral=recreated(env, stack)))
        by_action = {(d.env, d.stack) for d in model.deployments if d.via.startswith("pipeline action")}
        if by_action:
            for d in model.deployments:
                # deploy-role.yaml is deployed by hand in its account, before the pipeline exists.
                if not d.via.startswith("pipeline action") and d.template.stem != "deploy-role" \
                        and d.env in {e for e, _ in by_action} and (d.env, d.stack) not in by_action:
                    model.notes.append(f"pipeline: stack {d.stack} ({d.env}) is deployed by no modelled action "
                                       "of templates/pipeline.yaml; however the pipeline deploys it is not modelled")
    if not model.deployments:
        raise InputError(f"{project}: found no deployment in the Makefile or the pipeline")
    return model


def _cdk_stacks(assembly: Path, label: str | None, default_account: str) -> list:
    """(stack name, template, account, stage) in deployment order: dependencies
    first, nested stage assemblies (CDK Pipelines) after the top-level stacks."""
    manifest = assembly / "manifest.json"
    if not manifest.is_file():
        return [(t.name.removesuffix(".template.json"), t, default_account, label)
                for t in sorted(assembly.glob("*.template.json"))]
    try:
        arts = json.loads(manifest.read_text()).get("artifacts") or {}
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{manifest}: not readable JSON: {exc}") from exc
    stacks = {k: v for k, v in arts.items() if v.get("type") == "aws:cloudformation:stack"}
    done: list = []

    def visit(name, trail=()):
        if name in done or name in trail or name not in stacks:
            return
        for dep in stacks[name].get("dependencies") or []:
            visit(dep, trail + (name,))
        done.append(name)

    for name in stacks:  # manifest order, as `cdk deploy --all` reads it
        visit(name)
    out = []
    for name in done:
        props = stacks[name].get("properties") or {}
        m = re.match(r"aws://([^/]+)/", str(stacks[name].get("environment") or ""))
        acct = m.group(1) if m and re.fullmatch(r"\d{12}", m.group(1)) else default_account
        out.append((props.get("stackName") or name, assembly / props.get("templateFile", f"{name}.template.json"),
                    acct, label))
    for name, art in arts.items():
        if art.get("type") == "cdk:cloud-assembly":
            props = art.get("properties") or {}
            sub = assembly / props.get("directoryName", name)
            if sub.is_dir():
                out.extend(_cdk_stacks(sub, props.get("displayName") or name, default_account))
    return out


CDK_EXEC_ROLE = "cdk-<qualifier>-cfn-exec-role-<account>-<region>"


def model_from_cdk(out_dir: Path, region: str, ephemeral: list, account: str, stage_path: str,
                   execution_policies: list | None = None) -> Model:
    """cdk.out: `cdk deploy` uploads every template to the bootstrap bucket
    (path s3); stacks of stage assemblies (CDK Pipelines) are deployed by
    CodePipeline actions when --stage-path codepipeline. Every stack deploys
    with the CloudFormation execution role of its account's bootstrap, which is
    not in cdk.out: `execution_policies` are the managed policy documents given
    to `cdk bootstrap --cloudformation-execution-policies` (the same in every
    account); without them DEP-02 has no role to check."""
    if not out_dir.is_dir():
        raise InputError(f"{out_dir}: not a directory (give the cdk.out folder)")
    order = _cdk_stacks(out_dir, None, account)
    if not order:
        raise InputError(f"{out_dir}: no *.template.json (run `cdk synth` first)")
    stages = {stage for _, _, _, stage in order if stage}
    unknown = [e for e in ephemeral if e not in stages]
    if unknown:
        raise InputError(f"--ephemeral {', '.join(unknown)}: not a stage of {out_dir}; stages: "
                         f"{', '.join(sorted(stages)) or 'none'}")
    role = None
    if execution_policies:
        docs = [Path(x).resolve() for x in execution_policies]
        for x in docs:
            load_policy_document(x, "--execution-policy")
        role = {"name": CDK_EXEC_ROLE, "policy_documents": [str(x) for x in docs]}
    deps = [Deployment(stack=s, template=t, env=stage or "app", account=a,
                       path=stage_path if stage else "s3",
                       via=f"CDK stage {stage}" if stage else "cdk deploy",
                       role=role, ephemeral=bool(stage and stage in ephemeral))
            for s, t, a, stage in order if t.is_file()]
    notes = [] if role else ["DEP-02: CDK stacks deploy with the bootstrap's execution role, which is not in "
                             "cdk.out; give its policies with --execution-policy FILE to check it"]
    return Model(region=region, root=out_dir, deployments=deps, notes=notes)


# --------------------------------------------------------------------------
# findings and figures


@dataclass
class Finding:
    check: str
    where: str
    message: str

    def line(self) -> str:
        return f"{self.check} {self.where}: {self.message}"


@dataclass
class Report:
    findings: list = field(default_factory=list)
    figures: dict = field(default_factory=lambda: {c: {} for c in CHECKS})
    notes: list = field(default_factory=list)

    def add(self, check, where, message):
        f = Finding(check, where, message)
        if all(f.line() != g.line() for g in self.findings):
            self.findings.append(f)

    def count(self, check) -> int:
        return sum(1 for f in self.findings if f.check == check)


def load_yaml_asset(path: Path):
    try:
        return yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"{path}: {exc}") from exc


# --- DEP-01 ---------------------------------------------------------------


def check_size(model: Model, report: Report, quotas: dict) -> None:
    limits = quotas["template_bytes"]
    templates = set()
    for d in model.deployments:
        t = Template.load(d.template)
        templates.add(d.template.resolve())
        limit = limits[d.path]
        if t.text_bytes > limit:
            how = {"inline": "deployed inline (no --s3-bucket / --template-url)",
                   "s3": "deployed through S3",
                   "codepipeline": "deployed by a CodePipeline CloudFormation action"}[d.path]
            report.add("DEP-01", str(d.template),
                       f"{t.text_bytes} bytes, {how} by `{d.via}` (stack {d.stack}): the limit there is {limit} bytes")
        for section, key in (("Resources", "resources"), ("Parameters", "parameters"), ("Outputs", "outputs")):
            n = len(t.section(section))
            if n > quotas[key]:
                report.add("DEP-01", str(d.template), f"{n} {key}, CloudFormation allows {quotas[key]}")
    fig = report.figures["DEP-01"]
    fig["templates"] = len(templates)
    fig["deployments"] = len(model.deployments)
    fig["paths"] = dict(sorted({p: sum(1 for d in model.deployments if d.path == p) for p in VALID_PATHS}.items()))


# --- DEP-02 ---------------------------------------------------------------


def _matches(pattern: str, value: str) -> bool:
    return fnmatch.fnmatchcase(value.lower(), str(pattern).lower().replace("[", "[[]"))


class RolePolicies:
    """The statements attached to one IAM role in a template."""

    def __init__(self, model: Model, d: Deployment, logical_id: str):
        self.template = Template.load(d.template)
        self.r = model.resolver(d)
        self.logical_id = logical_id
        self.region = model.region
        self.statements: list = []  # (policy name, statement dict)
        self.boundary: list | None = None
        self.unresolved: list = []
        role = self.template.resources[logical_id]
        props = self.r.value(role.get("Properties") or {})
        for pol in as_list(props.get("Policies") or []):
            if isinstance(pol, dict):
                self._add(pol.get("PolicyName", "inline"), pol.get("PolicyDocument"))
        for arn in as_list(props.get("ManagedPolicyArns") or []):
            lid = self._local_policy(arn)
            if lid:
                self._add_resource_policy(lid)
            else:
                self.unresolved.append(str(arn))
        # AWS::IAM::Policy / ManagedPolicy / RolePolicy that name this role.
        for lid, res in self.template.resources.items():
            if not isinstance(res, dict) or self.r.resource_included(lid) is False:
                continue
            rtype = res.get("Type")
            p = res.get("Properties") or {}
            if rtype in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
                roles = p.get("Roles") or []
                if any(isinstance(x, dict) and x.get("Ref") == logical_id for x in roles):
                    self._add_resource_policy(lid)
            elif rtype == "AWS::IAM::RolePolicy":
                if isinstance(p.get("RoleName"), dict) and p["RoleName"].get("Ref") == logical_id:
                    self._add_resource_policy(lid)
        boundary = props.get("PermissionsBoundary")
        if boundary:
            lid = self._local_policy(boundary)
            if lid:
                doc = self.r.value((self.template.resources[lid].get("Properties") or {}).get("PolicyDocument"))
                self.boundary = list(_statements(doc))
            else:
                self.unresolved.append(f"permissions boundary {boundary}")

    def _local_policy(self, value) -> str | None:
        text = str(value)
        m = re.fullmatch(r"\$\{([A-Za-z0-9]+)\}", text)
        if m and m.group(1) in self.template.resources:
            return m.group(1)
        return None

    def _add_resource_policy(self, lid):
        res = self.template.resources[lid]
        p = self.r.value(res.get("Properties") or {})
        self._add(p.get("PolicyName") or p.get("ManagedPolicyName") or lid, p.get("PolicyDocument"))

    def _add(self, name, doc):
        for st in _statements(doc):
            self.statements.append((str(name), st))

    def decide(self, action: str, needs_star: bool = False) -> tuple[str, str]:
        """('allowed'|'conditional'|'denied'|'missing', detail)."""
        verdict, detail = _evaluate(self.statements, action, self.region, needs_star)
        if verdict in ("allowed", "conditional") and self.boundary is not None:
            bv, _ = _evaluate([("boundary", s) for s in self.boundary], action, self.region, needs_star)
            if bv in ("missing", "denied"):
                return "missing", "not allowed by the permissions boundary"
        return verdict, detail


class DocumentRole:
    """A role that no modelled stack creates, given by its managed policy
    documents (the CDK bootstrap's CloudFormation execution role)."""

    def __init__(self, model: Model, role: dict):
        self.region = model.region
        self.name = str(role.get("name") or "execution role")
        self.statements = []
        self.boundary = None
        self.unresolved: list = []
        self.files = [Path(x) for x in role["policy_documents"]]
        for f in self.files:
            for st in _statements(load_policy_document(f, "policy document")):
                self.statements.append((f.name, st))

    def where(self) -> str:
        parents = {str(f.parent) for f in self.files}
        if len(parents) == 1:
            return f"{parents.pop()}/{{{','.join(f.name for f in self.files)}}}"
        return ", ".join(str(f) for f in self.files)

    def decide(self, action: str, needs_star: bool = False) -> tuple[str, str]:
        return _evaluate(self.statements, action, self.region, needs_star)


def _statements(doc):
    for doc_alt in branches(doc):
        if not isinstance(doc_alt, dict):
            continue
        for st in as_list(doc_alt.get("Statement") or []):
            if isinstance(st, dict):
                yield st


# Condition keys whose value is known for a request CloudFormation makes with
# its execution role.
def _context(region: str) -> dict:
    return {"aws:requestedregion": [region], "aws:calledvia": ["cloudformation.amazonaws.com"],
            "aws:calledviafirst": ["cloudformation.amazonaws.com"], "aws:calledvialast": ["cloudformation.amazonaws.com"],
            "aws:securetransport": ["true"]}


def _condition_holds(cond, region: str):
    """True / False / None (depends on the request: resource, tags, passed role)."""
    if not isinstance(cond, dict) or not cond:
        return True
    ctx = _context(region)
    result = True
    for op, pairs in cond.items():
        if not isinstance(pairs, dict):
            return None
        base = str(op).replace("ForAnyValue:", "").replace("ForAllValues:", "")
        if_exists = base.endswith("IfExists")
        base = base.removesuffix("IfExists")
        for key, want in pairs.items():
            k = str(key).lower()
            if k not in ctx:
                if if_exists:
                    continue
                result = None
                continue
            have = ctx[k]
            wants = [str(w) for w in as_list(want)]
            if base in ("StringEquals", "StringEqualsIgnoreCase", "ArnEquals"):
                ok = any(h.lower() == w.lower() for h in have for w in wants)
            elif base in ("StringLike", "ArnLike"):
                ok = any(_matches(w, h) for h in have for w in wants)
            elif base in ("StringNotEquals", "StringNotEqualsIgnoreCase", "ArnNotEquals"):
                ok = not any(h.lower() == w.lower() for h in have for w in wants)
            elif base in ("StringNotLike", "ArnNotLike"):
                ok = not any(_matches(w, h) for h in have for w in wants)
            elif base == "Bool":
                ok = any(h.lower() == w.lower() for h in have for w in wants)
            elif base == "Null":
                ok = any(w.lower() == "false" for w in wants)
            else:
                result = None
                continue
            if not ok:
                return False
    return result


def _action_matches(st: dict, action: str) -> bool:
    if "Action" in st:
        return any(_matches(a, action) for a in as_list(st["Action"]) if isinstance(a, str))
    if "NotAction" in st:
        return not any(_matches(a, action) for a in as_list(st["NotAction"]) if isinstance(a, str))
    return False


def _resource_fits(st: dict, action: str) -> tuple[bool, bool]:
    """(can apply to this action's service at all, applies to every resource)."""
    if "NotResource" in st:
        return True, False
    service = action.split(":", 1)[0].lower()
    fits, everything = False, False
    for res in as_list(st.get("Resource", [])):
        text = str(res)
        if text == "*":
            return True, True
        parts = text.split(":")
        if len(parts) >= 3 and parts[0] == "arn":
            svc = parts[2].lower()
            if svc == "*" or "$" in svc or _matches(svc, service) or (service, svc) in _ARN_SERVICE_ALIASES:
                fits = True
                if all(p in ("*", "") or p.startswith("${") for p in parts[3:]):
                    everything = True
        elif "${" in text:
            fits = True  # a GetAtt/Ref ARN: assume the author pointed it at the right service
    return fits, everything


# Actions whose resources live under another service's ARN namespace.
_ARN_SERVICE_ALIASES = {("codestar-connections", "codeconnections"), ("codeconnections", "codestar-connections"),
                        ("elasticloadbalancing", "elasticloadbalancing"), ("application-autoscaling", "autoscaling")}


def _evaluate(statements, action: str, region: str, needs_star: bool = False) -> tuple[str, str]:
    """needs_star: the action has no resource-level permissions, so IAM matches
    the request against Resource "*" and only an Allow on "*" grants it."""
    allowed, conditional, scoped_only = None, None, None
    for name, st in statements:
        if not _action_matches(st, action):
            continue
        effect = st.get("Effect")
        fits, everything = _resource_fits(st, action)
        if not fits:
            continue
        if needs_star and effect == "Allow" and not _star_resource(st):
            scoped_only = scoped_only or f"{name}/{st.get('Sid') or '(no Sid)'}"
            continue
        holds = _condition_holds(st.get("Condition"), region)
        sid = st.get("Sid") or "(no Sid)"
        if effect == "Deny" and everything and holds is True:
            return "denied", f"denied by {name}/{sid}"
        if effect == "Allow":
            if holds is True and allowed is None:
                allowed = f"{name}/{sid}"
            elif holds is None and conditional is None:
                conditional = f"{name}/{sid}"
    if allowed:
        return "allowed", allowed
    if conditional:
        return "conditional", conditional
    if scoped_only:
        return "missing", f"allowed by {scoped_only} only on named resources; it has no resource-level permissions"
    return "missing", "no Allow statement matches"


def _star_resource(st: dict) -> bool:
    return "NotResource" in st or any(str(r) == "*" for r in as_list(st.get("Resource", [])))


def handler_permissions(region: str, rtype: str) -> tuple[list | None, str]:
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER
    try:
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(region, rtype).schema
    except Exception:  # noqa: BLE001 - cfn-lint raises its own not-found types
        return None, "no registry schema in cfn-lint"
    handlers = schema.get("handlers") or {}
    if not handlers:
        return None, "its registry schema has no handlers (not a registry resource type)"
    actions = set()
    for h in ("create", "read", "update", "delete"):
        actions.update((handlers.get(h) or {}).get("permissions") or [])
    return sorted(a for a in actions if IAM_ACTION.fullmatch(a)), \
        ", ".join(repr(a) for a in sorted(actions) if not IAM_ACTION.fullmatch(a))


_IAM_TABLE: dict | None = None


def iam_action_table() -> dict:
    """cfn-lint's table of IAM actions per service (AdditionalSpecs/Policies.json,
    from the Service Authorization Reference): which actions exist, and which
    have resource-level permissions (non-empty "Resources")."""
    global _IAM_TABLE
    if _IAM_TABLE is None:
        import cfnlint
        path = Path(cfnlint.__file__).parent / "data" / "AdditionalSpecs" / "Policies.json"
        try:
            _IAM_TABLE = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(f"{path}: cfn-lint's IAM action table is not readable: {exc}") from exc
    return _IAM_TABLE


def iam_action_kind(action: str) -> str:
    """scoped (resource-level permissions exist), unscoped (only Resource "*"
    works) or unknown (IAM does not know it: no policy can grant it, and cfn-lint
    W3037 refuses it). A wildcard is unscoped when none of its actions is scoped."""
    service, _, name = action.partition(":")
    actions = (iam_action_table().get(service.lower()) or {}).get("Actions") or {}
    if "*" in name or "?" in name:
        matched = [v for k, v in actions.items() if fnmatch.fnmatchcase(k, name.lower())]
        if not matched:
            return "unknown"
        return "scoped" if any(v.get("Resources") for v in matched) else "unscoped"
    entry = actions.get(name.lower())
    if entry is None:
        return "unknown"
    return "scoped" if entry.get("Resources") else "unscoped"


# An IAM action name (wildcards allowed). A schema entry that is not one, such
# as "s3:REST.PUT.OBJECT" in AWS::Logs::LogGroup, cannot be granted by any
# policy statement: it is a data error of the schema and is skipped, with a note.
IAM_ACTION = re.compile(r"[A-Za-z0-9-]+:[A-Za-z0-9*?]+")


def _find_role(model: Model, d: Deployment) -> tuple[Deployment | None, str | None, str]:
    role = d.role or {}
    if "logical_id" in role:
        owner = next((x for x in model.deployments if x.stack == role.get("stack")), None)
        if owner and role["logical_id"] in Template.load(owner.template).resources:
            return owner, role["logical_id"], ""
        return None, None, f"role {role['logical_id']} of stack {role.get('stack')} is in no modelled template"
    arn = str(role.get("arn", ""))
    m = re.match(r"arn:[^:]*:iam::([^:]*):role/(?:.*/)?([^/]+)$", arn)
    if not m:
        return None, None, f"execution role {arn!r} is not a role ARN this check can follow"
    account, name = m.groups()
    for x in model.first_deploys():
        t = Template.load(x.template)
        r = model.resolver(x)
        for lid, res in t.resources.items():
            if isinstance(res, dict) and res.get("Type") == "AWS::IAM::Role":
                rn = r.value((res.get("Properties") or {}).get("RoleName"))
                if isinstance(rn, str) and rn == name and (x.account == account or not re.fullmatch(r"\d{12}", account)
                                                            or x.account == PIPELINE_ACCOUNT and "$" in account):
                    return x, lid, ""
    return None, None, f"execution role {arn} is created by no modelled stack"


def check_handler_permissions(model: Model, report: Report) -> None:
    fig = report.figures["DEP-02"]
    roles_checked, actions_checked, types_checked = set(), 0, set()
    unmodelled = set()
    caller = 0
    missing_actions = 0
    not_in_iam = 0
    # role key -> {resource type -> [deployments]}
    work: dict = {}
    for d in model.deployments:
        if not d.role:
            caller += 1
            continue
        if "policy_documents" in d.role:
            key = ("", d.role.get("name") or "execution role", tuple(d.role["policy_documents"]))
            per = work.setdefault(key, {"role": d.role, "types": {}, "tokens": {}})
        else:
            owner, lid, problem = _find_role(model, d)
            if owner is None:
                report.add("DEP-02", str(d.template), f"{d.via} (stack {d.stack}) deploys with {problem}")
                continue
            key = (owner.stack, lid, ())
            per = work.setdefault(key, {"owner": owner, "lid": lid, "types": {}, "tokens": {}})
        t = Template.load(d.template)
        r = model.resolver(d)
        for rid, res in t.resources.items():
            if not isinstance(res, dict) or r.resource_included(rid) is False:
                continue
            rtype = str(res.get("Type"))
            per["types"].setdefault(rtype, []).append(f"{d.template.name}:{rid}")
            if is_custom_resource(rtype):
                per["tokens"].setdefault(rtype, set()).add(
                    service_token_kind((res.get("Properties") or {}).get("ServiceToken"), t, r))
    for (stack, lid, _docs), per in sorted(work.items()):
        if "role" in per:
            policies = DocumentRole(model, per["role"])
            where = policies.where()
            lid, stack = policies.name, "bootstrap"
            label = f"execution role {lid} (its {len(policies.files)} policy document(s))"
        else:
            policies = RolePolicies(model, per["owner"], lid)
            where = policies.template.where(lid)
            label = f"execution role {lid} (stack {stack})"
        roles_checked.add((stack, lid))
        for note in policies.unresolved:
            report.notes.append(f"DEP-02 {where}: role {lid}: cannot read {note}; its permissions are not counted")
        for rtype, users in sorted(per["types"].items()):
            if is_custom_resource(rtype):
                actions, why = custom_resource_permissions(per["tokens"].get(rtype, set())), ""
                if not actions:
                    unmodelled.add(rtype)
                    report.notes.append(f"DEP-02 {rtype}: its ServiceToken is neither a Lambda function nor an "
                                        f"SNS topic this check can read; not checked ({users[0]})")
                    continue
            else:
                actions, why = handler_permissions(model.region, rtype)
                if actions is None and rtype in NON_REGISTRY_ACTIONS:
                    actions, source = NON_REGISTRY_ACTIONS[rtype]
                    report.notes.append(f"DEP-02 {rtype}: not a registry resource type; its API calls are "
                                        f"taken from {source}")
                    why = ""
            if actions is None:
                unmodelled.add(rtype)
                report.notes.append(f"DEP-02 {rtype}: {why}; not checked ({users[0]})")
                continue
            if why:
                report.notes.append(f"DEP-02 {rtype}: its schema lists {why}, not an IAM action name; skipped")
            types_checked.add(rtype)
            lacking = []
            unknown = [a for a in actions if iam_action_kind(a) == "unknown"]
            if unknown:
                not_in_iam += len(unknown)
                report.notes.append(f"DEP-02 {rtype}: its schema lists {', '.join(unknown)}, unknown to the IAM "
                                    f"action table of cfn-lint {cfn_lint_version()}: no policy can grant them; skipped")
            for action in actions:
                if action in unknown:
                    continue
                actions_checked += 1
                verdict, detail = policies.decide(action, needs_star=iam_action_kind(action) == "unscoped")
                if verdict == "denied" or detail.startswith("allowed by"):
                    lacking.append(f"{action} ({detail})")
                elif verdict == "missing":
                    lacking.append(action)
            if lacking:
                missing_actions += len(lacking)
                report.add("DEP-02", where,
                           f"{label} is not allowed {len(lacking)} of the "
                           f"{len(actions)} handler actions of {rtype} (deployed as {users[0]}"
                           f"{f' and {len(users) - 1} more' if len(users) > 1 else ''}): {', '.join(lacking)}")
    fig["roles"] = len(roles_checked)
    fig["resource_types"] = len(types_checked)
    fig["actions_checked"] = actions_checked
    fig["actions_missing"] = missing_actions
    fig["actions_unknown_to_iam"] = not_in_iam
    fig["types_without_handlers"] = sorted(unmodelled)
    fig["deployments_with_caller_credentials"] = caller


# Resource types CloudFormation still handles outside the registry (their
# schema has no handlers): the API calls their create/read/update/delete make,
# from the service's documented API-to-permission table.
NON_REGISTRY_ACTIONS = {
    "AWS::CodeBuild::Project": (
        ["codebuild:BatchGetProjects", "codebuild:CreateProject", "codebuild:DeleteProject",
         "codebuild:UpdateProject"],
        "https://docs.aws.amazon.com/codebuild/latest/userguide/auth-and-access-control-permissions-reference.html"),
}


def is_custom_resource(rtype: str) -> bool:
    return rtype.startswith("Custom::") or rtype == "AWS::CloudFormation::CustomResource"


def service_token_kind(token, template: Template, resolver: Resolver) -> str:
    """lambda | sns | unknown: what CloudFormation calls for a custom resource."""
    kinds = {"AWS::Lambda::Function": "lambda", "AWS::Lambda::Alias": "lambda", "AWS::Lambda::Version": "lambda",
             "AWS::SNS::Topic": "sns"}
    if isinstance(token, dict) and len(token) == 1 and ("Fn::GetAtt" in token or "Ref" in token):
        ref = token.get("Fn::GetAtt", token.get("Ref"))
        target = ref[0] if isinstance(ref, list) and ref else str(ref).split(".")[0]
        res = template.resources.get(target)
        if isinstance(res, dict):
            return kinds.get(str(res.get("Type")), "unknown")
    text = str(resolver.value(token))
    if re.match(r"arn:[^:]*:lambda:", text):
        return "lambda"
    if re.match(r"arn:[^:]*:sns:", text):
        return "sns"
    return "unknown"


def custom_resource_permissions(kinds: set) -> list:
    """CloudFormation invokes a custom resource's provider with the execution
    role's credentials (create, update, delete): lambda:InvokeFunction on the
    ServiceToken function, or sns:Publish to the ServiceToken topic."""
    out = []
    if "lambda" in kinds:
        out.append("lambda:InvokeFunction")
    if "sns" in kinds:
        out.append("sns:Publish")
    return out


# --- DEP-03 ---------------------------------------------------------------

POLICY_PROPS = {"AWS::IAM::Role": ("AssumeRolePolicyDocument", "trust"),
                "AWS::KMS::Key": ("KeyPolicy", "kms-key"),
                "AWS::S3::BucketPolicy": ("PolicyDocument", "s3-bucket"),
                "AWS::SNS::TopicPolicy": ("PolicyDocument", "sns-topic"),
                "AWS::SQS::QueuePolicy": ("PolicyDocument", "sqs-queue"),
                "AWS::SecretsManager::ResourcePolicy": ("ResourcePolicy", "secret"),
                "AWS::ECR::Repository": ("RepositoryPolicyText", "ecr-repository")}

IAM_PRINCIPAL = re.compile(r"^arn:[^:]*:iam::([^:]*):(role|user)/(?:.*/)?([^/]+)$")


def _principal_values(st: dict, kind: str) -> list:
    p = st.get("Principal")
    if isinstance(p, dict):
        return [v for v in as_list(p.get(kind, [])) if v is not None]
    return []


def _names_created(model: Model, d: Deployment) -> set:
    """(account, kind, name) of the roles and users a deployment creates."""
    out = set()
    t = Template.load(d.template)
    r = model.resolver(d)
    for lid, res in t.resources.items():
        if not isinstance(res, dict) or r.resource_included(lid) is False:
            continue
        prop = {"AWS::IAM::Role": ("role", "RoleName"), "AWS::IAM::User": ("user", "UserName")}.get(res.get("Type"))
        if prop:
            name = r.value((res.get("Properties") or {}).get(prop[1]))
            for alt in branches(name):
                if isinstance(alt, str):
                    out.add((d.account, prop[0], alt))
    return out


def _same_account(arn_account: str, d: Deployment) -> bool:
    if arn_account in ("${AWS::AccountId}", d.account):
        return True
    return False


def check_deploy_order(model: Model, report: Report) -> None:
    fig = report.figures["DEP-03"]
    created: set = set()
    principals = 0
    policies = 0
    stacks = model.first_deploys()
    later = {}
    for d in stacks:
        for item in _names_created(model, d):
            later.setdefault(item, d.stack)
    for d in stacks:
        t = Template.load(d.template)
        r = model.resolver(d)
        mine = _names_created(model, d)
        for lid, res in t.resources.items():
            if not isinstance(res, dict) or res.get("Type") not in POLICY_PROPS:
                continue
            if r.resource_included(lid) is False:
                continue
            prop, _ctx = POLICY_PROPS[res["Type"]]
            doc = r.value((res.get("Properties") or {}).get(prop))
            sts = list(_statements(doc))
            if not sts:
                continue
            policies += 1
            for st in sts:
                for value in _principal_values(st, "AWS"):
                    principals += 1
                    text = str(value)
                    m = IAM_PRINCIPAL.match(text)
                    if not m:
                        continue  # account id, root, GetAtt of a role in this stack, ...
                    account, kind, name = m.groups()
                    if re.fullmatch(r"\$\{[A-Za-z0-9]+\.Arn\}", text):
                        continue
                    if "/aws-service-role/" in text:
                        # AWS creates service-linked roles, not a stack: a prerequisite
                        # that `make preflight` must confirm before the first deploy.
                        report.notes.append(f"DEP-03 {t.where(lid)}: {lid} (stack {d.stack}) needs the "
                                            f"service-linked role {text} to exist before it is created")
                        continue
                    same = _same_account(account, d)
                    acct = d.account if same else account
                    key = (acct, kind, name)
                    if same and key in created:
                        continue
                    if same and key in mine:
                        reason = "is created by this same stack: name it with !GetAtt so the role exists first"
                    elif not same:
                        reason = (f"lives in another account ({account}); IAM refuses a principal that does not exist"
                                  " yet and pins the unique id of one that does")
                    elif key in later:
                        reason = f"is created later, by stack {later[key]}"
                    else:
                        reason = "is created by no earlier stack of this project"
                    report.add("DEP-03", t.where(lid),
                               f"{res['Type']} {lid} (stack {d.stack}) names principal {text}: that {kind} {reason}; "
                               "use the account root with an aws:PrincipalArn condition")
        created |= mine
    fig["stacks"] = len(stacks)
    fig["policies"] = policies
    fig["principals"] = principals


# --- DEP-04 ---------------------------------------------------------------

_NAME_PROPS: dict = {}


def name_properties(region: str, rtype: str) -> list:
    """Writable properties that fix a resource's physical name, from its schema:
    writable primary-identifier properties, else a create-only `Name` or
    `<Type>Name`."""
    if rtype in _NAME_PROPS:
        return _NAME_PROPS[rtype]
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER
    try:
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(region, rtype).schema
    except Exception:  # noqa: BLE001
        _NAME_PROPS[rtype] = []
        return []
    def names(key):
        return [p.rsplit("/", 1)[-1] for p in schema.get(key) or [] if p.startswith("/properties/") and p.count("/") == 2]
    read_only = set(names("readOnlyProperties"))
    create_only = set(names("createOnlyProperties"))
    primary = [p for p in names("primaryIdentifier") if p not in read_only]
    suffix = rtype.rsplit("::", 1)[-1]
    extra = [p for p in ("Name", f"{suffix}Name") if p in create_only and p not in primary]
    _NAME_PROPS[rtype] = primary or extra
    return _NAME_PROPS[rtype]


def _mentions_stack_id(node) -> bool:
    if isinstance(node, dict):
        if node.get("Ref") == "AWS::StackId":
            return True
        return any(_mentions_stack_id(v) for v in node.values())
    if isinstance(node, list):
        return any(_mentions_stack_id(v) for v in node)
    return isinstance(node, str) and "${AWS::StackId}" in node


def check_recreatable(model: Model, report: Report) -> None:
    fig = report.figures["DEP-04"]
    checked_envs, resources, retained = set(), 0, 0
    for d in model.deployments:
        if not d.ephemeral:
            continue
        checked_envs.add(d.env)
        t = Template.load(d.template)
        r = model.resolver(d)
        for lid, res in t.resources.items():
            if not isinstance(res, dict) or r.resource_included(lid) is False:
                continue
            resources += 1
            policy = branches(r.value(res.get("DeletionPolicy", "Delete")))
            if not any(str(p) in ("Retain", "RetainExceptOnCreate") for p in policy):
                continue
            retained += 1
            props = r.value(res.get("Properties") or {})
            for prop in name_properties(model.region, str(res.get("Type"))):
                if prop not in props:
                    continue
                value = props[prop]
                raw = (res.get("Properties") or {}).get(prop)
                if _mentions_stack_id(raw):
                    continue  # unique per stack instance: a re-created stack gets a new name
                report.add("DEP-04", t.where(lid),
                           f"{res['Type']} {lid} in ephemeral environment {d.env} (stack {d.stack}) has "
                           f"DeletionPolicy {'/'.join(map(str, policy))} and the fixed name {prop}={value}: "
                           "`make destroy` leaves it behind and the next deploy fails with \"already exists\"")
    fig["ephemeral_envs"] = len(checked_envs)
    fig["resources"] = resources
    fig["retained"] = retained


# --- DEP-05 ---------------------------------------------------------------

CONTEXTS = {"trust", "kms-key", "sns-topic", "s3-bucket"}


def load_condition_table(path: Path = CONDITION_KEYS_FILE) -> list:
    data = load_yaml_asset(path)
    rows = data.get("rows") if isinstance(data, dict) else None
    if not isinstance(rows, list) or not rows:
        raise InputError(f"{path}: a top-level 'rows' list is required")
    for i, row in enumerate(rows):
        where = f"{path}: rows[{i}]"
        if not isinstance(row, dict):
            raise InputError(f"{where}: must be a mapping")
        for key in ("principal", "context", "source", "checked"):
            if not row.get(key):
                raise InputError(f"{where}.{key}: required (principal, context, sends, source URL, checked date)")
        if row["context"] not in CONTEXTS:
            raise InputError(f"{where}.context: {row['context']!r} is not one of {', '.join(sorted(CONTEXTS))}")
        if not str(row["source"]).startswith("https://"):
            raise InputError(f"{where}.source: must be the https:// address of the page that documents the row")
        if not isinstance(row.get("sends"), list):
            raise InputError(f"{where}.sends: a list of condition keys is required ([] when the service sends none)")
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(row["checked"])):
            raise InputError(f"{where}.checked: a date YYYY-MM-DD is required, got {row['checked']!r}")
        if not isinstance(row.get("verified", False), bool):
            raise InputError(f"{where}.verified: true or false (was the source text read on the checked date?)")
    return rows


def _condition_keys(cond) -> list:
    keys = []
    for cond_alt in branches(cond):
        if isinstance(cond_alt, dict):
            for pairs in cond_alt.values():
                for pair_alt in branches(pairs):
                    if isinstance(pair_alt, dict):
                        keys.extend(str(k) for k in pair_alt)
    return keys


def _key_sent(key: str, sends: list) -> bool:
    k = key.lower()
    return any(k == s.lower() or (s.endswith("*") and k.startswith(s[:-1].lower())) for s in map(str, sends))


def check_condition_keys(model: Model, report: Report, table: list) -> None:
    fig = report.figures["DEP-05"]
    statements, principals_checked, seen = 0, 0, set()
    used_rows = set()
    for d in model.first_deploys():
        t = Template.load(d.template)
        if d.template.resolve() in seen:
            continue
        seen.add(d.template.resolve())
        r = model.resolver(d)
        for lid, res in t.resources.items():
            if not isinstance(res, dict) or res.get("Type") not in POLICY_PROPS:
                continue
            prop, ctx = POLICY_PROPS[res["Type"]]
            if ctx not in CONTEXTS:
                continue
            doc = r.value((res.get("Properties") or {}).get(prop))
            for st in _statements(doc):
                keys = _condition_keys(st.get("Condition"))
                services = [str(s) for s in _principal_values(st, "Service")]
                if not services:
                    continue
                statements += 1
                sid = st.get("Sid") or "(no Sid)"
                for svc in services:
                    principals_checked += 1
                    if not keys:
                        continue
                    rows = [row for row in table if row["context"] == ctx and _matches(row["principal"], svc)]
                    if not rows:
                        report.add("DEP-05", t.where(lid),
                                   f"{res['Type']} {lid} statement {sid}: principal {svc} in a {ctx} policy has "
                                   f"condition keys {', '.join(keys)} but assets/condition_keys.yaml has no row for "
                                   f"{svc} / {ctx}: add one with the page that documents the keys it sends")
                        continue
                    row = rows[0]
                    used_rows.add((row["principal"], row["context"], bool(row.get("verified"))))
                    for key in keys:
                        if not _key_sent(key, row["sends"]):
                            sends = ", ".join(row["sends"]) or "no condition key"
                            caveat = "" if row.get("verified") else "; the table row is not yet re-read against it"
                            report.add("DEP-05", t.where(lid),
                                       f"{res['Type']} {lid} statement {sid}: {svc} sends {sends} in a {ctx} "
                                       f"policy, not {key}; the statement never matches ({row['source']}{caveat})")
    fig["statements"] = statements
    fig["principals"] = principals_checked
    fig["table_rows"] = len(table)
    fig["table_rows_used"] = len(used_rows)
    fig["table_rows_used_unverified"] = sum(1 for *_, verified in used_rows if not verified)


# --------------------------------------------------------------------------


def cfn_lint_version() -> str:
    try:
        from importlib.metadata import version
        return version("cfn-lint")
    except Exception:  # noqa: BLE001
        return "unknown"


def pinned_cfn_lint() -> str | None:
    """The cfn-lint version scripts/requirements-checkers.txt pins (the schema data's version)."""
    try:
        text = (REPO / "scripts" / "requirements-checkers.txt").read_text()
    except OSError:
        return None
    m = re.search(r"^cfn-lint==(\S+)", text, flags=re.M)
    return m.group(1) if m else None


def run_checks(model: Model, only: set | None = None, table_path: Path = CONDITION_KEYS_FILE) -> Report:
    report = Report(notes=list(model.notes))
    pinned, installed = pinned_cfn_lint(), cfn_lint_version()
    if pinned and installed != pinned:
        report.notes.append(f"DEP-02 handler lists come from cfn-lint {installed}, but "
                            f"scripts/requirements-checkers.txt pins {pinned}: results may differ from CI")
    quotas = load_yaml_asset(QUOTAS_FILE)
    table = load_condition_table(table_path)
    steps = {"DEP-01": lambda: check_size(model, report, quotas),
             "DEP-02": lambda: check_handler_permissions(model, report),
             "DEP-03": lambda: check_deploy_order(model, report),
             "DEP-04": lambda: check_recreatable(model, report),
             "DEP-05": lambda: check_condition_keys(model, report, table)}
    for check in CHECKS:
        if only and check not in only:
            continue
        steps[check]()
        report.figures[check]["findings"] = report.count(check)
    return report


def summary_line(check: str, fig: dict) -> str:
    parts = [f"{k}={v}" for k, v in fig.items() if not isinstance(v, (list, dict))]
    return f"{check}: " + " ".join(parts)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    sub = ap.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("project", help="a generated stackwright project directory")
    p.add_argument("dir", type=Path)
    m = sub.add_parser("model", help="an explicit deploy model (JSON)", description=model_from_json.__doc__)
    m.add_argument("file", type=Path)
    c = sub.add_parser("cdk", help="CDK output (cdk.out with *.template.json)")
    c.add_argument("dir", type=Path)
    c.add_argument("--region", required=True, help="the region the stacks deploy to")
    c.add_argument("--account", default=PIPELINE_ACCOUNT, help="account of environment-agnostic stacks")
    c.add_argument("--ephemeral", action="append", default=[], metavar="STAGE",
                   help="a stage (nested assembly display name, e.g. Dev) that is destroyed and re-created "
                        "(DEP-04 applies); repeatable")
    c.add_argument("--execution-policy", action="append", default=[], metavar="FILE", type=Path,
                   help="a managed policy document (JSON) of the bootstrap's CloudFormation execution role "
                        "(cdk bootstrap --cloudformation-execution-policies); repeatable; DEP-02 checks "
                        "every stack against their union")
    c.add_argument("--stage-path", choices=("s3", "codepipeline"), default="s3",
                   help="how stage stacks are deployed: cdk deploy through S3, or CodePipeline "
                        "CloudFormation actions (CDK Pipelines)")
    for parser in (p, m, c):
        parser.add_argument("--only", action="append", choices=CHECKS, help="run only this check (repeatable)")
        parser.add_argument("--json", type=Path, help="write findings and figures as JSON to this file")
        parser.add_argument("--write-model", type=Path, help="write the deploy model used as JSON to this file")
        parser.add_argument("--quiet", action="store_true", help="print only findings and the summary")
    args = ap.parse_args(argv)
    try:
        if args.mode == "project":
            model = model_from_project(args.dir)
        elif args.mode == "model":
            model = model_from_json(args.file)
        else:
            model = model_from_cdk(args.dir, args.region, args.ephemeral, args.account, args.stage_path,
                                   args.execution_policy)
        report = run_checks(model, set(args.only or []))
    except InputError as exc:
        print(f"deploy_checks: {exc}", file=sys.stderr)
        return 2
    if args.write_model:
        args.write_model.write_text(json.dumps(model.to_json(), indent=1, sort_keys=True) + "\n")
    for f in report.findings:
        print(f.line())
    if not args.quiet:
        for n in dict.fromkeys(report.notes):
            print(f"note: {n}")
    print(f"deploy_checks: cfn-lint {cfn_lint_version()} schemas, region {model.region}, "
          f"{len(model.deployments)} deployment(s)")
    for check in CHECKS:
        if not args.only or check in args.only:
            print(summary_line(check, report.figures[check]))
    if args.json:
        args.json.write_text(json.dumps({
            "cfn_lint": cfn_lint_version(), "region": model.region,
            "findings": [f.__dict__ for f in report.findings],
            "figures": report.figures, "notes": list(dict.fromkeys(report.notes))}, indent=1, sort_keys=True, default=str) + "\n")
    print(f"deploy_checks: {len(report.findings)} finding(s)")
    return 1 if report.findings else 0


if __name__ == "__main__":
    sys.exit(main())
