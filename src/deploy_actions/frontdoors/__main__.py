"""Write (or with --check, verify) every generated front-door file; --release also builds and records the wheel."""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from deploy_actions import __version__
from deploy_actions.actions import all_actions
from deploy_actions.frontdoors import package, render

BEGIN = "<!-- BEGIN GENERATED: inputs and outputs -->"
BEGIN_README = "<!-- BEGIN GENERATED: actions -->"
END = "<!-- END GENERATED -->"
# Named in DESIGN.md, listed in the README as planned until their module exists.
PLANNED = ("build-push-ecr", "package-revision", "codedeploy-deploy", "ecs-deploy", "switch-listener",
           "verify-and-notify")


def expected_files(root: Path) -> dict[Path, str]:
    """Every generated file, the GitLab components pinned to the recorded release."""
    wheel = package.released(package.source_root(root))
    if wheel is None:
        raise SystemExit(f"{package.RELEASED} records no wheel: python -m deploy_actions.frontdoors --release")
    return {**content_files(root), **component_files(root, wheel)}


def content_files(root: Path) -> dict[Path, str]:
    """Everything but the GitLab components: among them what goes into the wheel (the lock, the README)."""
    actions = all_actions()
    files: dict[Path, str] = {root / "action.yml": render.root_action(actions.values())}
    for action in actions.values():
        files[root / action.name / "action.yml"] = render.github_action(action)
        doc = root / "docs" / "actions" / f"{action.name}.md"
        files[doc] = _splice(doc, render.docs_tables(action), BEGIN, new=f"# {action.title}\n\n{BEGIN}\n{END}\n")
    readme = root / "README.md"
    files[readme] = _splice(readme, render.readme_table(actions.values(), PLANNED), BEGIN_README)
    files[root / package.LOCK_FILE] = package.locked_requirements(package.source_root(root))
    return files


# templates/ is where GitLab's CI/CD catalog and `include: component:` find components; gitlab-templates/ keeps
# `include: project: ... file: gitlab-templates/<action>.yml` working: the same text in both (docs/decisions/0005).
COMPONENT_DIRS = ("templates", "gitlab-templates")


def component_files(root: Path, wheel: package.Wheel) -> dict[Path, str]:
    return {root / folder / f"{action.name}.yml": render.gitlab_component(action, wheel.requirement)
            for action in all_actions().values() for folder in COMPONENT_DIRS}


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
    parser.add_argument("--rebuild", action="store_true",
                        help="with --check: also build the wheel and fail unless it is the recorded one (at a release)")
    parser.add_argument("--release", action="store_true",
                        help=f"build the wheel into dist/, record its sha256 in {package.RELEASED}, pin the components")
    parser.add_argument("--root", type=Path, default=Path.cwd())
    args = parser.parse_args(argv)
    if args.release:
        return release(args.root)
    drift = sum(_compare(path, text, args.root, check=args.check) for path, text in expected_files(args.root).items())
    if not args.check:
        return 0
    drift += _version_drift(args.root, rebuild=args.rebuild)
    if drift:
        print(f"\n{drift} generated file(s) or record(s) are out of date: run python -m deploy_actions.frontdoors")
        return 1
    return 0


def release(root: Path) -> int:
    """What goes into the wheel first, then the wheel (into dist/), its record, and the components pinned to it."""
    for path, text in content_files(root).items():
        _compare(path, text, root, check=False)
    wheel, filename, data = package.build_wheel(package.source_root(root))
    (root / "dist").mkdir(exist_ok=True)
    (root / "dist" / filename).write_bytes(data)
    package.record(package.source_root(root), wheel)
    for path, text in component_files(root, wheel).items():
        _compare(path, text, root, check=False)
    print(f"built dist/{filename} ({wheel.requirement}): publish that file, as is")
    return 0


def _compare(path: Path, text: str, root: Path, *, check: bool) -> int:
    """1 when the file differed (printed as a diff with check, else written)."""
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    if current == text:
        return 0
    rel = path.relative_to(root)
    if check:
        sys.stdout.writelines(difflib.unified_diff(current.splitlines(True), text.splitlines(True),
                                                   f"{rel} (on disk)", f"{rel} (from the models)"))
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {rel}")
    return 1


def _version_drift(root: Path, *, rebuild: bool) -> int:
    """The recorded wheel is this version's (and with rebuild, this tree's): a version changes by --release."""
    source = package.source_root(root)
    name, version = package.project_version(source)
    wheel = package.released(source)
    problems = []
    if version != __version__:
        problems.append(f"pyproject.toml says version {version}, deploy_actions.__version__ {__version__}")
    if wheel is None or (wheel.name, wheel.version) != (name, version):
        problems.append(f"{package.RELEASED} records {wheel.requirement if wheel else 'nothing'}, not {name} "
                        f"{version}: python -m deploy_actions.frontdoors --release")
    elif rebuild and (built := package.build_wheel(source)[0]) != wheel:
        problems.append(f"this tree builds {built.requirement}, not the recorded wheel: publish nothing; "
                        "python -m deploy_actions.frontdoors --release")
    for problem in problems:
        print(problem)
    return len(problems)


if __name__ == "__main__":
    raise SystemExit(main())
