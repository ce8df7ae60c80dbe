"""Validate an EC2/on-premises appspec.yml before it is packaged, reporting the appspec line."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from deploy_actions.core.errors import FileConfigurationError, Finding

# The order CodeDeploy runs scriptable events in; the others (DownloadBundle, Install,
# BlockTraffic, AllowTraffic) are run by the agent itself.
HOOK_ORDER = (
    "BeforeBlockTraffic", "AfterBlockTraffic", "ApplicationStop", "BeforeInstall", "AfterInstall",
    "ApplicationStart", "ValidateService", "BeforeAllowTraffic", "AfterAllowTraffic",
)
RESERVED_EVENTS = ("Start", "DownloadBundle", "Install", "BlockTraffic", "AllowTraffic", "End")
TOP_LEVEL_KEYS = ("version", "os", "files", "permissions", "hooks", "file_exists_behavior")
FILE_KEYS = ("source", "destination", "overwrite")
PERMISSION_KEYS = ("object", "pattern", "except", "owner", "group", "mode", "acls", "context", "type")
SCRIPT_KEYS = ("location", "timeout", "runas")
WINDOWS_SCRIPTS = (".bat", ".cmd", ".ps1", ".exe")  # what the agent runs on Windows Server
MAX_EVENT_TIMEOUT = 3600
_USER = re.compile(r"^[a-z_][a-z0-9_-]*\$?$")
_MODE = re.compile(r"^[0-7]{3,4}$")


@dataclass(frozen=True)
class HookScript:
    event: str
    location: str
    timeout: int | None
    runas: str | None
    line: int


@dataclass
class Appspec:
    os: str
    hooks: list[HookScript] = field(default_factory=list)
    file_sources: list[str] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)


def parse_appspec(text: str, path: str, bundle_has: Callable[[str], bool],
                  is_executable: Callable[[str], bool]) -> Appspec:
    """Parse and validate; raise FileConfigurationError with every problem found, each located."""
    checker = _Checker(path)
    document = checker.load(text)
    spec = checker.check(document, bundle_has, is_executable)
    if checker.problems:
        raise FileConfigurationError(f"{path} is not a valid appspec", checker.problems)
    return spec


def suggest(word: str, choices: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in choices}
        if word.lower() in lowered:
            close = [lowered[word.lower()]]
    return f"; did you mean '{close[0]}'?" if close else f"; expected one of: {', '.join(choices)}"


class _Checker:
    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Finding] = []
        self.warnings: list[Finding] = []

    def fail(self, message: str, line: int | None) -> None:
        self.problems.append(Finding(message, self.path, line))

    def warn(self, message: str, line: int | None) -> None:
        self.warnings.append(Finding(message, self.path, line, severity="warning"))

    def load(self, text: str) -> Any:
        yaml = YAML(typ="rt")
        try:
            return yaml.load(text)
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark is not None else None
            problem = exc.problem or exc.context or "malformed YAML"
            raise FileConfigurationError(f"{self.path} is not valid YAML",
                                         [Finding(f"malformed YAML: {problem}", self.path, line)]) from None
        except YAMLError as exc:
            raise FileConfigurationError(f"{self.path} is not valid YAML",
                                         [Finding(f"malformed YAML: {exc}", self.path, None)]) from None

    def check(self, doc: Any, bundle_has: Callable[[str], bool],
              is_executable: Callable[[str], bool]) -> Appspec:
        if not isinstance(doc, CommentedMap):
            self.fail("the appspec must be a mapping with version, os, files and hooks", 1)
            return Appspec(os="linux")
        if "resources" in doc or "Resources" in doc:
            self.fail("'resources' belongs to ECS/Lambda appspecs; package-revision builds EC2/on-premises "
                      "revisions (ecs-deploy generates ECS appspecs)", _key_line(doc, "resources", "Resources"))
        self._unknown_keys(doc, TOP_LEVEL_KEYS, "top-level key")
        self._version(doc)
        os_name = self._os(doc)
        spec = Appspec(os=os_name)
        spec.file_sources = self._files(doc, bundle_has, os_name)
        self._permissions(doc)
        self._file_exists_behavior(doc)
        spec.hooks = self._hooks(doc, os_name, bundle_has, is_executable)
        spec.warnings = self.warnings
        return spec

    def _unknown_keys(self, mapping: CommentedMap, allowed: tuple[str, ...], what: str) -> None:
        for key in mapping:
            if key not in allowed:
                self.fail(f"unknown {what} '{key}'{suggest(str(key), allowed)}", _key_line(mapping, key))

    def _version(self, doc: CommentedMap) -> None:
        if "version" not in doc:
            self.fail("'version' is required and must be 0.0", _line(doc))
            return
        if str(doc["version"]) not in ("0.0", "0"):
            self.fail(f"'version' must be 0.0 (got {doc['version']!r})", _key_line(doc, "version"))

    def _os(self, doc: CommentedMap) -> str:
        value = doc.get("os")
        if value is None:
            self.fail("'os' is required: linux or windows", _line(doc))
            return "linux"
        if value not in ("linux", "windows"):
            self.fail(f"'os' must be linux or windows (got {value!r}){suggest(str(value), ('linux', 'windows'))}",
                      _key_line(doc, "os"))
            return "linux"
        return str(value)

    def _files(self, doc: CommentedMap, bundle_has: Callable[[str], bool], os_name: str) -> list[str]:
        entries = doc.get("files")
        if entries is None:
            return []
        if not isinstance(entries, CommentedSeq):
            self.fail("'files' must be a list of {source, destination}", _key_line(doc, "files"))
            return []
        sources = []
        for index, entry in enumerate(entries):
            line = _item_line(entries, index)
            if not isinstance(entry, CommentedMap):
                self.fail("each 'files' entry must be a mapping with source and destination", line)
                continue
            self._unknown_keys(entry, FILE_KEYS, "key in files entry")
            source, destination = entry.get("source"), entry.get("destination")
            if source is None or destination is None:
                self.fail("a 'files' entry needs both source and destination", line)
                continue
            source_path = str(source).lstrip("/") or "/"
            if ".." in PurePosixPath(source_path.replace("\\", "/")).parts:
                self.fail(f"files source '{source}' leaves the bundle ('..'); sources are paths inside the revision",
                          _key_line(entry, "source"))
            elif source_path != "/" and not bundle_has(source_path):
                self.fail(f"files source '{source}' is not in the bundle (check include/exclude)",
                          _key_line(entry, "source"))
            self._destination(str(destination), os_name, _key_line(entry, "destination"))
            sources.append(source_path)
        return sources

    def _destination(self, destination: str, os_name: str, line: int | None) -> None:
        windows = re.match(r"^[A-Za-z]:[\\/]", destination)
        if os_name == "windows" and not windows:
            self.fail(f"files destination '{destination}' must be a Windows path such as C:\\app (os: windows)", line)
        elif os_name == "linux" and not destination.startswith("/"):
            hint = " (a Windows path: is os meant to be windows?)" if windows else ""
            self.fail(f"files destination '{destination}' must be an absolute path such as /opt/app{hint}", line)

    def _permissions(self, doc: CommentedMap) -> None:
        entries = doc.get("permissions")
        if entries is None:
            return
        if not isinstance(entries, CommentedSeq):
            self.fail("'permissions' must be a list", _key_line(doc, "permissions"))
            return
        for index, entry in enumerate(entries):
            line = _item_line(entries, index)
            if not isinstance(entry, CommentedMap):
                self.fail("each 'permissions' entry must be a mapping with at least 'object'", line)
                continue
            self._unknown_keys(entry, PERMISSION_KEYS, "key in permissions entry")
            if "object" not in entry:
                self.fail("a 'permissions' entry needs 'object' (the path it applies to)", line)
            mode = entry.get("mode")
            if mode is not None and not _MODE.match(str(mode).zfill(3)):
                self.fail(f"permissions mode {mode!r} must be octal digits such as 755 or 0644",
                          _key_line(entry, "mode"))
            for kind in entry.get("type") or []:
                if kind not in ("file", "directory"):
                    self.fail(f"permissions type {kind!r} must be file or directory", _key_line(entry, "type"))

    def _file_exists_behavior(self, doc: CommentedMap) -> None:
        value = doc.get("file_exists_behavior")
        allowed = ("DISALLOW", "OVERWRITE", "RETAIN")
        if value is not None and value not in allowed:
            self.fail(f"file_exists_behavior {value!r} is not valid{suggest(str(value), allowed)}",
                      _key_line(doc, "file_exists_behavior"))

    def _hooks(self, doc: CommentedMap, os_name: str, bundle_has: Callable[[str], bool],
               is_executable: Callable[[str], bool]) -> list[HookScript]:
        hooks = doc.get("hooks")
        if hooks is None:
            return []
        if not isinstance(hooks, CommentedMap):
            self.fail("'hooks' must map lifecycle event names to lists of scripts", _key_line(doc, "hooks"))
            return []
        scripts: list[HookScript] = []
        seen_positions: list[tuple[int, str]] = []
        for event in hooks:
            line = _key_line(hooks, event)
            if event in RESERVED_EVENTS:
                self.fail(f"'{event}' is run by the CodeDeploy agent itself and cannot have scripts; "
                          f"use one of: {', '.join(HOOK_ORDER)}", line)
                continue
            if event not in HOOK_ORDER:
                self.fail(f"unknown lifecycle event '{event}'{suggest(str(event), HOOK_ORDER)}", line)
                continue
            seen_positions.append((HOOK_ORDER.index(event), event))
            scripts.extend(self._event_scripts(hooks, event, os_name, bundle_has, is_executable))
        listed = [e for _, e in seen_positions]
        real = [e for _, e in sorted(seen_positions)]
        if listed != real:
            self.warn("hooks are listed out of order; CodeDeploy runs them as "
                      f"{' → '.join(real)} regardless of the order written", _key_line(doc, "hooks"))
        return scripts

    def _event_scripts(self, hooks: CommentedMap, event: str, os_name: str,
                       bundle_has: Callable[[str], bool], is_executable: Callable[[str], bool]) -> list[HookScript]:
        entries = hooks[event]
        if not isinstance(entries, CommentedSeq):
            self.fail(f"hooks.{event} must be a list of scripts (- location: scripts/x.sh)", _key_line(hooks, event))
            return []
        result = []
        total = 0
        for index, entry in enumerate(entries):
            line = _item_line(entries, index)
            if not isinstance(entry, CommentedMap) or "location" not in entry:
                self.fail(f"each hooks.{event} entry needs 'location'", line)
                continue
            self._unknown_keys(entry, SCRIPT_KEYS, f"key in hooks.{event} entry")
            # Locations are relative to the bundle root; "./x" and "/x" mean the same file.
            location = str(PurePosixPath(str(entry["location"]).lstrip("/")))
            loc_line = _key_line(entry, "location")
            if not bundle_has(location):
                self.fail(f"hook script '{entry['location']}' ({event}) is not in the bundle", loc_line)
            elif os_name == "windows" and not location.lower().endswith(WINDOWS_SCRIPTS):
                self.fail(f"hook script '{entry['location']}' ({event}) cannot run on windows: the agent runs "
                          f"{', '.join(WINDOWS_SCRIPTS)} files there (or set os: linux)", loc_line)
            elif os_name == "linux" and not is_executable(location):
                self.fail(f"hook script '{entry['location']}' ({event}) is not executable; run "
                          f"'chmod +x {location}' and commit the mode (git update-index --chmod=+x)", loc_line)
            timeout = self._timeout(entry, event)
            total += timeout or 0
            runas = self._runas(entry, event, os_name)
            result.append(HookScript(event, location, timeout, runas, loc_line or line or 0))
        if total > MAX_EVENT_TIMEOUT:
            self.fail(f"hooks.{event} timeouts add up to {total}s; CodeDeploy allows at most "
                      f"{MAX_EVENT_TIMEOUT}s per lifecycle event", _key_line(hooks, event))
        return result

    def _timeout(self, entry: CommentedMap, event: str) -> int | None:
        if "timeout" not in entry:
            return None
        value = entry["timeout"]
        line = _key_line(entry, "timeout")
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(f"hooks.{event} timeout {value!r} must be a whole number of seconds", line)
            return None
        if not 1 <= value <= MAX_EVENT_TIMEOUT:
            self.fail(f"hooks.{event} timeout {value} must be between 1 and {MAX_EVENT_TIMEOUT} seconds", line)
            return None
        return value

    def _runas(self, entry: CommentedMap, event: str, os_name: str) -> str | None:
        if "runas" not in entry:
            return None
        value = str(entry["runas"])
        line = _key_line(entry, "runas")
        if os_name == "windows":
            self.fail(f"hooks.{event} runas is not supported on windows", line)
        elif not _USER.match(value):
            self.fail(f"hooks.{event} runas {value!r} is not a valid user name", line)
        return value


def _line(node: Any) -> int | None:
    lc = getattr(node, "lc", None)
    return lc.line + 1 if lc is not None and lc.line is not None else None


def _key_line(mapping: Any, *keys: Any) -> int | None:
    for key in keys:
        try:
            return int(mapping.lc.key(key)[0]) + 1
        except (KeyError, AttributeError, TypeError):
            continue
    return _line(mapping)


def _item_line(seq: Any, index: int) -> int | None:
    try:
        return int(seq.lc.item(index)[0]) + 1
    except (KeyError, AttributeError, TypeError, IndexError):
        return _line(seq)
