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
    """Mermaid xychart of the destination's share at each point; empty when nothing moved."""
    if len(outcome.timeline) < 2:
        return ""
    role: Role = outcome.plan.destination or "green"
    labels = ", ".join(f'"{_label(p.label)} +{p.seconds:.0f}s"' for p in outcome.timeline)
    values = ", ".join(f"{share(p.weights['blue'], p.weights['green'], role):.0f}" for p in outcome.timeline)
    return (f"```mermaid\nxychart-beta\n    title \"{role}'s share of traffic (%)\"\n"
            f"    x-axis [{labels}]\n    y-axis \"percent\" 0 --> 100\n    line [{values}]\n```\n")


def _label(text: str) -> str:
    return escape_cell(text).replace('"', "")


def summary(outcome: Outcome, title: str) -> str:
    ok = outcome.error is None
    head = f"### {'✅' if ok else '❌'} switch-listener: {escape_cell(title)}\n\n"
    facts = [f"{outcome.steps_completed} step(s) completed"]
    if outcome.rolled_back and "rolled back" not in str(outcome.error or ""):
        facts.append("rolled back to the starting weights")
    if outcome.error is not None:
        facts.append(str(outcome.error))
    elif outcome.note:
        facts.append(outcome.note)
    body = "; ".join(escape_cell(f) for f in facts) + "\n\n"
    drawn = chart(outcome)
    return head + body + table(outcome) + ("\n" + drawn if drawn else "")
