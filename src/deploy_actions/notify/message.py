"""What a notification says, as the variables every template (built-in or a user's) receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from deploy_actions.core.durations import format_duration

Status = Literal["success", "failure", "cancelled"]

WORDING: dict[str, str] = {"success": "succeeded", "failure": "failed", "cancelled": "was cancelled"}
EMOJI: dict[str, str] = {"success": "✅", "failure": "❌", "cancelled": "⚪"}
COLOR: dict[str, str] = {"success": "#2EB67D", "failure": "#E01E5A", "cancelled": "#9E9E9E"}
TEAMS_COLOR: dict[str, str] = {"success": "Good", "failure": "Attention", "cancelled": "Default"}


@dataclass(frozen=True)
class CheckLine:
    """One check as a message shows it."""

    name: str
    kind: str
    ok: bool
    attempts: int
    seconds: float
    detail: str
    lines: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "ok": self.ok, "attempts": self.attempts,
                "seconds": round(self.seconds, 3), "detail": self.detail, "lines": list(self.lines)}


@dataclass(frozen=True)
class Message:
    status: Status  # the outcome reported: failure when a check failed, else the status input
    environment: str = ""
    version: str = ""
    deployment_id: str = ""
    repository: str = ""
    branch: str = ""
    ref: str = ""
    actor: str = ""
    sha: str = ""
    commit_url: str = ""
    commit_message: str = ""
    run_url: str = ""
    duration_seconds: float | None = None
    checks: tuple[CheckLine, ...] = field(default_factory=tuple)

    def context(self) -> dict[str, Any]:
        """The template variables (docs/actions/verify-and-notify.md lists them)."""
        subject = self.commit_message.strip().splitlines()[0] if self.commit_message.strip() else ""
        failed = [c.as_dict() for c in self.checks if not c.ok]
        return {
            "status": self.status,
            "wording": WORDING[self.status],
            "emoji": EMOJI[self.status],
            "color": COLOR[self.status],
            "color_int": int(COLOR[self.status].lstrip("#"), 16),
            "teams_color": TEAMS_COLOR[self.status],
            "healthy": None if not self.checks else not failed,
            "environment": self.environment,
            "version": self.version,
            "deployment_id": self.deployment_id,
            "repository": self.repository,
            "branch": self.branch,
            "ref": self.ref,
            "actor": self.actor,
            "commit": {"sha": self.sha, "short": self.sha[:8], "url": self.commit_url, "subject": subject,
                       "message": self.commit_message},
            "run_url": self.run_url,
            "duration": format_duration(self.duration_seconds) if self.duration_seconds is not None else "",
            "duration_seconds": round(self.duration_seconds) if self.duration_seconds is not None else None,
            "checks": [c.as_dict() for c in self.checks],
            "failed_checks": failed,
        }


SAMPLE = Message(
    status="failure", environment="production", version="1.2.3", deployment_id="d-SAMPLE",
    repository="acme/api", branch="main", ref="refs/heads/main", actor="dev", sha="0123456789abcdef" * 2 + "01234567",
    commit_url="https://example.com/acme/api/commit/0123", commit_message="Sample commit\n\nwith a body",
    run_url="https://example.com/acme/api/runs/1", duration_seconds=42.0,
    checks=(CheckLine("GET https://example.com/health", "url", False, 3, 1.5, "status 503, expected 200"),
            CheckLine("logs /app", "logs", False, 1, 0.2, "2 matches, at most 0 allowed", ("ERROR a", "ERROR b"))),
)
"""What a user's template is rendered with when its input is checked, before any request."""
