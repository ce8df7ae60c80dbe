"""CloudWatch Logs filter patterns: every example AWS documents, matched as the documentation says.

Sources (cited per case):
- [current] "Filter pattern syntax for metric filters, subscription filters, filter log events, and
  Live Tail" (docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html) and its
  sections on unstructured, JSON and space-delimited log events and "Supported regular expressions".
- [2020] the same page as published before (awsdocs/amazon-cloudwatch-logs-user-guide,
  doc_source/FilterAndPatternSyntax.md): "Matching Terms in Log Events", "OR Pattern Matching", "JSON
  Metric Filter Examples", "JSON Compound Conditions", "JSON Special Considerations", "Numeric
  Comparisons", "Using Metric Filters to Extract Values from Space-Delimited Log Events".
- [observed] answers of real AWS recorded in public test suites and reports (TestMetricFilter probes;
  awsdocs issue #21; a Terraform error report), where the documentation says nothing.
"""

from __future__ import annotations

import json

import pytest

from deploy_actions.emulator.logs.patterns import InvalidFilterPattern, compile_pattern, extracted_values


def matching(pattern: str, messages: list[str]) -> list[str]:
    compiled = compile_pattern(pattern)
    return [m for m in messages if compiled.matches(m)]


# [current] "Matching terms in unstructured log events": the example log events.
HTTP_ERRORS = [
    "[ERROR 400] BAD REQUEST",
    "[ERROR 401] UNAUTHORIZED REQUEST",
    "[ERROR 419] MISSING ARGUMENTS",
    "[ERROR 420] INVALID ARGUMENTS",
    "[ERROR 500] INTERNAL SERVER ERROR",
    "[SUCCESS 200] AUTHORIZED REQUEST",
]
# [2020] "OR Pattern Matching": the three example events.
OR_EVENTS = ["ERROR WARN message", "ERROR message", "WARN message"]
# [2020] "Matching Terms in Log Events", examples 1 to 3.
JAVA_EVENTS = [
    "[ERROR] A fatal exception has occurred",
    "Exiting with ERRORCODE: -1",
    "[ERROR] Caught IllegalArgumentException",
    "[ERROR] Unhandled Exception",
    "[WARN] Failed to process the request",
    "[ERROR] Unable to continue: Failed to process the request",
]

UNSTRUCTURED = [
    # [current] single term, multiple terms, exact phrase, include and exclude, everything, regex
    ("ERROR", HTTP_ERRORS, HTTP_ERRORS[:5]),
    ("ERROR ARGUMENTS", HTTP_ERRORS, HTTP_ERRORS[2:4]),
    ("?ARGUMENTS ?REQUEST", HTTP_ERRORS, [HTTP_ERRORS[i] for i in (0, 1, 2, 3, 5)]),
    ('"INTERNAL SERVER ERROR"', HTTP_ERRORS, [HTTP_ERRORS[4]]),
    ("ERROR -ARGUMENTS", HTTP_ERRORS, [HTTP_ERRORS[i] for i in (0, 1, 4)]),
    ('" "', HTTP_ERRORS, HTTP_ERRORS),
    ("%AUTHORIZED%", HTTP_ERRORS, [HTTP_ERRORS[1], HTTP_ERRORS[5]]),
    # terms are case-sensitive ([current]: "Filter patterns are case sensitive")
    ("error", HTTP_ERRORS, []),
    # [2020] OR Pattern Matching
    ("ERROR", OR_EVENTS, OR_EVENTS[:2]),
    ("?ERROR ?WARN", OR_EVENTS, OR_EVENTS),
    ("ERROR WARN", OR_EVENTS, OR_EVENTS[:1]),
    ("ERROR -WARN", OR_EVENTS, OR_EVENTS[1:2]),
    # [2020] Example 1: a term matches inside a word (ERRORCODE); example 2 writes the exclusion "- term"
    ('"ERROR"', JAVA_EVENTS[:2], JAVA_EVENTS[:2]),
    ('"ERROR" - "Exiting"', JAVA_EVENTS[:2], JAVA_EVENTS[:1]),
    # [2020] Example 3: multiple terms (IllegalArgumentException contains Exception)
    ("ERROR Exception", JAVA_EVENTS, JAVA_EVENTS[2:4]),
    ("Failed to process the request", JAVA_EVENTS, JAVA_EVENTS[4:6]),
    # the empty pattern matches every event (FilterLogEvents without filterPattern)
    ("", OR_EVENTS, OR_EVENTS),
]


