"""The summary's table of checks."""

from __future__ import annotations

from collections.abc import Sequence

from deploy_actions.core.summary import markdown_table
from deploy_actions.verify.checks import CheckResult


def checks_table(results: Sequence[CheckResult]) -> str:
    rows = [("✅" if r.ok else "❌", r.name, r.kind, str(r.attempts), f"{r.seconds:.1f}s", r.detail)
            for r in results]
    table = markdown_table(["", "check", "kind", "attempts", "time", "result"], rows)
    for result in results:
        if result.lines and not result.ok:
            body = "\n".join(result.lines).replace("```", "ʼʼʼ")
            table += f"\n<details><summary>{_html(result.name)}: matching lines</summary>\n\n```\n{body}\n```\n" \
                     "</details>\n"
    return table


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
