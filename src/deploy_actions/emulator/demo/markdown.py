"""Job summaries, as our actions write them, for a terminal and for an HTML page.

The Markdown they use: headings, paragraphs, lists, tables (a cell may hold `<br>`), fenced code (a mermaid
Gantt chart of lifecycle events among it), `<details><summary>…</summary>` … `</details>`, and inline code, bold
and links. No other HTML is taken as HTML: a summary can quote a commit message or a log line, so everything
else is shown as text.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field

HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
SEPARATOR = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")
LIST_ITEM = re.compile(r"^[-*]\s+(.*)$")
DETAILS = re.compile(r"^<details>\s*(?:<summary>(.*?)</summary>)?\s*$")
LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")
CODE_SPAN = re.compile(r"(`[^`]*`)")
BOLD = re.compile(r"\*\*(.+?)\*\*")
BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>])")  # Markdown's backslash escapes: the character itself


@dataclass
class Block:
    kind: str  # heading, paragraph, list, table, code, details
    text: str = ""  # heading, paragraph and details (its summary) text; the code; the code's language in `info`
    level: int = 0
    info: str = ""
    items: list[str] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    children: list[Block] = field(default_factory=list)


def parse(markdown: str) -> list[Block]:
    blocks, _ = _parse(markdown.splitlines(), 0, inside_details=False)
    return blocks


def _parse(lines: list[str], i: int, *, inside_details: bool) -> tuple[list[Block], int]:
    out: list[Block] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            out.append(Block("paragraph", " ".join(paragraph)))
            paragraph.clear()

    while i < len(lines):
        line = lines[i].strip()
        details = DETAILS.match(line)
        heading = HEADING.match(line)
        if line.startswith("```"):
            flush()
            body, i = [], i + 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                body.append(lines[i])
                i += 1
            out.append(Block("code", "\n".join(body), info=line[3:].strip()))
            i += 1
        elif details:
            flush()
            children, i = _parse(lines, i + 1, inside_details=True)
            out.append(Block("details", details.group(1) or "details", children=children))
        elif line == "</details>" and inside_details:
            flush()
            return out, i + 1
        elif heading:
            flush()
            out.append(Block("heading", heading.group(2).strip(), level=len(heading.group(1))))
            i += 1
        elif line.startswith("|") and i + 1 < len(lines) and SEPARATOR.match(lines[i + 1].strip()):
            flush()
            table = Block("table", header=cells(line))
            i += 2
            while i < len(lines) and lines[i].strip().startswith("|"):
                table.rows.append(cells(lines[i].strip()))
                i += 1
            out.append(table)
        elif LIST_ITEM.match(line):
            flush()
            items = []
            while i < len(lines) and (item := LIST_ITEM.match(lines[i].strip())):
                items.append(item.group(1))
                i += 1
            out.append(Block("list", items=items))
        elif not line:
            flush()
            i += 1
        else:
            paragraph.append(line)
            i += 1
    flush()
    return out, i


def cells(row: str) -> list[str]:
    """A table row's cells; `\\|` is a pipe inside a cell and `\\\\` a backslash (core/summary.escape_cell)."""
    found, cell, i = [], "", 0
    text = row.strip()
    text = text[1:] if text.startswith("|") else text
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] in "|\\":
            cell += text[i + 1]
            i += 2
            continue
        if char == "|":
            found.append(cell.strip())
            cell = ""
        else:
            cell += char
        i += 1
    if cell.strip():
        found.append(cell.strip())
    return found


# -- HTML ------------------------------------------------------------------------------------------------------


def to_html(markdown: str) -> str:
    return "\n".join(_block_html(block) for block in parse(markdown))