@pytest.mark.parametrize(("pattern", "messages", "expected"), UNSTRUCTURED, ids=[c[0] or "empty" for c in UNSTRUCTURED])
def test_unstructured_terms_match_as_documented(pattern: str, messages: list[str], expected: list[str]) -> None:
    assert matching(pattern, messages) == expected


# [current] AWS's CDK (aws-logs FilterPattern.anyTermGroup) writes "lines that either contain both ERROR and
# MainThread, or both WARN and Deadlock" as ?"ERROR" "MainThread" ?"WARN" "Deadlock": a ? starts an alternative
# and the terms after it belong to it.
THREADS = ["ERROR in MainThread", "ERROR in worker-3", "WARN Deadlock detected", "WARN slow MainThread"]
TERM_GROUPS = [
    ('?"ERROR" "MainThread" ?"WARN" "Deadlock"', THREADS, [THREADS[0], THREADS[2]]),
    ('?"ERROR" ?"Deadlock"', THREADS, THREADS[:3]),  # FilterPattern.anyTerm
    ('"ERROR" "MainThread"', THREADS, THREADS[:1]),  # FilterPattern.allTerms
    # an exclusion belongs to the alternative it follows
    ("?ERROR -worker ?WARN -slow", THREADS, [THREADS[0], THREADS[2]]),
    ("?ERROR ?WARN -slow", THREADS, THREADS[:3]),
    # quoteTerm escapes " and \ with a backslash
    ('"say \\"hi\\""', ['they say "hi"', "they say hi"], ['they say "hi"']),
]


@pytest.mark.parametrize(("pattern", "messages", "expected"), TERM_GROUPS, ids=[c[0] for c in TERM_GROUPS])
def test_term_groups_read_as_aws_cdk_writes_them(pattern: str, messages: list[str], expected: list[str]) -> None:
    assert matching(pattern, messages) == expected


def test_or_terms_and_an_exclusion_scan_a_deployment_log() -> None:
    lines = ["[stdout]ERROR boom", "[stdout]FATAL out of memory", "[stdout]GET /healthcheck ERROR 503",
             "[stdout]all good"]
    assert matching("?ERROR ?FATAL", lines) == lines[:3]
    assert matching("ERROR -healthcheck", lines) == lines[:1]
    assert matching("?ERROR -healthcheck ?FATAL -healthcheck", lines) == lines[:2]
    assert matching("-healthcheck", lines) == [lines[0], lines[1], lines[3]]


# [2020] "JSON Metric Filter Examples": the example event and the filters that match it.
TRAIL = json.dumps({
    "eventType": "UpdateTrail", "sourceIPAddress": "111.111.111.111", "arrayKey": ["value", "another value"],
    "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}], "SomeObject": None, "ThisFlag": True,
})
# [2020] "JSON Compound Conditions": the example event.
USERS = json.dumps({
    "user": {"id": 1, "email": "John.Stiles@example.com"},
    "users": [{"id": 2, "email": "John.Doe@example.com"}, {"id": 3, "email": "Jane.Doe@example.com"}],
    "actions": ["GET", "PUT", "DELETE"],
    "coordinates": [[0, 1, 2], [4, 5, 6], [7, 8, 9]],
})
# [2020] "Numeric Comparisons": an event the examples' selectors reach.
METRICS = json.dumps({
    "latency": 500, "numbers": [5], "errorCode": 400,
    "processes": [{"averageRuntime": 1}, {}, {}, {}, {"averageRuntime": 55.5}],
})
# [observed] TestMetricFilter on real AWS with this event (a public test suite of a JSON filter library).
PROBE = json.dumps({
    "someString": "111.111.111.111", "emptyString": "", "someInt": 123, "someFloat": 12.34,
    "someObject": {}, "someArray": [], "someNull": None,
}).replace("12.34", "12.34, \"someFloat2\": 12.0")

