"""The urls input's lines and the expectations an answer is judged by."""

from __future__ import annotations

import pytest

from deploy_actions.verify.urls import Answer, UrlCheck, json_value, judge, parse_url_line


def test_a_line_with_every_kind_of_expectation() -> None:
    check = parse_url_line('https://api.example.com:8443/health expect-status=200,2xx expect-body="all good" '
                           "expect-body=/v\\d+/ expect-json=status=UP expect-json=items[0].id=3 expect-version", "1.4")
    assert check == UrlCheck("https://api.example.com:8443/health", ("200", "2xx"), ("all good",), (r"v\d+",),
                             (("status", "UP"), ("items[0].id", "3")), "1.4")


@pytest.mark.parametrize(("line", "says"), [
    ("api.example.com/health", "not an http(s) URL"),
    ("ftp://api.example.com/", "not an http(s) URL"),
    ("http://:80/", "not an http(s) URL"),
    ("http://api:99999/", "invalid port"),
    ("https://api/ expect-staus=200", "unknown expectation 'expect-staus'; use expect-status"),
    ("https://api/ expect-status=ok", "expect-status=ok: give HTTP statuses"),
    ("https://api/ expect-status", "expect-status needs a value"),
    ("https://api/ expect-body=/(/", "not a valid regular expression"),
    ("https://api/ expect-json=status", "write PATH=VALUE"),
    ("https://api/ expect-json=a..b=1", "write PATH=VALUE"),
    ("https://api/ expect-version", "needs the version input"),
    ('https://api/ expect-body="open', "close the quote"),
])
def test_a_bad_line_says_what_and_how(line: str, says: str) -> None:
    with pytest.raises(ValueError, match=says.replace("(", r"\(").replace(")", r"\)")):
        parse_url_line(line, None)


def test_json_paths() -> None:
    document = {"status": "UP", "components": {"db": {"status": "DOWN"}}, "items": [{"id": 3}], "ok": True}
    assert json_value(document, "components.db.status") == (True, "DOWN")
    assert json_value(document, "items[0].id") == (True, 3)
    assert json_value(document, "items[1].id") == (False, None)
    assert json_value(document, "status.x") == (False, None)


def answer(status: int | None, body: str = "") -> Answer:
    return Answer(status, body, 1.0, error="" if status else "connection refused")


@pytest.mark.parametrize(("check", "got", "problems"), [
    (UrlCheck("u"), answer(204), []),
    (UrlCheck("u"), answer(301), ["status 301, expected 2xx"]),
    (UrlCheck("u", statuses=("503",)), answer(503), []),
    (UrlCheck("u"), answer(None), ["connection refused"]),
    (UrlCheck("u", body=("UP",)), answer(200, "DOWN"), ["body lacks 'UP'"]),
    (UrlCheck("u", body_patterns=(r"^v\d",)), answer(200, "v2"), []),
    (UrlCheck("u", json_fields=(("status", "UP"), ("n", "3"), ("ok", "true"))),
     answer(200, '{"status": "UP", "n": 3, "ok": true}'), []),
    (UrlCheck("u", json_fields=(("status", "UP"),)), answer(200, '{"status": "DOWN"}'), ["status=DOWN, expected UP"]),
    (UrlCheck("u", json_fields=(("status", "UP"),)), answer(200, "<html>"), ["body is not JSON"]),
    (UrlCheck("u", json_fields=(("a.b", "1"),)), answer(200, "{}"), ["a.b missing"]),
    (UrlCheck("u", version="1.2"), answer(200, "version: 1.2\n"), []),
    (UrlCheck("u", version="1.2"), answer(200, '{"version": "1.2"}'), []),
    (UrlCheck("u", version="1.2"), answer(200, "version: 1.20"), ["version 1.2 not served (body: 'version: 1.20')"]),
    (UrlCheck("u", version="1.2"), answer(200, "version: 1.2.1"), ["version 1.2 not served (body: 'version: 1.2.1')"]),
])
def test_judge(check: UrlCheck, got: Answer, problems: list[str]) -> None:
    assert judge(check, got).problems == problems
