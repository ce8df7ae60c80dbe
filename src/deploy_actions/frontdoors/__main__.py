"""Write (or with --check, verify) every generated front-door file."""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from deploy_actions.actions import all_actions
from deploy_actions.frontdoors import render

BEGIN = "<!-- BEGIN GENERATED: inputs and outputs -->"
BEGIN_README = "<!-- BEGIN GENERATED: actions -->"
END = "<!-- END GENERATED -->"
# Named in DESIGN.md, listed in the README as planned until their module exists.
PLANNED = ("build-push-ecr", "package-revision", "codedeploy-deploy", "ecs-deploy", "switch-listener",
           "verify-and-notify")


def expected_files(root: Path) -> dict[Path, str]:
    actions = all_actions()
    files: dict[Path, str] = {root / "action.yml": render.root_action(actions.values())}
    for action in actions.values():
        files[root / action.name / "action.yml"] = render.github_action(action)
        files[root / "gitlab-templates" / f"{action.name}.yml"] = render.gitlab_component(action)
        doc = root / "docs" / "actions" / f"{action.name}.md"
        files[doc] = _splice(doc, render.docs_tables(action), BEGIN, new=f"# {action.title}\n\n{BEGIN}\n{END}\n")
    readme = root / "README.md"
    files[readme] = _splice(readme, render.readme_table(actions.values(), PLANNED), BEGIN_README)
    return files


def _splice(doc: Path, generated: str, begin: str, new: str | None = None) -> str:
    """The file with the text between `begin` and END replaced; `new` when it does not exist yet."""
    if doc.exists():
        current = doc.read_text(encoding="utf-8")
    elif new is not None:
        current = new
    else:
        raise ValueError(f"{doc} is missing")
    head, found, rest = current.partition(begin)
    _, ended, tail = rest.partition(END)
    if not (found and ended):
        raise ValueError(f"{doc}: the generated part must sit between {begin} and {END}")
    return f"{head}{begin}\n{generated}{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy_actions.frontdoors")
    parser.add_argument("--check", action="store_true", help="fail when a generated file is out of date")
    parser.add_argument("--root", type=Path, default=Path.cwd())
    args = parser.parse_args(argv)
    drift = 0
    for path, text in expected_files(args.root).items():
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current == text:
            continue
        if args.check:
            drift += 1
            rel = path.relative_to(args.root)
            sys.stdout.writelines(difflib.unified_diff(current.splitlines(True), text.splitlines(True),
                                                       f"{rel} (on disk)", f"{rel} (from the models)"))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(args.root)}")
    if drift:
        print(f"\n{drift} generated file(s) are out of date: run python -m deploy_actions.frontdoors")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
