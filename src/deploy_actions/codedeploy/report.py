"""The run summary for a deployment: a table per target and a Mermaid gantt of lifecycle events."""

from __future__ import annotations

import re

from deploy_actions.codedeploy.diagnostics import HookFailure, stop_explanation
from deploy_actions.codedeploy.state import DeploymentState, TargetState
from deploy_actions.core.platform import printable
from deploy_actions.core.summary import markdown_table

_ICON = {"Succeeded": "✅", "Failed": "❌", "Stopped": "⏹️", "Ready": "⏸️", "InProgress": "⏳", "Skipped": "↷"}
# Once a deployment has ended nothing is still to come: work it never reached was skipped, work it
# was doing was cut short. A status read before the end (a stale or lagging answer) is shown that way.
_ENDED_AS = {"Pending": "Skipped", "InProgress": "Failed", "Ready": "Failed", "Unknown": "Failed"}


def targets_table(state: DeploymentState) -> str:
    rows = []
    for target in state.targets:
        failed = target.failed_event
        took = _target_seconds(target)
        status = _ENDED_AS.get(target.status, target.status) if state.done else target.status
        rows.append((f"`{target.id}`", target.fleet or "—", f"{_ICON.get(status, '')} {status}",
                     failed.name if failed else "—", f"{took:.0f}s" if took is not None else "—"))
    return markdown_table(("target", "fleet", "status", "failed hook", "duration"), rows)


def gantt(state: DeploymentState) -> str:
    """Mermaid gantt (GitHub renders it); times are epoch milliseconds (dateFormat x)."""
    lines = ["```mermaid", "gantt", f"    title {state.id} lifecycle events", "    dateFormat x",
             "    axisFormat %H:%M:%S"]
    any_event = False
    for target in state.targets:
        events = [e for e in target.events if e.start and e.end]
        if not events:
            continue
        fleet = f" {target.fleet}" if target.fleet else ""
        lines.append(f"    section {_safe(target.id + fleet)}")
        for event in events:
            assert event.start is not None and event.end is not None
            tag = "crit, " if event.status == "Failed" else ("done, " if event.status == "Succeeded" else "")
            start = int(event.start.timestamp() * 1000)
            end = max(int(event.end.timestamp() * 1000), start + 1)
            lines.append(f"    {_safe(event.name)} :{tag}{start}, {end}")
            any_event = True
    lines.append("```")
    return "\n".join(lines) + "\n" if any_event else ""


def deployment_summary(state: DeploymentState, *, title: str, console_url: str,
                       failures: list[HookFailure], rollback: DeploymentState | None) -> str:
    icon = _ICON.get(state.status, "")
    parts = [f"### {icon} codedeploy-deploy: {title} — {state.status}\n",
             f"Deployment [`{state.id}`]({console_url})\n"]
    if state.targets:
        parts.append(targets_table(state))
    for failure in failures:
        parts.append(f"**{_md(failure.headline())}**\n")
        if failure.log_tail:
            tail = printable(failure.log_tail).replace("```", "ʼʼʼ")  # text: no terminal codes, no fence end
            parts.append("<details><summary>log tail</summary>\n\n```text\n" + tail + "\n```\n</details>\n")
    if not failures and state.status in ("Failed", "Stopped") and state.error:
        reason = stop_explanation(state) or str(state.error.get("message", ""))
        parts.append(f"{_md(str(state.error.get('code', '')))}: {_md(reason)}\n")
    if rollback is not None:
        parts.append(f"Automatic rollback [`{rollback.id}`] ended **{rollback.status}**.\n")
        if rollback.targets:
            parts.append(targets_table(rollback))
    chart = gantt(state)
    if chart:
        parts.append(chart)
    return "\n".join(parts)


def _target_seconds(target: TargetState) -> float | None:
    starts = [e.start for e in target.events if e.start]
    ends = [e.end for e in target.events if e.end]
    if not starts or not ends:
        return None
    return (max(ends) - min(starts)).total_seconds()


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9 ._/-]", "_", text)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]!|#~])")


def _md(text: str) -> str:
    """Hook messages are text, not markdown: no links, images, code spans or table breaks."""
    return _MD_SPECIAL.sub(r"\\\1", printable(text)).replace("<", "&lt;").replace(">", "&gt;")