JSON_CASES = [
    # [2020] JSON Metric Filter Examples: all match the example event
    ('{ $.eventType = "UpdateTrail" }', TRAIL, True),
    ("{ $.sourceIPAddress != 123.123.* }", TRAIL, True),
    ('{ $.arrayKey[0] = "value" }', TRAIL, True),
    ("{ $.objectList[1].id = 2 }", TRAIL, True),
    ("{ $.SomeObject IS NULL }", TRAIL, True),
    ("{ $.SomeOtherObject NOT EXISTS }", TRAIL, True),
    ("{ $.ThisFlag IS TRUE }", TRAIL, True),
    ("{ $.ThisFlag IS FALSE }", TRAIL, False),  # "This also works for boolean filters which check for FALSE"
    ('{ $.objectList[1].number = 2 }', TRAIL, False),  # [observed] no such property
    ('{ $.ThisFlag[0] = "value" }', TRAIL, False),  # [observed] not an array
    # [2020] JSON Compound Conditions
    ('{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', USERS, True),
    ('{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }', USERS, False),
    ('{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch && $.actions[2] = nomatch }',
     USERS, True),
    ('{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch) && $.actions[2] = nomatch }',
     USERS, False),
    # [2020] JSON Special Considerations: a selector reaching an array satisfies neither = nor !=
    ("{$.users = 1}", json.dumps({"users": [1, 2, 3]}), False),
    ("{$.users != 1}", json.dumps({"users": [1, 2, 3]}), False),
    # [2020] Numeric Comparisons
    ("{ $.latency >= 500 }", METRICS, True),
    ("{ $.numbers[0] < 10e3 }", METRICS, True),
    ("{ $.numbers[0] < 10e-3 }", METRICS, False),
    ("{ $.processes[4].averageRuntime <= 55.5 }", METRICS, True),
    ("{ $.errorCode = 400 }", METRICS, True),
    ("{ $.errorCode != 500 }", METRICS, True),
    ("{ $.latency > +1000 }", METRICS, False),
    # [2020] "Publishing Numerical Values Found in Log Entries": { $.latency = * } matches any latency
    ("{ $.latency = * }", METRICS, True),
    ("{ $.latency = * }", TRAIL, False),
    # [2020] STRING: *Event matches PutEvent and GetEvent, Event* EventId and EventName, Ev*ent only Ev*ent
    ("{ $.name = *Event }", json.dumps({"name": "PutEvent"}), True),
    ("{ $.name = *Event }", json.dumps({"name": "GetEvent"}), True),
    ("{ $.name = Event* }", json.dumps({"name": "EventId"}), True),
    ("{ $.name = Event* }", json.dumps({"name": "EventName"}), True),
    ("{ $.name = Ev*ent }", json.dumps({"name": "Event"}), False),
    ("{ $.name = Ev*ent }", json.dumps({"name": "Ev*ent"}), True),
    # [2020] OR Pattern Matching in JSON filters
    ("{$.foo = bar}", json.dumps({"foo": "bar"}), True),
    ("{$.foo = bar}", json.dumps({"foo": "baz"}), False),
    ("{$.foo = baz }", json.dumps({"foo": "baz"}), True),
    ("{$.foo = bar || $.foo = baz }", json.dumps({"foo": "bar"}), True),
    ("{$.foo = bar || $.foo = baz }", json.dumps({"foo": "baz"}), True),
    # [current] regex in a JSON pattern
    ("{ $.eventType = %Update[A-Z]% }", TRAIL, True),
    ("{ $.eventType != %^Update% }", TRAIL, False),
    # [observed] numbers compare as numbers with an unquoted number, as their written text otherwise
    ("{ $.someInt = 123.0 }", PROBE, True),
    ('{ $.someInt = "123" }', PROBE, True),
    ('{ $.someInt != "123.0" }', PROBE, True),
    ("{ $.someFloat2 = 12 }", PROBE, True),
    ('{ $.someFloat2 != "12" }', PROBE, True),
    ("{ $.someInt = 12* }", PROBE, True),
    ('{ $.someFloat = "*.34" }', PROBE, True),
    ("{ $.someInt != 123 }", PROBE, False),
    ('{ $.someInt = "123.00" }', PROBE, False),
    # [observed] strings: * inside a string is itself; "*" matches the empty string; ordering never matches text
    ("{ $.someString != 111*111 }", PROBE, True),
    ('{ $.emptyString = "*" }', PROBE, True),
    ("{ $.someString != 111 }", PROBE, True),
    ("{ $.someString = 123 }", PROBE, False),
    ("{ $.someString > 123 }", PROBE, False),
    ("{ $.someString <= 123 }", PROBE, False),
    # [observed] an object satisfies no comparison
    ("{ $.someObject = 123 }", PROBE, False),
    ("{ $.someObject != 123 }", PROBE, False),
    ('{ $.someObject != "non-number-like" }', PROBE, False),
    ('{ $.someArray = "someString" }', PROBE, False),
    ("{ $.someNull IS NULL }", PROBE, True),
    ("{ $.someInt IS NULL }", PROBE, False),
    # a message that is not JSON matches no JSON pattern
    ("{ $.level = * }", "level=ERROR not json", False),
]


