"""Write (or with --check, verify) every generated front-door file."""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from deploy_actions.actions import all_actions
from deploy_actions.frontdoors import render

BEGIN = "<!-- BEGIN GENERATED: inputs and outputs -->"
END = "<!-- END GENERATED -->"


def expected_files(root: Path) -> dict[Path, str]:
    actions = all_actions()
    files: dict[Path, str] = {root / "action.yml": render.root_action(actions.values())}
    for action in actions.values():
        files[root / action.name / "action.yml"] = render.github_action(action)
        files[root / "gitlab-templates" / f"{action.name}.yml"] = render.gitlab_component(action)
        doc = root / "docs" / "actions" / f"{action.name}.md"
        files[doc] = _splice(doc, action.title, render.docs_tables(action))
    return files


def _splice(doc: Path, title: str, tables: str) -> str:
    current = doc.read_text(encoding="utf-8") if doc.exists() else f"# {title}\n\n{BEGIN}\n{END}\n"
    head, _, rest = current.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{tables}{END}{tail}"


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
