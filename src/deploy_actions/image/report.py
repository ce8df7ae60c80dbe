"""The step summary: tags, digest, size, builder and scan findings (never a build secret or argument)."""

from __future__ import annotations

from typing import Any

from deploy_actions.core.summary import markdown_table
from deploy_actions.image.scan import SEVERITIES, ScanResult


def _size(detail: dict[str, Any] | None) -> str:
    size = (detail or {}).get("imageSizeInBytes")
    if not isinstance(size, int):
        return "unknown"
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size} bytes"


def image_summary(outputs: dict[str, Any], builder: str, detail: dict[str, Any] | None,
                  findings: ScanResult | None) -> str:
    tags = outputs.get("tags") or []
    rows = [
        ("tags", "\n".join(f"`{tag}`" for tag in tags) or "none"),
        ("digest", f"`{outputs['digest']}`" if outputs.get("digest") else "not pushed"),
        ("size", _size(detail)),
        ("builder", builder),
    ]
    if findings is not None:
        counts = ", ".join(f"{findings.counts[s]} {s}" for s in reversed(SEVERITIES) if findings.counts.get(s))
        rows.append(("scan findings", counts or "none"))
    return "### 📦 build-push-ecr\n\n" + markdown_table(("", ""), rows)
