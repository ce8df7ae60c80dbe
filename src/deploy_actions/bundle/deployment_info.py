"""deployment-info.env: facts about the build, safe to `set -a; source` whatever they contain.

Commit messages, branch names and user pairs are hostile text: every value is single-quoted, with
embedded quotes closed and reopened ('\\''), so the shell expands nothing and runs nothing.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from deploy_actions.core.environment import Env
from deploy_actions.core.errors import InputError

FILE_NAME = "deployment-info.env"
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def shell_quote(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


def standard_facts(environ: Mapping[str, str], image: str | None) -> dict[str, str]:
    """What the CI knows about this build, on GitHub or GitLab, in one vocabulary."""
    run_url = ""
    if environ.get(Env.GITHUB_RUN_ID):
        server = environ.get(Env.GITHUB_SERVER_URL, "https://github.com")
        run_url = f"{server}/{environ.get(Env.GITHUB_REPOSITORY, '')}/actions/runs/{environ[Env.GITHUB_RUN_ID]}"
    else:
        run_url = environ.get(Env.CI_JOB_URL, "") or environ.get(Env.CI_PIPELINE_URL, "")
    return {
        "COMMIT_SHA": environ.get(Env.GITHUB_SHA) or environ.get(Env.CI_COMMIT_SHA, ""),
        "REF": environ.get(Env.GITHUB_REF) or environ.get(Env.CI_COMMIT_REF_NAME, ""),
        "REPOSITORY": environ.get(Env.GITHUB_REPOSITORY) or environ.get(Env.CI_PROJECT_PATH, ""),
        "ACTOR": environ.get(Env.GITHUB_ACTOR) or environ.get(Env.GITLAB_USER_LOGIN, ""),
        "RUN_URL": run_url,
        "IMAGE": image or "",
        "DEPLOYED_AT": deployed_at(environ),
        "COMMIT_MESSAGE": commit_message(environ),
    }


def commit_message(environ: Mapping[str, str]) -> str:
    """Read from the CI itself, so nobody pastes ${{ ...head_commit.message }} into YAML or shell."""
    if environ.get(Env.CI_COMMIT_MESSAGE):
        return environ[Env.CI_COMMIT_MESSAGE].rstrip("\n")
    event_path = environ.get(Env.GITHUB_EVENT_PATH)
    if not event_path:
        return ""
    try:
        event = json.loads(Path(event_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    head = event.get("head_commit") if isinstance(event, dict) else None
    message = head.get("message") if isinstance(head, dict) else None
    return message if isinstance(message, str) else ""


def deployed_at(environ: Mapping[str, str]) -> str:
    epoch = source_date_epoch(environ)
    moment = epoch if epoch is not None else int(time.time())
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def source_date_epoch(environ: Mapping[str, str]) -> int | None:
    raw = environ.get(Env.SOURCE_DATE_EPOCH, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise InputError.single("SOURCE_DATE_EPOCH", raw, "must be a whole number of seconds since 1970")
    return int(raw)


def render(facts: Mapping[str, str], extra: Mapping[str, str]) -> str:
    """The file's text: standard facts first, then the user's pairs (which may override them)."""
    merged = {**facts, **extra}
    lines = ["# Written by deploy-actions package-revision. Load with: set -a; . ./deployment-info.env; set +a"]
    for key, value in merged.items():
        if not _KEY.match(key):
            raise InputError.single("deployment-info", key, "keys must be letters, digits and underscores")
        if "\x00" in value:
            raise InputError.single("deployment-info", key, "values cannot contain NUL bytes")
        lines.append(f"{key}={shell_quote(value)}")
    return "\n".join(lines) + "\n"
