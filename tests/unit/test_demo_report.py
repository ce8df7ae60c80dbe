"""The demo's HTML report shows a summary's or a Slack message's text as text: a commit message or a log line
quoted in them cannot add markup, scripts or links to the page a person opens."""

from __future__ import annotations

from html.parser import HTMLParser

from deploy_actions.emulator.demo import markdown, messages

HOSTILE = "<script>alert(1)</script> <img src=x onerror=alert(2)> [click](javascript:alert(3))"
# What a summary may put on the page: Markdown's own elements and the tags our summaries write on purpose.
SUMMARY_TAGS = {"h4", "p", "ul", "li", "strong", "em", "code", "pre", "a", "table", "thead", "tbody", "tr", "th",
                "td", "br", "details", "summary"}


class Elements(HTMLParser):
    """The elements and attributes a browser builds from a page."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []
        self.ends: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [(name, value or "") for name, value in attrs]

    def handle_endtag(self, tag: str) -> None:
        self.ends.append(tag)


def test_a_summary_quoting_hostile_text_renders_it_as_text() -> None:
    summary = (f"### ❌ codedeploy-deploy\n\n{HOSTILE}\n\n| commit | note |\n| --- | --- |\n"
               f"| `abc` | {HOSTILE.replace('|', chr(92) + '|')}<br>second line |\n\n"
               f"<details><summary>{HOSTILE}</summary>\n\n```text\n{HOSTILE}\n```\n</details>\n")
    page = markdown.to_html(summary)
    assert "<script" not in page and "<img" not in page and 'href="javascript' not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 4  # paragraph, cell, summary, code
    assert "<br>second line" in page  # the one tag summaries use in cells
    text = markdown.to_text(summary)
    assert f"{HOSTILE}, second line" in "\n".join(text)


def test_hostile_text_adds_no_element_attribute_or_link_to_the_page() -> None:
    hostile = ("<details open ontoggle=alert(1)> <br onclick=alert(2)> <a href=https://x>a</a> <svg onload=alert(3)>"
               " ![pixel](https://tracker.example/p.png) <javascript:alert(4)> [x](JavaScript:alert(5)) "
               '[y](data:text/html,<script>alert(6)</script>) [z](https://example.com/"onmouseover=alert(7)) '
               "[ftp](ftp://example.com/f) [relative](/steal) [mail](mailto:a@example.com)")
    summary = (f"### {hostile}\n\n{hostile}\n\n- {hostile}\n\n| a | b |\n| --- | --- |\n| {hostile} | x<br>y |\n\n"
               f"<details><summary>{hostile}</summary>\n\n{hostile}\n</details>\n\n"
               "Deployment [`d-1`](https://console.aws.amazon.com/codedeploy/d-1)\n")
    page = Elements(markdown.to_html(summary))
    assert set(page.tags) <= SUMMARY_TAGS and page.tags.count("details") == 1 and page.tags.count("br") == 1
    assert {name for name, _ in page.attrs} == {"href"}
    assert all(value.startswith("https://") and '"' not in value for _, value in page.attrs)
    assert ("href", "https://console.aws.amazon.com/codedeploy/d-1") in page.attrs


def test_a_commit_message_cannot_close_the_details_block_that_quotes_it() -> None:
    message = "fix: stray tag\n</details>\n<script>alert(1)</script>\n\n</details>\nthe last line"
    summary = (f"<details><summary>log tail</summary>\n\n```text\n{message}\n```\n</details>\n\n"
               f"**after**\n\n{message}\n")
    page = markdown.to_html(summary)
    assert Elements(page).tags.count("details") == 1
    inside = page[page.index("<details>"):page.index("</details>")]
    assert "the last line" in inside and inside.count("&lt;/details&gt;") == 2
    assert "<script" not in page and page.count("&lt;/details&gt;") == 4  # the ones after it are text too
    text = markdown.to_text(summary)
    assert text[:8] == ["▸ log tail", "      fix: stray tag", "      </details>", "      <script>alert(1)</script>",
                        "      ", "      </details>", "      the last line", ""]


def test_a_slack_message_quoting_hostile_text_renders_it_as_text() -> None:
    hostile = "&lt;script&gt;x&lt;/script&gt; <javascript:alert(1)|y>"  # as Slack's escaping sends it
    payload = {"attachments": [{"color": "red;background:url(x)", "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": hostile}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Commit*\n<https://example.com/c/1|abc>"}]}]}]}
    page = messages.as_html(messages.read_slack(payload))
    assert "<script" not in page and 'href="javascript' not in page
    assert "&lt;javascript:alert(1)|y&gt;" in page  # not a link Slack would make either
    assert '<a href="https://example.com/c/1">abc</a>' in page
    assert "background" not in page  # a colour that is no colour is not put in the style
    assert messages.as_text(messages.read_slack(payload))[0] == "  │ <script>x</script> <javascript:alert(1)|y>"


def test_a_details_block_left_open_ends_with_its_list_item_or_the_summary() -> None:
    summary = "- a commit\n  <details>\n- next\n\n<details><summary>log</summary>\n\nnever closed\n"
    page = markdown.to_html(summary)
    assert "</details>\n</li>" in page and page.endswith("</details>\n")
    assert Elements(page).ends.count("details") == 2
    assert markdown.to_text(summary) == ["• a commit", "  ▸ details", "• next", "", "▸ log", "  never closed"]
