"""Semantic versions (node-semver's reading, as metadata-action uses it) and PEP 440 versions
(@renovate/pep440's), enough for the `type=semver` and `type=pep440` tag rules."""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUM = r"0|[1-9]\d*"
_PRE_ID = r"(?:0|[1-9]\d*|\d*[a-zA-Z-][a-zA-Z0-9-]*)"
_SEMVER = re.compile(rf"^[v=\s]*({_NUM})\.({_NUM})\.({_NUM})(?:-({_PRE_ID}(?:\.{_PRE_ID})*))?"
                     r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$")


@dataclass(frozen=True)
class SemVer:
    raw: str
    major: int
    minor: int
    patch: int
    prerelease: str
    build: str

    @property
    def version(self) -> str:
        """MAJOR.MINOR.PATCH with the pre-release, without build metadata (node-semver's `version`)."""
        core = f"{self.major}.{self.minor}.{self.patch}"
        return f"{core}-{self.prerelease}" if self.prerelease else core

    def names(self) -> dict[str, str]:
        return {"raw": self.raw, "version": self.version, "major": str(self.major), "minor": str(self.minor),
                "patch": str(self.patch), "prerelease": self.prerelease.replace(".", ","), "build": self.build}


def parse_semver(text: str) -> SemVer | None:
    match = _SEMVER.match(text.strip())
    if not match:
        return None
    major, minor, patch, pre, build = match.groups()
    return SemVer(text.strip(), int(major), int(minor), int(patch), pre or "", build or "")


# PEP 440, as packaging's VERSION_PATTERN spells it.
_PEP440 = re.compile(
    r"""^\s*v?
    (?:(?P<epoch>[0-9]+)!)?
    (?P<release>[0-9]+(?:\.[0-9]+)*)
    (?P<pre>[-_\.]?(?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_\.]?(?P<pre_n>[0-9]+)?)?
    (?P<post>(?:-(?P<post_n1>[0-9]+))|(?:[-_\.]?(?P<post_l>post|rev|r)[-_\.]?(?P<post_n2>[0-9]+)?))?
    (?P<dev>[-_\.]?(?P<dev_l>dev)[-_\.]?(?P<dev_n>[0-9]+)?)?
    (?:\+(?P<local>[a-z0-9]+(?:[-_\.][a-z0-9]+)*))?
    \s*$""", re.VERBOSE | re.IGNORECASE)
_PRE_NAMES = {"alpha": "a", "a": "a", "beta": "b", "b": "b", "c": "rc", "pre": "rc", "preview": "rc", "rc": "rc"}


@dataclass(frozen=True)
class Pep440:
    raw: str
    epoch: int
    release: tuple[int, ...]
    pre: str  # normalized: a1, b2, rc3
    post: int | None
    dev: int | None
    local: str

    @property
    def is_prerelease(self) -> bool:
        return bool(self.pre) or self.dev is not None

    @property
    def is_postrelease(self) -> bool:
        return self.post is not None

    @property
    def is_devrelease(self) -> bool:
        return self.dev is not None

    @property
    def clean(self) -> str:
        """The normalized form: 1.2.3beta2 -> 1.2.3b2, 1.2.3post1 -> 1.2.3.post1, v1.0dev4 -> 1.0.dev4."""
        text = f"{self.epoch}!" if self.epoch else ""
        text += ".".join(str(part) for part in self.release) + self.pre
        if self.post is not None:
            text += f".post{self.post}"
        if self.dev is not None:
            text += f".dev{self.dev}"
        return text + (f"+{self.local}" if self.local else "")

    def names(self) -> dict[str, str]:
        major, minor, patch = (str(self.release[i]) if len(self.release) > i else "0" for i in range(3))
        return {"raw": self.raw, "version": self.clean, "major": major, "minor": minor, "patch": patch}


def parse_pep440(text: str) -> Pep440 | None:
    match = _PEP440.match(text)
    if not match:
        return None
    groups = match.groupdict()
    pre = ""
    if groups["pre_l"]:
        pre = _PRE_NAMES[groups["pre_l"].lower()] + str(int(groups["pre_n"] or 0))
    post: int | None = None
    if groups["post"]:
        post = int(groups["post_n1"] or groups["post_n2"] or 0)
    dev = int(groups["dev_n"] or 0) if groups["dev"] else None
    local = ".".join(re.split(r"[-_\.]", groups["local"].lower())) if groups["local"] else ""
    return Pep440(text.strip(), int(groups["epoch"] or 0), tuple(int(p) for p in groups["release"].split(".")),
                  pre, post, dev, local)
