"""Read a revision's appspec.yml and install its `files:` and `permissions:` into a sandbox.

Absolute destinations are re-rooted under the instance's sandbox root, so `destination: /opt/app`
becomes `<root>/opt/app`. Files always overwrite (the agent's OVERWRITE behaviour); owners and
groups are not applied (the emulator runs as one user) - modes are.

Sources are paths inside the revision, as the agent joins them to its archive directory. The agent
trusts them; the emulator does not, since its instances share the host's file system: a source that
leaves the revision (`../x`, `/../x`), or leads out of it through a symbolic link, and a symbolic link
to be installed that points outside the revision (or, once installed, outside the instance's root),
fail the Install event with a message - checked for every entry before anything is copied, so nothing
outside the bundle is ever read. Links inside the revision are installed as links, as the agent does.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError


class AppSpecError(Exception):
    """The revision's appspec is missing or invalid: the Install event fails with this message."""


@dataclass(frozen=True)
class HookScript:
    location: str
    timeout: int = 3600
    runas: str = "root"


@dataclass
class AppSpec:
    files: list[dict[str, Any]] = field(default_factory=list)
    permissions: list[dict[str, Any]] = field(default_factory=list)
    hooks: dict[str, list[HookScript]] = field(default_factory=dict)


def read_appspec(archive: Path) -> AppSpec:
    path = next((archive / name for name in ("appspec.yml", "appspec.yaml") if (archive / name).is_file()), None)
    if path is None:
        raise AppSpecError("The appspec.yml file was not found at the root of the revision.")
    if not path.resolve().is_relative_to(archive.resolve()):
        raise AppSpecError(f"The deployment failed because {path.name} is a symbolic link to a file outside the "
                           "revision.")
    try:
        data = YAML(typ="safe").load(path.read_text())
    except YAMLError as error:
        raise AppSpecError(f"The appspec.yml file is not valid YAML: {error}") from error
    if not isinstance(data, dict):
        raise AppSpecError("The appspec.yml file must be a mapping.")
    hooks: dict[str, list[HookScript]] = {}
    for event, scripts in (data.get("hooks") or {}).items():
        hooks[str(event)] = [HookScript(str(s["location"]), int(s.get("timeout", 3600)), str(s.get("runas", "root")))
                             for s in (scripts or [])]
    return AppSpec(list(data.get("files") or []), list(data.get("permissions") or []), hooks)


def _inside(root: Path, destination: str) -> Path:
    target = (root / destination.lstrip("/")).resolve()
    if not target.is_relative_to(root.resolve()):
        raise AppSpecError(f"The destination {destination} leaves the instance's root.")
    return target


def install_files(spec: AppSpec, archive: Path, root: Path) -> list[str]:
    """Copy `files:` into the sandbox; returns what was installed, for the Install event's log."""
    planned = [_plan(entry, archive, root) for entry in spec.files]  # every entry checked before any copy
    installed = []
    for (source, destination), entry in zip(planned, spec.files, strict=True):
        if source.is_dir() and not source.is_symlink():
            _copy_tree(source, destination)
        else:
            destination.mkdir(parents=True, exist_ok=True)
            _copy_one(source, destination / source.name)
        installed.append(f"{entry.get('source')} -> {entry['destination']}")
    return installed


def _plan(entry: dict[str, Any], archive: Path, root: Path) -> tuple[Path, Path]:
    """Where an entry's source is in the revision, and where it goes; refused when it leaves either."""
    given = str(entry.get("source", "/"))
    relative = os.path.normpath(given.lstrip("/") or ".")
    if relative == ".." or relative.startswith("../"):
        raise AppSpecError(f"The deployment failed because the files section of the AppSpec file names the "
                           f"source {given}, which is outside the revision: a source is a path inside it.")
    bundle = archive.resolve()
    source = bundle / relative if relative != "." else bundle
    if not source.parent.resolve().is_relative_to(bundle) and source != bundle:
        raise AppSpecError(f"The deployment failed because the source {given} leads outside the revision "
                           "through a symbolic link.")
    if not source.exists() and not source.is_symlink():
        raise AppSpecError(f"The specified source {given} does not exist in the revision.")
    destination = _inside(root, str(entry["destination"]))
    if source.is_symlink():
        _check_link(source, destination / source.name, bundle, root)
    elif source.is_dir():
        for folder, dirs, files in os.walk(source):  # never follows links
            for name in (*dirs, *files):
                path = Path(folder) / name
                if path.is_symlink():
                    _check_link(path, destination / path.relative_to(source), bundle, root)
    return source, destination


def _check_link(link: Path, installed: Path, bundle: Path, root: Path) -> None:
    target = os.readlink(link)
    inside_bundle = (link.parent / target).resolve().is_relative_to(bundle)
    inside_root = Path(os.path.normpath(installed.parent / target)).is_relative_to(root.resolve())
    if os.path.isabs(target) or not inside_bundle or not inside_root:
        raise AppSpecError(f"The deployment failed because the revision's symbolic link {link.relative_to(bundle)} "
                           f"points outside the revision ({target}); the emulator installs no link that leaves "
                           "the revision, as its instances share the host's file system.")


def _copy_one(source: Path, destination: Path) -> None:
    """A file, or a link as a link (the agent's copy: `FileUtils.symlink(File.readlink(source), ...)`)."""
    if destination.is_symlink() or (source.is_symlink() and destination.is_file()):
        destination.unlink()  # overwritten, never written through
    if source.is_symlink():
        os.symlink(os.readlink(source), destination)
    else:
        shutil.copy2(source, destination, follow_symlinks=False)


def _copy_tree(source: Path, destination: Path) -> None:
    destination.mkdir(parents=True, exist_ok=True)
    for folder, dirs, files in os.walk(source):
        here = destination / Path(folder).relative_to(source)
        for name in dirs:
            if (Path(folder) / name).is_symlink():
                _copy_one(Path(folder) / name, here / name)
            else:
                (here / name).mkdir(exist_ok=True)
        for name in files:
            _copy_one(Path(folder) / name, here / name)


def apply_permissions(spec: AppSpec, root: Path) -> None:
    for entry in spec.permissions:
        target = _inside(root, str(entry["object"]))
        mode = entry.get("mode")
        if mode is None or not target.exists():
            continue
        kinds = set(entry.get("type") or ["file", "directory"])
        pattern = str(entry.get("pattern", "**"))
        excluded = [str(e) for e in entry.get("except") or []]
        candidates = [target, *target.rglob("*")] if target.is_dir() else [target]
        for path in candidates:
            kind = "directory" if path.is_dir() else "file"
            if kind not in kinds or path.is_symlink():
                continue
            if pattern != "**" and not fnmatch.fnmatch(path.name, pattern):
                continue
            if any(fnmatch.fnmatch(path.name, e) for e in excluded):
                continue
            path.chmod(int(str(mode), 8))