def _block_html(block: Block) -> str:
    if block.kind == "heading":
        level = min(block.level + 1, 6)  # the page's own headings sit above the summaries'
        return f"<h{level}>{inline_html(block.text)}</h{level}>"
    if block.kind == "paragraph":
        return f"<p>{inline_html(block.text)}</p>"
    if block.kind == "list":
        return "<ul>" + "".join(f"<li>{inline_html(item)}</li>" for item in block.items) + "</ul>"
    if block.kind == "table":
        head = "".join(f"<th>{inline_html(cell)}</th>" for cell in block.header)
        body = "".join("<tr>" + "".join(f"<td>{inline_html(cell)}</td>" for cell in row) + "</tr>"
                       for row in block.rows)
        thead = f"<thead><tr>{head}</tr></thead>" if any(block.header) else ""
        return f"<table>{thead}<tbody>{body}</tbody></table>"
    if block.kind == "code":
        if block.info == "mermaid":
            chart = gantt_html(block.text)
            if chart:
                return chart
        return f'<pre><code>{html.escape(block.text)}</code></pre>'
    children = "\n".join(_block_html(child) for child in block.children)
    return f"<details><summary>{inline_html(block.text)}</summary>\n{children}\n</details>"


def inline_html(text: str) -> str:
    out, position = [], 0
    for link in LINK.finditer(text):
        out.append(_spans_html(text[position:link.start()]))
        out.append(f'<a href="{html.escape(link.group(2))}">{_spans_html(link.group(1))}</a>')
        position = link.end()
    out.append(_spans_html(text[position:]))
    return "".join(out)


def _spans_html(text: str) -> str:
    out = []
    for part in CODE_SPAN.split(text):
        if part.startswith("`") and part.endswith("`") and len(part) >= 2:
            out.append(f"<code>{html.escape(part[1:-1])}</code>")
            continue
        pieces = [html.escape(html.unescape(piece)) for piece in BREAK.split(part)]
        out.append(ESCAPED.sub(r"\1", BOLD.sub(r"<strong>\1</strong>", "<br>".join(pieces))))
    return "".join(out)


def gantt_html(chart: str) -> str:
    """A mermaid Gantt chart with millisecond times (`dateFormat x`, codedeploy-deploy's lifecycle events) as
    bars on one time axis; '' for any other chart (shown as its source)."""
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


# -- plain text ------------------------------------------------------------------------------------------------


def to_text(markdown: str, indent: str = "") -> list[str]:
    lines: list[str] = []
    for block in parse(markdown):
        lines += _block_text(block, indent)
        lines.append("")
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _block_text(block: Block, indent: str) -> list[str]:
    if block.kind == "heading":
        return [indent + inline_text(block.text)]
    if block.kind == "paragraph":
        return [indent + inline_text(block.text)]
    if block.kind == "list":
        return [f"{indent}• {inline_text(item)}" for item in block.items]
    if block.kind == "table":
        return [indent + line for line in table_text(block)]
    if block.kind == "code":
        if block.info == "mermaid":
            return [f"{indent}(a chart: in the HTML report)"]
        return [f"{indent}    {line}" for line in block.text.splitlines()]
    lines = [f"{indent}▸ {inline_text(block.text)}"]
    for child in block.children:
        lines += _block_text(child, indent + "  ")
    return lines


def inline_text(text: str) -> str:
    text = LINK.sub(lambda link: f"{link.group(1)} <{link.group(2)}>", text)
    out = []
    for part in CODE_SPAN.split(text):
        if part.startswith("`") and part.endswith("`") and len(part) >= 2:
            out.append(part[1:-1])
        else:
            out.append(html.unescape(ESCAPED.sub(r"\1", BOLD.sub(r"\1", BREAK.sub(", ", part)))))
    return "".join(out)


def table_text(block: Block) -> list[str]:
    header = [inline_text(cell) for cell in block.header]
    rows = [[inline_text(cell) for cell in row] for row in block.rows]
    columns = max([len(header), *(len(row) for row in rows)])
    grid = [row + [""] * (columns - len(row)) for row in ([header] if any(header) else []) + rows]
    widths = [max(width(row[c]) for row in grid) for c in range(columns)]
    lines = ["  ".join(cell + " " * (widths[c] - width(cell)) for c, cell in enumerate(row)).rstrip()
             for row in grid]
    if any(header):
        lines.insert(1, "  ".join("─" * w for w in widths))
    return lines


def width(text: str) -> int:
    """Columns a terminal gives `text`: wide characters (emoji, CJK) two, combining marks and selectors none."""
    total = 0
    for char in text:
        if unicodedata.combining(char) or char in "\ufe0f\u200d":
            continue
        total += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return total
