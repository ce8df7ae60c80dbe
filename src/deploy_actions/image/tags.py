"""Tags and labels by docker/metadata-action's rules: the same rule lines give the same tags for the same event.

`type=schedule|semver|pep440|match|edge|ref|raw|sha` lines with `enable`, `priority`, `prefix`, `suffix`;
the `flavor` lines `latest=auto|true|false`, `prefix=…[,onlatest=true]`, `suffix=…[,onlatest=true]`.
Rules are applied highest priority first; the first tag made is the version (the `version` output, the
`org.opencontainers.image.version` label and the image output's tag), and whether `latest` is added is
decided by that same first rule under `latest=auto` (a tag push, a non-pre-release semver/pep440, a match).
"""

from __future__ import annotations

import csv
import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from deploy_actions.image.expressions import ExpressionError, Helper, date_helper, render
from deploy_actions.image.versions import parse_pep440, parse_semver

TYPES = ("schedule", "semver", "pep440", "match", "edge", "ref", "raw", "sha")
PRIORITIES = {"schedule": 1000, "semver": 900, "pep440": 900, "match": 800, "edge": 700, "ref": 600, "raw": 200,
              "sha": 100}
DEFAULT_RULES = ("type=schedule", "type=ref,event=branch", "type=ref,event=tag", "type=ref,event=pr", "type=sha")
SHORT_SHA_LENGTH = 7
_COMMON = ("enable", "priority", "prefix", "suffix")
ATTRIBUTES = {"schedule": ("pattern",), "semver": ("pattern", "value", "match"),
              "pep440": ("pattern", "value", "match"), "match": ("pattern", "group", "value"), "edge": ("branch",),
              "ref": ("event",), "raw": ("value",), "sha": ("format",)}
_PATTERN_NAMES = {"semver": ("raw", "version", "major", "minor", "patch", "prerelease", "build"),
                  "pep440": ("raw", "version", "major", "minor", "patch")}
_DEFAULT_BRANCH_EVENTS = re.compile(r"create|discussion|issues|schedule")  # GitHub runs these on the default branch


class RuleError(ValueError):
    """A tag rule, flavor line or label that cannot be read; the message says which and how to fix it."""


@dataclass(frozen=True)
class GitRef:
    """What the rules see of the run: a full ref (refs/heads/…, refs/tags/…, refs/pull/N/merge), the commit,
    the default branch, the event, the pull request's base, the commit time and now."""

    ref: str = ""
    sha: str = ""
    default_branch: str = ""
    event: str = ""
    base_ref: str = ""  # a pull request's target branch; for a tag push, the branch GitHub's event names
    commit_time: datetime | None = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    short_sha_length: int = SHORT_SHA_LENGTH

    @property
    def branch(self) -> str:
        return self.ref.removeprefix("refs/heads/") if self.ref.startswith("refs/heads/") else ""

    @property
    def tag(self) -> str:
        return self.ref.removeprefix("refs/tags/") if self.ref.startswith("refs/tags/") else ""

    @property
    def short_sha(self) -> str:
        return self.sha[: self.short_sha_length]

    @property
    def is_default_branch(self) -> bool:
        branch = self.ref.removeprefix("refs/heads/")
        if not branch:
            return False
        return branch == self.default_branch or bool(_DEFAULT_BRANCH_EVENTS.search(self.event))

    def names(self) -> dict[str, str | Helper]:
        """The global expressions of metadata-action."""
        return {
            "branch": self.branch, "tag": self.tag, "sha": self.short_sha,
            "base_ref": self.base_ref if self.ref.startswith(("refs/pull/", "refs/tags/")) else "",
            "is_default_branch": str(self.is_default_branch).lower(),
            "is_not_default_branch": str(not self.is_default_branch).lower(),
            "date": date_helper(self.now), "commit_date": date_helper(self.commit_time or self.now),
        }


@dataclass
class Rule:
    type: str
    attrs: dict[str, str]
    line: str

    @property
    def priority(self) -> int:
        return int(self.attrs["priority"])


@dataclass(frozen=True)
class Flavor:
    latest: str = "auto"
    prefix: str = ""
    prefix_latest: bool = False
    suffix: str = ""
    suffix_latest: bool = False


