"""The before/after table (log and step summary) and a Mermaid chart of the destination's share over time."""

from __future__ import annotations

from deploy_actions.core.summary import escape_cell, markdown_table
from deploy_actions.listener.forward import Role, share
from deploy_actions.listener.switch import ROLES, Outcome


def table(outcome: Outcome) -> str:
    plan = outcome.plan
    rows = []
    for role in ROLES:
        group = plan.groups[role]
        health = outcome.health.get(role)
        rows.append([role, group.name, _weight(plan.before, role), _weight(outcome.after, role),
                     health.describe() if health else ""])
    return markdown_table(["side", "target group", "before", "after", "health when checked"], rows)


def _weight(weights: dict[Role, int], role: Role) -> str:
    return f"{weights[role]} ({share(weights['blue'], weights['green'], role):.0f}%)"


def chart(outcome: Outcome) -> str:
    """Mermaid xychart of green's share at each point; empty when nothing moved."""
    if len(outcome.timeline) < 2:
        return ""
    labels = ", ".join(f'"{escape_cell(p.label).replace(chr(34), "")} +{p.seconds:.0f}s"' for p in outcome.timeline)
    values = ", ".join(f"{share(p.weights['blue'], p.weights['green'], 'green'):.0f}" for p in outcome.timeline)
    return ("```mermaid\nxychart-beta\n    title \"green's share of traffic (%)\"\n"
            f"    x-axis [{labels}]\n    y-axis \"percent\" 0 --> 100\n    line [{values}]\n```\n")


def summary(outcome: Outcome, title: str) -> str:
    ok = outcome.error is None
    head = f"### {'✅' if ok else '❌'} switch-listener: {escape_cell(title)}\n\n"
    facts = [f"{outcome.steps_completed} step(s) completed"]
    if outcome.rolled_back:
        facts.append("rolled back to the starting weights")
    if outcome.note:
        facts.append(outcome.note)
    if outcome.error is not None:
        facts.append(str(outcome.error))
    body = "; ".join(escape_cell(f) for f in facts) + "\n\n"
    return head + body + table(outcome) + ("\n" + chart(outcome) if chart(outcome) else "")
