"""Write one CloudFormation template-configuration file per environment and
stack, build/template-config/<env>/<stack>.json = {"Parameters": {...}}, from
params/<env>.json ({"<stack>": {"Parameters": {...}}}). The pipeline's
CHANGE_SET_REPLACE actions read these files (TemplateConfiguration).

Usage: python3 buildspecs/template_config.py [PROJECT_ROOT] [OUT_DIR]
"""

import json
import sys
from pathlib import Path


def write_configs(root, out):
    written = []
    for params_file in sorted((root / "params").glob("*.json")):
        env = params_file.stem
        if env == "pipeline":
            continue  # the pipeline stack deploys itself outside the pipeline
        stacks = json.loads(params_file.read_text())
        for stack, config in sorted(stacks.items()):
            parameters = config["Parameters"]
            if not all(isinstance(v, str) for v in parameters.values()):
                raise SystemExit(f"{params_file}: {stack} has a non-string parameter value")
            target = out / env / f"{stack}.json"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps({"Parameters": parameters}, indent=2, sort_keys=True) + "\n")
            written.append(target)
    if not written:
        raise SystemExit(f"no params/<env>.json under {root}")
    return written


if __name__ == "__main__":
    root = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else root / "build" / "template-config"
    for path in write_configs(root, out):
        print(path)
