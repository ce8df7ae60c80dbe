"""Read a revision's appspec.yml and install its `files:` and `permissions:` into a sandbox.

Absolute destinations are re-rooted under the instance's sandbox root, so `destination: /opt/app`
becomes `<root>/opt/app`. Files always overwrite (the agent's OVERWRITE behaviour); owners and
groups are not applied (the emulator runs as one user) - modes are.
"""

from __future__ import annotations

import fnmatch
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
    installed = []
    for entry in spec.files:
        source = (archive / str(entry.get("source", "/")).lstrip("/")).resolve()
        if not source.exists():
            raise AppSpecError(f"The specified source {entry.get('source')} does not exist in the revision.")
        destination = _inside(root, str(entry["destination"]))
        if source.is_dir():
            shutil.copytree(source, destination, dirs_exist_ok=True, symlinks=True)
        else:
            destination.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / source.name)
        installed.append(f"{entry.get('source')} -> {entry['destination']}")
    return installed


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
