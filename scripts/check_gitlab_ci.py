"""Validate GitLab CI files against GitLab's CI JSON schema (check-jsonschema's vendored copy).

Component templates are two YAML documents: the `spec:` header, then the jobs. The header is checked
on its own (input keys, types, options); the jobs are checked the way GitLab would see them with every
input at its default, after interpolating `$[[ inputs.<name> ]]` node by node as GitLab does.
A reference to an undeclared input is an error. Pipelines that include one of this repository's
templates with `inputs:` (`local:`/`file:` by path, `component: <host>/<group>/deploy-actions/<name>@<ref>`
as templates/<name>.yml) must only pass inputs the template declares, with values its options allow.

usage: python scripts/check_gitlab_ci.py FILE...
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[1]
INPUT_KEYS = {"default", "description", "type", "options", "regex"}
INPUT_TYPES = {"string", "number", "boolean", "array"}
REFERENCE = re.compile(r"\$\[\[\s*inputs\.([A-Za-z0-9_-]+)\s*(?:\|[^\]]*)?\]\]")
PLACEHOLDER = {"string": "value", "number": 1, "boolean": True, "array": []}


def load_all(path: Path) -> list[Any]:
    return [doc for doc in YAML(typ="safe").load_all(path.read_text()) if doc is not None]


def spec_inputs(spec_doc: dict[str, Any], where: str, problems: list[str]) -> dict[str, dict[str, Any]]:
    inputs = (spec_doc.get("spec") or {}).get("inputs") or {}
    for name, decl in inputs.items():
        decl = decl or {}
        unknown = set(decl) - INPUT_KEYS
        if unknown:
            problems.append(f"{where}: input '{name}': unknown keys {sorted(unknown)} (allowed: {sorted(INPUT_KEYS)})")
        kind = decl.get("type", "string")
        if kind not in INPUT_TYPES:
            problems.append(f"{where}: input '{name}': type '{kind}' is not one of {sorted(INPUT_TYPES)}")
        if "options" in decl and "default" in decl and decl["default"] not in decl["options"]:
            problems.append(f"{where}: input '{name}': default {decl['default']!r} is not among its options")
    return {name: decl or {} for name, decl in inputs.items()}


def interpolate(node: Any, values: dict[str, Any], where: str, problems: list[str]) -> Any:
    """GitLab interpolates inside parsed YAML: a whole-string reference keeps the input's type."""
    if isinstance(node, dict):
        return {interpolate(k, values, where, problems): interpolate(v, values, where, problems)
                for k, v in node.items()}
    if isinstance(node, list):
        return [interpolate(item, values, where, problems) for item in node]
    if not isinstance(node, str):
        return node
    for name in REFERENCE.findall(node):
        if name not in values:
            problems.append(f"{where}: $[[ inputs.{name} ]] refers to an input the spec does not declare")
    whole = REFERENCE.fullmatch(node.strip())
    if whole and whole.group(1) in values:
        return values[whole.group(1)]
    return REFERENCE.sub(lambda m: str(values.get(m.group(1), "")), node)


def template_inputs(path: Path) -> dict[str, dict[str, Any]] | None:
    docs = load_all(path)
    if len(docs) == 2 and isinstance(docs[0], dict) and "spec" in docs[0]:
        return spec_inputs(docs[0], str(path), [])
    return None


def check_includes(pipeline: dict[str, Any], where: str, problems: list[str]) -> None:
    includes = pipeline.get("include") or []
    for item in includes if isinstance(includes, list) else [includes]:
        if not isinstance(item, dict) or "inputs" not in item:
            continue
        file = item.get("local") or item.get("file")
        component = item.get("component")
        if isinstance(component, str) and "/deploy-actions/" in component:
            # <host>/<group>/deploy-actions/<name>@<ref>: the catalog's templates/<name>.yml (this repository's)
            file = f"templates/{component.rpartition('/')[2].partition('@')[0]}.yml"
        if not isinstance(file, str) or not (ROOT / file.lstrip("/")).is_file():
            continue
        declared = template_inputs(ROOT / file.lstrip("/"))
        if declared is None:
            continue
        for name, value in (item["inputs"] or {}).items():
            if name not in declared:
                problems.append(f"{where}: include {file}: input '{name}' is not declared by the template "
                                f"(declared: {', '.join(declared)})")
            elif "options" in declared[name] and value not in declared[name]["options"] and "$" not in str(value):
                problems.append(f"{where}: include {file}: input '{name}' = {value!r} is not one of "
                                f"{declared[name]['options']}")
        required = [n for n, d in declared.items() if "default" not in d and n not in (item["inputs"] or {})]
        if required:
            problems.append(f"{where}: include {file}: required inputs missing: {', '.join(required)}")


def main(argv: list[str]) -> int:
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="gitlab-ci-schema-") as tmp:
        to_validate: list[str] = []
        for arg in argv:
            path = Path(arg)
            docs = load_all(path)
            if len(docs) == 2 and isinstance(docs[0], dict) and "spec" in docs[0]:
                inputs = spec_inputs(docs[0], arg, problems)
                values = {n: d.get("default", PLACEHOLDER.get(d.get("type", "string"))) for n, d in inputs.items()}
                jobs = interpolate(docs[1], values, arg, problems)
                stem = Path(tmp) / arg.replace("/", "__")
                # As JSON (which is YAML): ruamel's pure safe dumper writes `: > "$F"` as an invalid flow scalar.
                for suffix, doc in ((".spec.json", docs[0]), (".jobs-at-defaults.json", jobs)):
                    with open(f"{stem}{suffix}", "w") as handle:
                        json.dump(doc, handle, indent=1)
                    to_validate.append(f"{stem}{suffix}")
            elif len(docs) == 1 and isinstance(docs[0], dict):
                check_includes(docs[0], arg, problems)
                to_validate.append(arg)
            else:
                problems.append(f"{arg}: expected one pipeline document, or a component's spec and jobs documents")
        if to_validate:
            schema = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.gitlab-ci",
                                     *to_validate], check=False)
            print(flush=True)  # check-jsonschema leaves its last line open
            if schema.returncode != 0:
                problems.append("GitLab CI JSON schema: see above (component files appear as <path>.spec.json and "
                                "<path>.jobs-at-defaults.json)")
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
