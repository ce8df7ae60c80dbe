"""The notify and template inputs: channels parsed, every problem named without the secret URL."""

from __future__ import annotations

import pytest

from deploy_actions.notify.channels import ChannelProblem, parse_channels, parse_templates, secret_parts
from deploy_actions.notify.deliver import should_notify

SECRET = "https://hooks.slack.com/services/T000/B000/s3cr3tT0k3n"


def test_channels_in_order_numbered_when_a_kind_repeats() -> None:
    channels = parse_channels(f"# ops\nslack={SECRET}\n\nDiscord = https://discord.com/api/webhooks/1/x\n"
                              "slack=https://hooks.slack.com/services/T/B/other\r\n")
    assert [(c.kind, c.label) for c in channels] == [("slack", "slack"), ("discord", "discord"), ("slack", "slack#2")]
    assert SECRET not in repr(channels)


@pytest.mark.parametrize(("text", "says"), [
    (f"mattermost={SECRET}", "line 1: unknown channel 'mattermost'"),
    (SECRET, "line 1 has no '='"),
    ("slack=hooks.slack.com/services/T000/B000/s3cr3tT0k3n", "line 1 (slack): the URL must be an http(s) URL"),
    (f"\nslack={SECRET} extra", "line 2 (slack)"),
    ("teams=file:///etc/passwd", "http(s) URL"),
])
def test_a_bad_line_is_named_by_number_and_never_quoted(text: str, says: str) -> None:
    with pytest.raises(ChannelProblem) as caught:
        parse_channels(text)
    assert says in str(caught.value)
    assert "s3cr3tT0k3n" not in str(caught.value) and "passwd" not in str(caught.value)


def test_the_url_and_its_token_path_are_both_masked() -> None:
    assert secret_parts(SECRET) == [SECRET, "/services/T000/B000/s3cr3tT0k3n"]
    assert secret_parts("https://x.example/?key=abcdefgh") == ["https://x.example/?key=abcdefgh", "/?key=abcdefgh"]


def test_templates_by_channel() -> None:
    assert parse_templates(["slack=.ci/slack.j2", "teams = t.j2"]) == {"slack": ".ci/slack.j2", "teams": "t.j2"}
    for bad, says in ((["irc=x.j2"], "unknown channel"), (["slack"], "CHANNEL=PATH"),
                      (["slack=a", "slack=b"], "a second template")):
        with pytest.raises(ValueError, match=says):
            parse_templates(bad)


@pytest.mark.parametrize(("notify_on", "outcome", "previous", "wanted"), [
    ("always", "success", None, True),
    ("failure", "failure", None, True),
    ("failure", "success", None, False),
    ("failure", "cancelled", None, False),
    ("success", "success", None, True),
    ("change", "failure", "success", True),
    ("change", "success", "success", False),
    ("change", "success", None, True),
])
def test_notify_on(notify_on: str, outcome: str, previous: str | None, wanted: bool) -> None:
    assert should_notify(notify_on, outcome, previous)[0] is wanted


def test_a_url_may_be_a_variable_read_from_the_environment() -> None:
    text = "slack=$SLACK_WEBHOOK\nteams=${TEAMS_URL}"
    assert [c.url for c in parse_channels(text)] == ["$SLACK_WEBHOOK", "${TEAMS_URL}"]  # the input alone: as written
    environ = {"SLACK_WEBHOOK": f" {SECRET} ", "TEAMS_URL": "https://example.webhook.office.com/w/1"}
    assert [c.url for c in parse_channels(text, environ)] == [SECRET, "https://example.webhook.office.com/w/1"]
    with pytest.raises(ChannelProblem, match=r"line 2 \(teams\): the variable TEAMS_URL is not set or empty"):
        parse_channels(text, {"SLACK_WEBHOOK": SECRET})
    with pytest.raises(ChannelProblem) as caught:
        parse_channels(text, {"SLACK_WEBHOOK": "hooks.slack.com/s3cr3tT0k3n", "TEAMS_URL": "x"})
    assert "line 1 (slack): the URL must be" in str(caught.value) and "s3cr3t" not in str(caught.value)


def test_a_secret_notify_value_masks_each_url_alone_but_not_a_short_value() -> None:
    import io

    from deploy_actions.core.platform import GitHubReporter

    out = io.StringIO()
    reporter = GitHubReporter(out, {})
    reporter.mask(f"slack={SECRET}\nFLAG=true")  # what the CLI does with a secret input, before it is checked
    reporter.info(f"posting to {SECRET}, FLAG is true")
    assert f"::add-mask::{SECRET}" in out.getvalue().splitlines()
    assert out.getvalue().splitlines()[-1] == "posting to ***, FLAG is true"
