"""Job summaries, as our actions write them, for a terminal and for an HTML page, parsed by markdown-it-py.

CommonMark with GFM tables, raw HTML off: a summary can quote a commit message or a log line, so any HTML in it is
shown as text. The only tags taken as tags are the ones our summaries write on purpose, each turned into a token
of its own: `<br>` (a line break in a table cell) and a line that is `<details>` (with its `<summary>…</summary>`)
or `</details>`. Links are links only to http(s); images are not loaded (a quoted text could point one anywhere).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.tree import SyntaxTreeNode
from markdown_it.utils import EnvType, OptionsDict

from deploy_actions.emulator.demo.gantt import gantt_html

DETAILS_OPEN = re.compile(r"<details>\s*(?:<summary>(.*)</summary>)?")
DETAILS_CLOSE = "</details>"
BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


class SummaryMarkdown(MarkdownIt):
    def validateLink(self, url: str) -> bool:  # markdown-it's own check lets any scheme but a few through
        return url.lower().startswith(("http://", "https://"))


def details_line(state: StateBlock, line: int, _end: int, silent: bool) -> bool:
    """A line that is `<details><summary>…</summary>` opens a details block; `</details>` closes the one open
    in the same container (a list item, a quote), and is text otherwise."""
    if state.is_code_block(line):
        return False
    text = state.src[state.bMarks[line] + state.tShift[line]:state.eMarks[line]].strip()
    opened = DETAILS_OPEN.fullmatch(text)
    if not opened and (text != DETAILS_CLOSE or not details_open_here(state.tokens)):
        return False
    if silent:
        return True
    state.line = line + 1
    if not opened:
        state.push("details_close", "details", -1).map = [line, line + 1]
        return True
    state.push("details_open", "details", 1).map = [line, line + 1]
    state.push("summary_open", "summary", 1)
    summary = state.push("inline", "", 0)  # parsed as Markdown by the inline stage, like a paragraph
    summary.content, summary.map, summary.children = opened.group(1) or "details", [line, line + 1], []
    state.push("summary_close", "summary", -1)
    return True


def details_open_here(tokens: Sequence[Token]) -> bool:
    depth = 0
    for token in reversed(tokens):
        depth -= token.nesting
        if depth < 0:  # the innermost block still open
            return token.type == "details_open"
    return False


def close_details(state: StateCore) -> None:
    """A details block left open ends with its container (or the summary), so the tags always pair up."""
    tokens: list[Token] = []
    open_blocks: list[str] = []
    for token in state.tokens:
        if token.nesting == -1:
            while token.type != "details_close" and open_blocks[-1] == "details_open":
                tokens.append(Token("details_close", "details", -1, block=True))
                open_blocks.pop()
            open_blocks.pop()
        elif token.nesting == 1:
            open_blocks.append(token.type)
        tokens.append(token)
    tokens += [Token("details_close", "details", -1, block=True) for _ in open_blocks]  # only details are left
    state.tokens = tokens


def drop_empty_header(state: StateCore) -> None:
    """A table whose header cells are all empty (a key/value table) is shown without a header row."""
    tokens = state.tokens
    for start in [i for i, token in enumerate(tokens) if token.type == "thead_open"][::-1]:
        end = next(i for i in range(start, len(tokens)) if tokens[i].type == "thead_close")
        if all(not token.content.strip() for token in tokens[start:end] if token.type == "inline"):
            del tokens[start:end + 1]


def break_tag(state: StateInline, silent: bool) -> bool:
    found = BREAK.match(state.src, state.pos, state.posMax)
    if not found:
        return False
    if not silent:
        state.push("br_tag", "br", 0)
    state.pos = found.end()
    return True


# -- HTML ------------------------------------------------------------------------------------------------------


class SummaryHTML(RendererHTML):
    """markdown-it's HTML, which escapes all text; headings one level down (the page's own sit above)."""

    def heading_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        return f"<h{page_level(tokens[idx])}>"

    def heading_close(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        return f"</h{page_level(tokens[idx])}>\n"

    def br_tag(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        return "<br>"

    def fence(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        token = tokens[idx]
        chart = gantt_html(token.content) if token.info.strip() == "mermaid" else ""
        return chart + "\n" if chart else super().fence(tokens, idx, options, env)


def page_level(heading: Token) -> int:
    return min(int(heading.tag[1:]) + 1, 6)


PARSER = SummaryMarkdown("commonmark", {"html": False}, renderer_cls=SummaryHTML).enable("table").disable("image")
PARSER.block.ruler.before("html_block", "details_line", details_line,
                          {"alt": ["paragraph", "reference", "blockquote"]})
PARSER.core.ruler.after("block", "close_details", close_details)
PARSER.core.ruler.after("close_details", "drop_empty_header", drop_empty_header)
PARSER.inline.ruler.before("autolink", "break_tag", break_tag)


def to_html(markdown: str) -> str:
    return str(PARSER.render(markdown))


# -- plain text ------------------------------------------------------------------------------------------------


def to_text(markdown: str, indent: str = "") -> list[str]:
    lines: list[str] = []
    for block in SyntaxTreeNode(PARSER.parse(markdown)).children:
        lines += [*block_text(block, indent), ""]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def block_text(node: SyntaxTreeNode, indent: str) -> list[str]:
    kind = node.type
    if kind in ("heading", "paragraph"):
        return [indent + inline_text(node)]
    if kind in ("bullet_list", "ordered_list"):
        lines = []
        for number, item in enumerate(node.children, start=int(node.attrGet("start") or 1)):
            marker = f"{number}. " if kind == "ordered_list" else "• "
            body = [line for child in item.children for line in block_text(child, "")] or [""]
            lines += [indent + (marker if i == 0 else " " * len(marker)) + line for i, line in enumerate(body)]
        return lines
    if kind == "table":
        return [indent + line for line in table_text(node)]
    if kind in ("fence", "code_block"):
        if node.info.strip() == "mermaid":
            return [f"{indent}(a chart: in the HTML report)"]
        return [f"{indent}    {line}" for line in node.content.splitlines()]
    if kind == "details":
        summary, *content = node.children
        return [f"{indent}▸ {inline_text(summary)}", *children_text(content, indent + "  ")]
    if kind == "hr":
        return [indent + "─" * 20]
    if kind == "blockquote":
        return children_text(node.children, indent + "│ ")
    return children_text(node.children, indent)


def children_text(nodes: Sequence[SyntaxTreeNode], indent: str) -> list[str]:
    return [line for node in nodes for line in block_text(node, indent)]


def inline_text(node: SyntaxTreeNode) -> str:
    """The text of a block's inline content (or of an inline node): markup gone, a link as `text <url>`."""
    out = []
    for child in node.children:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type == "br_tag":
            out.append(", ")
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif child.type == "link" and child.markup != "autolink":  # an autolink's text is its address
            out.append(f"{inline_text(child)} <{child.attrGet('href')}>")
        else:
            out.append(inline_text(child))
    return "".join(out)


def table_text(table: SyntaxTreeNode) -> list[str]:
    grid = [[inline_text(cell) for cell in row.children] for part in table.children for row in part.children]
    columns = max(len(row) for row in grid)
    grid = [row + [""] * (columns - len(row)) for row in grid]
    widths = [max(width(row[c]) for row in grid) for c in range(columns)]
    lines = ["  ".join(cell + " " * (widths[c] - width(cell)) for c, cell in enumerate(row)).rstrip()
             for row in grid]
    if table.children[0].type == "thead":
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