@pytest.mark.parametrize(("pattern", "message", "expected"), JSON_CASES, ids=[c[0] for c in JSON_CASES])
def test_json_patterns_match_as_documented(pattern: str, message: str, expected: bool) -> None:
    assert compile_pattern(pattern).matches(message) is expected


def test_a_pretty_printed_json_event_is_read_whole() -> None:
    # [observed] the TestMetricFilter probes sent the example event indented over many lines
    assert compile_pattern("{ $.objectList[1].id    = 2 }").matches(json.dumps(json.loads(TRAIL), indent=4))


# [2020] "Using Metric Filters to Extract Values from Space-Delimited Log Events": the example events.
APACHE = [
    '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534',
    '127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /apache_pb.gif HTTP/1.0" 500 5324',
    '127.0.0.1 - frank [10/Oct/2000:13:50:35 -0700] "GET /apache_pb.gif HTTP/1.0" 200 4355',
    '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534',
    '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 403 1534',
]

DELIMITED = [
    ("[ip, user, username, timestamp, request, status_code, bytes]", APACHE, APACHE),
    ("[..., status_code, bytes]", APACHE, APACHE),
    ("[ip, user, ..., status_code, bytes]", APACHE, APACHE),
    ("[ip, user, ...]", APACHE, APACHE),
    ("[ip, user, username, timestamp, request, status_code, bytes > 1000]", APACHE, APACHE),
    ("[ip, user, username, timestamp, request, status_code = 200, bytes]", APACHE, [APACHE[0], APACHE[2]]),
    ("[ip, user, username, timestamp, request, status_code = 4*, bytes]", APACHE, APACHE[3:]),
    ("[ip, user, username, timestamp, request = *html*, status_code = 4*, bytes]", APACHE, APACHE[3:]),
    ("[ip, user, username, timestamp, request, status_code = 4* && status_code != 403, bytes]", APACHE,
     [APACHE[3]]),
    ("[ip, user, username, timestamp, request, status_code = 5*, bytes]", APACHE, [APACHE[1]]),
    ("[..., request=*.html*, status_code=4*,]", APACHE, APACHE[3:]),
    ("[ip, user, username, timestamp, request, status_code, bytes > 5000]", APACHE, [APACHE[1]]),
    # fewer pattern fields than message fields, without ..., match nothing
    ("[ip, user, username, timestamp, request, status_code]", APACHE, []),
    # [2020] OR Pattern Matching in space-delimited filters: the field count must agree
    ("[w1=ERROR, w2]", OR_EVENTS, [OR_EVENTS[1]]),
    ("[w1=ERROR || w1=WARN, w2]", OR_EVENTS, OR_EVENTS[1:]),
    # [current] regex in a field
    ("[..., status_code = %^5%, bytes]", APACHE, [APACHE[1]]),
]


