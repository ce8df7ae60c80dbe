"""The step summary: a table per service and a Mermaid timeline of the stages each went through."""

from __future__ import annotations

import itertools
import re
from typing import TYPE_CHECKING

from deploy_actions.core.summary import markdown_table
from deploy_actions.ecs import events

if TYPE_CHECKING:
    from deploy_actions.ecs.rollout import Rollout


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_. /-]", "_", text)


def summary(rollouts: list[Rollout], wait_until: str) -> str:
    ok = all(r.ok for r in rollouts)
    parts = [f"### {'✅' if ok else '❌'} ecs-deploy: {len(rollouts)} service(s), until {wait_until}\n"]
    rows = [(r.name, r.target.arn.rsplit("/", 1)[-1], r.status + _rolled_back(r),
             r.arn.rsplit("/", 1)[-1] if r.arn else r.deployment_id, r.reason) for r in rollouts]
    parts.append(markdown_table(("service", "task definition", "status", "deployment", "why"), rows))
    timeline = _timeline(rollouts)
    if timeline:
        parts.append(timeline)
    for rollout in rollouts:
        if not rollout.ok and (rollout.events or rollout.stopped):
            parts.append(f"\n<details><summary>{rollout.name}: events and stopped tasks</summary>\n\n```text\n"
                         + "\n".join([*(events.brief(e, rollout.name) for e in events.telling(rollout.events, 10)),
                                      *rollout.stopped[-10:]]).replace("```", "'''")
                         + "\n```\n</details>\n")
    return "\n".join(parts)


def _rolled_back(rollout: Rollout) -> str:
    """' (rolled back to web:7)': what the service runs again, when the last poll saw it."""
    if not rollout.rolled_back:
        return ""
    running = str(rollout.service.get("taskDefinition") or "")
    return f" (rolled back to {running.rsplit('/', 1)[-1]})" if running and running != rollout.target.arn \
        else " (rolled back)"


def _timeline(rollouts: list[Rollout]) -> str:
    lines = ["```mermaid", "gantt", "    title stages", "    dateFormat x", "    axisFormat %M:%S"]
    any_stage = False
    for rollout in rollouts:
        marks = rollout.timeline
        if len(marks) < 2:
            continue
        lines.append(f"    section {_safe(rollout.name)}")
        for (start, stage), (end, _) in itertools.pairwise(marks):
            tag = "crit, " if "ROLLBACK" in stage or stage in ("FAILED", "STOPPED") else ""
            begin = int(start * 1000)
            lines.append(f"    {_safe(stage)} :{tag}{begin}, {max(int(end * 1000), begin + 1)}")
            any_stage = True
    lines.append("```")
    return "\n".join(lines) + "\n" if any_stage else ""