def _fields(line: str) -> list[str]:
    try:
        rows = list(csv.reader([line], skipinitialspace=True))
    except csv.Error as exc:
        raise RuleError(f"{line!r}: {exc}") from None
    return [f for f in (rows[0] if rows else []) if f.strip()]


def parse_rule(line: str) -> Rule:
    attrs: dict[str, str] = {}
    kind = "raw"
    for item in _fields(line):
        key, sep, value = item.partition("=")
        if not sep:
            attrs["value"] = key.strip()
            continue
        key, value = key.strip().lower(), value.strip()
        if key == "type":
            if value not in TYPES:
                raise RuleError(f"{line!r}: unknown type {value!r}{_close(value, TYPES)}; one of: {', '.join(TYPES)}")
            kind = value
        else:
            attrs[key] = value
    if unknown := sorted(set(attrs) - {*_COMMON, *ATTRIBUTES[kind]}):
        # metadata-action ignores them; a misspelt enable or prefix would push a tag nobody asked for
        known = (*ATTRIBUTES[kind], *_COMMON)
        raise RuleError(f"{line!r}: unknown attribute {unknown[0]!r}{_close(unknown[0], known)} for type={kind}; "
                        f"known: {', '.join(known)}")
    if kind == "schedule":
        attrs.setdefault("pattern", "nightly")
    elif kind in ("semver", "pep440", "match"):
        if "pattern" not in attrs:
            raise RuleError(f"{line!r}: type={kind} needs a pattern, e.g. pattern={{{{version}}}}")
        attrs.setdefault("value", "")
        attrs.setdefault("match", "")
        if kind in _PATTERN_NAMES:  # read now, not only in a run with a version: a typo fails every run alike
            try:
                render(attrs["pattern"], dict.fromkeys(_PATTERN_NAMES[kind], "0"))
            except ExpressionError as exc:
                raise RuleError(f"{line!r}: {exc}") from None
        if kind == "match":
            attrs.setdefault("group", "0")
            if not attrs["group"].isdigit():
                raise RuleError(f"{line!r}: group must be a number")
    elif kind == "edge":
        attrs.setdefault("branch", "")
    elif kind == "ref":
        if attrs.get("event") not in ("branch", "tag", "pr"):
            raise RuleError(f"{line!r}: type=ref needs event=branch, event=tag or event=pr")
        if attrs["event"] == "pr":
            attrs.setdefault("prefix", "pr-")
    elif kind == "raw":
        if "value" not in attrs:
            raise RuleError(f"{line!r}: type=raw needs a value, e.g. type=raw,value=stable")
    elif kind == "sha":
        attrs.setdefault("prefix", "sha-")
        attrs.setdefault("format", "short")
        if attrs["format"] not in ("short", "long"):
            raise RuleError(f"{line!r}: format must be short or long")
    attrs.setdefault("enable", "true")
    attrs.setdefault("priority", str(PRIORITIES[kind]))
    if not re.fullmatch(r"-?\d+", attrs["priority"]):
        raise RuleError(f"{line!r}: priority must be a whole number (higher comes first)")
    return Rule(kind, attrs, line)


def _close(word: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.7)
    return f" (did you mean {close[0]}?)" if close else ""


def parse_rules(lines: list[str]) -> list[Rule]:
    """The rules, highest priority first (equal priorities keep their order); metadata-action's defaults
    plus type=sha when there are none."""
    rules = [parse_rule(line) for line in (lines or list(DEFAULT_RULES))]
    return sorted(rules, key=lambda rule: -rule.priority)


def parse_flavor(lines: list[str]) -> Flavor:
    values = {"latest": "auto", "prefix": "", "suffix": ""}
    on_latest = {"prefix": False, "suffix": False}
    for line in lines:
        target = ""
        for item in _fields(line):
            key, sep, value = item.partition("=")
            key, value = key.strip().lower(), value.strip()
            if not sep:
                raise RuleError(f"flavor {line!r}: write key=value (latest=auto, prefix=…, suffix=…)")
            if key == "latest":
                if value not in ("auto", "true", "false"):
                    raise RuleError(f"flavor {line!r}: latest must be auto, true or false")
                values["latest"] = value
            elif key in ("prefix", "suffix"):
                values[key] = value
                target = key
            elif key == "onlatest":
                if value not in ("true", "false"):
                    raise RuleError(f"flavor {line!r}: onlatest must be true or false")
                if target:
                    on_latest[target] = value == "true"
            else:
                raise RuleError(f"flavor {line!r}: unknown key {key!r}; known: latest, prefix, suffix, onlatest")
    return Flavor(values["latest"], values["prefix"], on_latest["prefix"], values["suffix"], on_latest["suffix"])


