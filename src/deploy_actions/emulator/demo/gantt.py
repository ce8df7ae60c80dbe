"""A job summary's mermaid Gantt chart (codedeploy-deploy's lifecycle events) as bars in the HTML report."""

from __future__ import annotations

import html


def gantt_html(chart: str) -> str:
    """A mermaid Gantt chart with millisecond times (`dateFormat x`) as bars on one time axis; '' for any other
    chart (the report shows its source)."""
    lines = [line.strip() for line in chart.splitlines() if line.strip()]
    if not lines or lines[0] != "gantt" or "dateFormat x" not in lines:
        return ""
    title, section, bars = "", "", []
    for line in lines[1:]:
        if line.startswith("title "):
            title = line[6:]
        elif line.startswith("section "):
            section = line[8:]
        elif ":" in line and not line.startswith(("dateFormat", "axisFormat")):
            name, _, spec = line.partition(":")
            parts = [part.strip() for part in spec.split(",")]
            try:
                start, end = int(parts[-2]), int(parts[-1])
            except (IndexError, ValueError):
                return ""
            bars.append((section, name.strip(), start, end, parts[0] if len(parts) > 2 else ""))
    if not bars:
        return ""
    first, last = min(bar[2] for bar in bars), max(bar[3] for bar in bars)
    span = max(last - first, 1)
    rows, lane = [], None
    for section, name, start, end, state in bars:
        left, width = 100 * (start - first) / span, max(100 * (end - start) / span, 0.4)
        shown, lane = ("" if section == lane else section), section  # a lane's name once, on its first bar
        rows.append(f'<tr><td class="lane">{html.escape(shown)}</td><td class="task">{html.escape(name)}</td>'
                    f'<td class="track"><span class="bar {html.escape(state)}" style="left:{left:.2f}%;'
                    f'width:{width:.2f}%"></span></td><td class="ms">{end - start} ms</td></tr>')
    caption = f"<caption>{html.escape(title)} ({span / 1000:.1f} s)</caption>" if title else ""
    return f'<table class="gantt">{caption}<tbody>{"".join(rows)}</tbody></table>'
