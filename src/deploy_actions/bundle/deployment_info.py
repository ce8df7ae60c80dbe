"""deployment-info.env: facts about the build, safe to `set -a; source` whatever they contain.

Commit messages, branch names and user pairs are hostile text. Each value stays on one line of
the file, whatever it holds: plain text is single-quoted ('\\'' for an embedded quote), so the
shell expands nothing and runs nothing; a value holding a line break of any kind (LF, CR, VT, FF,
NEL, U+2028, U+2029 …), another control character or bytes that are not UTF-8 is written with
bash's $'…' quoting, every such character as \\xHH bytes, so no reader that splits lines
differently (Python's splitlines, an editor, a log viewer) sees a line the user did not write.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime

from deploy_actions.core.environment import Env
from deploy_actions.core.errors import InputError
from deploy_actions.core.runfacts import RunFacts

FILE_NAME = "deployment-info.env"
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Every character some reader takes as the end of a line, other C0/C1 controls, the BOM, and lone
# surrogates (bytes that were not UTF-8, kept by Python's surrogateescape).
_ESCAPED = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff]")


def shell_quote(value: str) -> str:
    """One line of shell that evaluates to exactly `value` (bash, zsh, ksh, busybox ash)."""
    if not _ESCAPED.search(value):
        return "'" + value.replace("'", "'\\''") + "'"
    parts = []
    for char in value:
        if char == "\\":
            parts.append("\\\\")
        elif char == "'":
            parts.append("\\'")
        elif _ESCAPED.match(char):
            parts.extend(f"\\x{byte:02x}" for byte in char.encode("utf-8", "surrogateescape"))
        else:
            parts.append(char)
    return "$'" + "".join(parts) + "'"


def standard_facts(facts: RunFacts, image: str | None, epoch: int | None) -> dict[str, str]:
    """What the CI knows about this build, on GitHub, GitLab or a laptop, in one vocabulary.

    The commit message is read from the CI (or the checkout), so nobody pastes
    ${{ github.event.head_commit.message }} into YAML or shell. DEPLOYED_AT is the build's fixed
    moment (`build_epoch`: SOURCE_DATE_EPOCH, else the commit's time), so every run of a commit writes
    the same bytes; the moment CodeDeploy deploys is the deployment's own createTime.
    """
    return {
        "COMMIT_SHA": facts.sha,
        "REF": facts.ref,
        "REPOSITORY": facts.repository,
        "ACTOR": facts.actor,
        "RUN_URL": facts.run_url,
        "IMAGE": image or "",
        "DEPLOYED_AT": _iso(epoch if epoch is not None else int(time.time())),
        "COMMIT_MESSAGE": facts.commit_message,
    }


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_epoch(environ: Mapping[str, str], facts: RunFacts) -> int | None:
    """The moment the archive's timestamps and DEPLOYED_AT are pinned to: SOURCE_DATE_EPOCH when set (the
    reproducible-builds convention), else the commit's time, so a re-run of a commit needs no setup to
    produce the same archive; None when neither is known (then: now, and 1980 in the archive)."""
    explicit = source_date_epoch(environ)
    if explicit is not None:
        return explicit
    if facts.commit_time:
        try:
            return int(datetime.fromisoformat(facts.commit_time.replace("Z", "+00:00")).timestamp())
        except ValueError:
            return None
    return None


def source_date_epoch(environ: Mapping[str, str]) -> int | None:
    raw = environ.get(Env.SOURCE_DATE_EPOCH, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise InputError.single("SOURCE_DATE_EPOCH", raw, "must be a whole number of seconds since 1970")
    return int(raw)


def overridden(facts: Mapping[str, str], extra: Mapping[str, str]) -> list[str]:
    """Warnings for deployment-info lines that replace a built-in fact (the user's value wins)."""
    return [f"deployment-info sets {key}, which replaces the built-in value ({facts[key]!r} here); the "
            "deployment-info line wins. Rename the key to keep both." for key in extra if key in facts]


def render(facts: Mapping[str, str], extra: Mapping[str, str]) -> str:
    """The file's text: standard facts first, then the user's pairs (which may override them)."""
    merged = {**facts, **extra}
    lines = ["# Written by deploy-actions package-revision. Load in bash: set -a; . ./deployment-info.env; set +a"]
    for key, value in merged.items():
        if not _KEY.match(key):
            raise InputError.single("deployment-info", key, "keys must be letters, digits and underscores")
        if "\x00" in value:
            raise InputError.single("deployment-info", key, "values cannot contain NUL bytes")
        lines.append(f"{key}={shell_quote(value)}")
    return "\n".join(lines) + "\n"