def sanitize_tag(tag: str) -> str:
    return re.sub(r"[^a-zA-Z0-9._-]+", "-", tag)


@dataclass
class Version:
    main: str | None = None
    partial: list[str] = field(default_factory=list)
    latest: bool | None = None
    warnings: list[str] = field(default_factory=list)

    def add(self, value: str, latest: bool) -> None:
        if not value:
            return
        value = sanitize_tag(value)
        if self.main is None:
            self.main = value
        elif value != self.main and value not in self.partial:
            self.partial.append(value)
        if self.latest is None:
            self.latest = latest


class _Tagger:
    def __init__(self, git: GitRef, flavor: Flavor) -> None:
        self.git = git
        self.flavor = flavor
        self.names = git.names()

    def expand(self, text: str, line: str) -> str:
        try:
            return render(text, self.names)
        except ExpressionError as exc:
            raise RuleError(f"{line!r}: {exc}") from None

    def decorate(self, value: str, rule: Rule) -> str:
        prefix = rule.attrs.get("prefix", self.flavor.prefix)
        suffix = rule.attrs.get("suffix", self.flavor.suffix)
        return self.expand(prefix, rule.line) + value + self.expand(suffix, rule.line)

    def latest(self, auto: bool) -> bool:
        return auto if self.flavor.latest == "auto" else self.flavor.latest == "true"

    def apply(self, rule: Rule, version: Version) -> None:
        enabled = self.expand(rule.attrs["enable"], rule.line)
        if enabled not in ("true", "false"):
            raise RuleError(f"{rule.line!r}: enable must be true or false, not {enabled!r}")
        if enabled == "false":
            return
        handler = getattr(self, f"_{rule.type}")
        handler(rule, version)

    def _schedule(self, rule: Rule, version: Version) -> None:
        if "schedule" in self.git.event:
            version.add(self.decorate(self.expand(rule.attrs["pattern"], rule.line), rule), self.latest(False))

    def _source(self, rule: Rule, version: Version) -> str | None:
        """semver/pep440/match: the value (or the pushed tag), through `match`; None when there is none."""
        if not self.git.tag and not rule.attrs["value"]:
            return None
        raw = self.expand(rule.attrs["value"], rule.line) if rule.attrs["value"] else self.git.tag
        if rule.attrs.get("match") and rule.type != "match":
            found = _search(rule.attrs["match"], raw, rule.line)
            if found is None:
                version.warnings.append(f"{rule.attrs['match']} does not match {raw}")
            else:
                raw = found.group(1) if found.groups() else found.group(0)
        return raw

    def _semver(self, rule: Rule, version: Version) -> None:
        raw = self._source(rule, version)
        if raw is None:
            return
        raw = raw.replace("/", "-")
        parsed = parse_semver(raw)
        if parsed is None:
            version.warnings.append(f"{raw} is not a valid semver (https://semver.org), so {rule.line} made no tag")
            return
        pattern = rule.attrs["pattern"]
        if parsed.prerelease:  # pre-releases only ever get {{version}} (or {{raw}}), never a moving 1 or 1.2
            text = render("{{raw}}" if _is_raw(pattern) else "{{version}}", parsed.names())
            version.add(self.decorate(text, rule), self.latest(False))
        else:
            version.add(self.decorate(self._pattern(pattern, parsed.names(), rule), rule), self.latest(True))

    def _pep440(self, rule: Rule, version: Version) -> None:
        raw = self._source(rule, version)
        if raw is None:
            return
        raw = raw.replace("/", "-")
        parsed = parse_pep440(raw)
        if parsed is None:
            version.warnings.append(f"{raw} does not conform to PEP 440, so {rule.line} made no tag")
            return
        if parsed.is_prerelease or parsed.is_postrelease or parsed.is_devrelease:
            text = raw if _is_raw(rule.attrs["pattern"]) else parsed.clean
            version.add(self.decorate(text, rule), self.latest(False))
        else:
            names = parsed.names()
            version.add(self.decorate(self._pattern(rule.attrs["pattern"], names, rule), rule), self.latest(True))

    def _match(self, rule: Rule, version: Version) -> None:
        raw = self._source(rule, version)
        if raw is None:
            return
        pattern = rule.attrs["pattern"]
        slashed = re.fullmatch(r"/(.+)/(.*)", pattern)
        found = _search(slashed.group(1) if slashed else pattern, raw, rule.line,
                        re.IGNORECASE if slashed and "i" in slashed.group(2) else 0)
        group = int(rule.attrs["group"])
        if found is None:
            version.warnings.append(f"{pattern} does not match {raw}")
            return
        if group > len(found.groups()) or found.group(group) is None:
            version.warnings.append(f"group {group} does not exist for {pattern}")
            return
        version.add(self.decorate(found.group(group), rule), self.latest(True))

    def _pattern(self, pattern: str, names: dict[str, str], rule: Rule) -> str:
        try:
            return render(pattern, names)
        except ExpressionError as exc:
            raise RuleError(f"{rule.line!r}: {exc}") from None

    def _ref(self, rule: Rule, version: Version) -> None:
        event, ref = rule.attrs["event"], self.git.ref
        if event == "branch" and ref.startswith("refs/heads/"):
            version.add(self.decorate(self.git.branch, rule), self.latest(False))
        elif event == "tag" and ref.startswith("refs/tags/"):
            version.add(self.decorate(self.git.tag, rule), self.latest(True))
        elif event == "pr" and ref.startswith("refs/pull/"):
            number = ref.removeprefix("refs/pull/").removesuffix("/merge")
            version.add(self.decorate(number, rule), self.latest(False))

    def _edge(self, rule: Rule, version: Version) -> None:
        branch = rule.attrs["branch"] or self.git.default_branch
        if self.git.branch and self.git.branch == branch:
            version.add(self.decorate("edge", rule), self.latest(False))

    def _raw(self, rule: Rule, version: Version) -> None:
        version.add(self.decorate(self.expand(rule.attrs["value"], rule.line), rule), self.latest(False))

    def _sha(self, rule: Rule, version: Version) -> None:
        if self.git.sha:
            value = self.git.short_sha if rule.attrs["format"] == "short" else self.git.sha
            version.add(self.decorate(value, rule), self.latest(False))


