"""The demo's HTML report shows a summary's or a Slack message's text as text: a commit message or a log line
quoted in them cannot add markup, scripts or links to the page a person opens."""

from __future__ import annotations

from deploy_actions.emulator.demo import markdown, messages

HOSTILE = "<script>alert(1)</script> <img src=x onerror=alert(2)> [click](javascript:alert(3))"


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