@pytest.mark.parametrize(("pattern", "messages", "expected"), DELIMITED, ids=[c[0] for c in DELIMITED])
def test_space_delimited_patterns_match_as_documented(pattern: str, messages: list[str], expected: list[str]) -> None:
    assert matching(pattern, messages) == expected


def test_space_delimited_fields_are_extracted_by_name_or_position() -> None:
    # [2020] the extracted fields of the example (the page shows "GET /products/index.html" for a message
    # that says "GET /index.html": the message's own text is what a field holds)
    pattern = compile_pattern("[..., request=*.html*, status_code=4*,]")
    assert extracted_values(pattern, APACHE[3]) == {
        "$1": "127.0.0.1", "$2": "-", "$3": "frank", "$4": "10/Oct/2000:13:25:15 -0700",
        "$request": "GET /index.html HTTP/1.0", "$status_code": "404", "$7": "1534",
    }
    assert extracted_values(compile_pattern("ERROR"), "ERROR x") == {}


REGEX = [
    # [current] Supported regular expressions: the documented examples
    (r"%\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}%", ["from 10.0.12.7 port 22", "from localhost"], ["from 10.0.12.7 port 22"]),
    ("%[Ee]rror|[Ff]ail%", ["Error: x", "error: y", "Fail z", "fail w", "ok"], ["Error: x", "error: y", "Fail z",
                                                                              "fail w"]),
    ("%^ERROR%", ["ERROR first", "then ERROR"], ["ERROR first"]),
    ("%colou?r%", ["color", "colour", "colr"], ["color", "colour"]),
]


@pytest.mark.parametrize(("pattern", "messages", "expected"), REGEX, ids=[c[0] for c in REGEX])
def test_regex_patterns_match_as_documented(pattern: str, messages: list[str], expected: list[str]) -> None:
    assert matching(pattern, messages) == expected


INVALID = [
    # [current] regex: "%something!% would be rejected since '!' is not supported"; no ( ); no multi-byte
    "%something!%",
    "%(ERROR|WARN)%",
    "%erreur é%",
    "%%",
    # [current] "a limit of 2 regex for each filter pattern when creating a delimited or JSON filter pattern"
    "{ $.a = %x% || $.b = %y% || $.c = %z% }",
    "[a = %x%, b = %y%, c = %z%]",
    # [observed] awsdocs issue #21: AWS refuses the page's own example with && across two fields
    "[ip, user, username, timestamp, request, status_code = 4* && bytes > 1000]",
    # [observed] a string compared with an ordering operator, quoted or not
    '{ $.someString > "quoted_string" }',
    "{ $.someString >= unquoted_string }",
    '{ $.someString < "123" }',
    # [observed] a pattern that does not start with { is not JSON: here a term with characters needing quotes
    " {$.ThisFlag IS TRUE} ",
    # [observed] quoted terms joined by a bare colon (a Terraform report: "Invalid metric filter pattern")
    '"event": "x"',
    # [2020] terms with characters other than alphanumeric or underscore must be in double quotes
    "ERROR:",
    # broken structure
    '"unterminated',
    "{ $.level = ERROR",
    "{ }",
    "{ level = ERROR }",
    "{ $.level }",
    "{ $.level IS MAYBE }",
    "{ ($.a = 1 }",
    "{ $.a = 1 && }",
    '{ $.a = "x }',
    "[a, b",
    "[]",
    "[a = ]",
    "[a ~ 1]",
    "ERROR -",
]


@pytest.mark.parametrize("pattern", INVALID)
def test_invalid_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(InvalidFilterPattern) as refused:
        compile_pattern(pattern)
    assert str(refused.value).startswith("Invalid filter pattern")