def _is_raw(pattern: str) -> bool:
    return re.fullmatch(r"\{\{\s*raw\s*\}\}", pattern) is not None


def _search(pattern: str, text: str, line: str, flags: int = 0) -> re.Match[str] | None:
    try:
        return re.search(pattern, text, flags)
    except re.error as exc:
        raise RuleError(f"{line!r}: the regular expression {pattern!r} is invalid ({exc})") from None


@dataclass(frozen=True)
class TagPlan:
    version: str  # the highest-priority tag ('' when the rules made none)
    tags: list[str]  # tag names, highest priority first, latest last
    warnings: list[str]
    latest: bool = False  # whether the last tag is the latest tag


def compute_tags(rules: list[Rule], flavor: Flavor, git: GitRef) -> TagPlan:
    """The tags metadata-action would make for these rules on this run (names only, no image)."""
    tagger = _Tagger(git, flavor)
    version = Version()
    for rule in rules:
        tagger.apply(rule, version)
    if version.main is None:
        return TagPlan("", [], version.warnings)
    tags = [version.main, *version.partial]
    if version.latest:
        latest = ((flavor.prefix if flavor.prefix_latest else "") + "latest"
                  + (flavor.suffix if flavor.suffix_latest else ""))
        tags.append(sanitize_tag(latest))
    return TagPlan(version.main, tags, version.warnings, bool(version.latest))


OCI = "org.opencontainers.image."


def compute_labels(generated: Mapping[str, str], custom: Mapping[str, str], git: GitRef) -> dict[str, str]:
    """OCI labels (empty ones left out) overridden by the user's, whose values may use the global expressions;
    sorted by name like metadata-action's."""
    labels = {f"{OCI}{key}": value for key, value in generated.items() if value}
    names = git.names()
    for key, value in custom.items():
        try:
            labels[key] = render(value, names)
        except ExpressionError as exc:
            raise RuleError(f"label {key}: {exc}") from None
    return dict(sorted(labels.items()))
