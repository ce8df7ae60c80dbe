"""Tag rules against every example in docker/metadata-action's README: same rules, same event, same tags."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from deploy_actions.image.tags import (
    GitRef,
    RuleError,
    compute_labels,
    compute_tags,
    parse_flavor,
    parse_rule,
    parse_rules,
)

SHA = "860c1904a1ce19322e91ac35af1ab07466440c37"
NOW = datetime(2020, 1, 10, 0, 30, tzinfo=UTC)
METADATA_DEFAULTS = ["type=schedule", "type=ref,event=branch", "type=ref,event=tag", "type=ref,event=pr"]
SEMVER_RULES = ["type=ref,event=branch", "type=ref,event=pr", "type=semver,pattern={{version}}",
                "type=semver,pattern={{major}}.{{minor}}"]


def tags(rules: list[str], ref: str = "refs/heads/master", *, flavor: list[str] | None = None,
         **git: object) -> list[str]:
    context = GitRef(ref=ref, sha=str(git.pop("sha", SHA)), default_branch=str(git.pop("default_branch", "master")),
                     now=NOW, **git)  # type: ignore[arg-type]
    return compute_tags(parse_rules(rules), parse_flavor(flavor or []), context).tags


# README "Basic": no tags input, metadata-action's defaults.
@pytest.mark.parametrize(("event", "ref", "expected"), [
    ("pull_request", "refs/pull/2/merge", ["pr-2"]),
    ("push", "refs/heads/master", ["master"]),
    ("push", "refs/heads/releases/v1", ["releases-v1"]),
    ("push", "refs/tags/v1.2.3", ["v1.2.3", "latest"]),
    ("push", "refs/tags/v2.0.8-beta.67", ["v2.0.8-beta.67", "latest"]),
    ("workflow_dispatch", "refs/heads/master", ["master"]),
])
def test_basic_usage_table(event: str, ref: str, expected: list[str]) -> None:
    assert tags(METADATA_DEFAULTS, ref, event=event) == expected


# README "Semver".
@pytest.mark.parametrize(("event", "ref", "expected"), [
    ("pull_request", "refs/pull/2/merge", ["pr-2"]),
    ("push", "refs/heads/master", ["master"]),
    ("push", "refs/heads/releases/v1", ["releases-v1"]),
    ("push", "refs/tags/v1.2.3", ["1.2.3", "1.2", "latest"]),
    ("push", "refs/tags/v2.0.8-beta.67", ["2.0.8-beta.67"]),  # latest=auto: never for a pre-release
])
def test_semver_usage_table(event: str, ref: str, expected: list[str]) -> None:
    assert tags(SEMVER_RULES, ref, event=event) == expected


def test_bake_example_adds_the_short_sha_below_the_versions() -> None:
    assert tags([*SEMVER_RULES, "type=sha"], "refs/tags/v1.2.3", sha="90dd6032fac8bda1b6c4436a2e65de27961ed071") == [
        "1.2.3", "1.2", "sha-90dd603", "latest"]


# type=schedule
@pytest.mark.parametrize(("rule", "expected"), [
    ("type=schedule", "nightly"),
    ("type=schedule,pattern=nightly", "nightly"),
    ("type=schedule,pattern={{date 'YYYYMMDD'}}", "20200110"),
    ("type=schedule,pattern={{date 'YYYYMMDD-HHmmss' tz='Asia/Tokyo'}}", "20200110-093000"),
])
def test_schedule_patterns(rule: str, expected: str) -> None:
    assert tags([rule], event="schedule") == [expected]


def test_schedule_makes_nothing_outside_a_scheduled_run() -> None:
    assert tags(["type=schedule"], event="push") == []


# type=semver table
@pytest.mark.parametrize(("git_tag", "pattern", "match", "expected"), [
    ("v1.2.3", "{{raw}}", "", "v1.2.3"),
    ("v1.2.3", "{{version}}", "", "1.2.3"),
    ("v1.2.3", "{{major}}.{{minor}}", "", "1.2"),
    ("v1.2.3", "v{{major}}", "", "v1"),
    ("v1.2.3", "{{minor}}", "", "2"),
    ("v1.2.3", "{{patch}}", "", "3"),
    ("p1/v1.2.3", "{{version}}", r"v(\d.\d.\d)$", "1.2.3"),
    ("v2.0.8-beta.67", "{{raw}}", "", "v2.0.8-beta.67"),
    ("v2.0.8-beta.67", "{{version}}", "", "2.0.8-beta.67"),
    ("v2.0.8-beta.67", "{{major}}", "", "2.0.8-beta.67"),
    ("v2.0.8-beta.67", "{{major}}.{{minor}}", "", "2.0.8-beta.67"),
])
def test_semver_patterns(git_tag: str, pattern: str, match: str, expected: str) -> None:
    rule = f"type=semver,pattern={pattern}" + (f",match={match}" if match else "")
    made = tags([rule], f"refs/tags/{git_tag}")
    assert made[0] == expected
    assert ("latest" in made) is ("beta" not in git_tag)


def test_semver_with_a_value_works_on_a_branch_and_an_invalid_tag_makes_nothing() -> None:
    assert tags(["type=semver,pattern={{version}},value=v1.0.0"]) == ["1.0.0", "latest"]
    assert tags(["type=semver,pattern={{version}},value=p1/v1.0.0,match=v(\\d.\\d.\\d)$"]) == ["1.0.0", "latest"]
    assert tags(["type=semver,pattern={{version}}"], "refs/tags/release1") == []
    assert tags(["type=semver,pattern={{version}}"], "refs/heads/master") == []


# type=pep440 table
@pytest.mark.parametrize(("git_tag", "pattern", "match", "expected"), [
    ("1.2.3", "{{raw}}", "", "1.2.3"),
    ("1.2.3", "{{version}}", "", "1.2.3"),
    ("v1.2.3", "{{version}}", "", "1.2.3"),
    ("1.2.3", "{{major}}.{{minor}}", "", "1.2"),
    ("1.2.3", "v{{major}}", "", "v1"),
    ("v1.2.3rc2", "{{raw}}", "", "v1.2.3rc2"),
    ("1.2.3rc2", "{{version}}", "", "1.2.3rc2"),
    ("p1/v1.2.3", "{{version}}", r"v(\d.\d.\d)$", "1.2.3"),
    ("1.2.3rc2", "{{major}}.{{minor}}", "", "1.2.3rc2"),
    ("1.2.3post1", "{{major}}.{{minor}}", "", "1.2.3.post1"),
    ("1.2.3beta2", "{{major}}.{{minor}}", "", "1.2.3b2"),
    ("1.0dev4", "{{major}}.{{minor}}", "", "1.0.dev4"),
])
def test_pep440_patterns(git_tag: str, pattern: str, match: str, expected: str) -> None:
    rule = f"type=pep440,pattern={pattern}" + (f",match={match}" if match else "")
    made = tags([rule], f"refs/tags/{git_tag}")
    assert made[0] == expected
    final = not any(word in git_tag for word in ("rc", "post", "beta", "dev"))
    assert ("latest" in made) is final


# type=match table
@pytest.mark.parametrize(("git_tag", "pattern", "group", "expected"), [
    ("v1.2.3", r"\d.\d.\d", "0", "1.2.3"),
    ("v2.0.8-beta.67", "v(.*)", "1", "2.0.8-beta.67"),
    ("v2.0.8-beta.67", r"v(\d.\d)", "1", "2.0"),
    ("20200110-RC2", r"\d+", "0", "20200110"),
    ("p1/v1.2.3", r"p1/v(\d.\d.\d)", "1", "1.2.3"),
])
def test_match_patterns(git_tag: str, pattern: str, group: str, expected: str) -> None:
    assert tags([f"type=match,pattern={pattern},group={group}"], f"refs/tags/{git_tag}") == [expected, "latest"]


# type=edge
def test_edge_on_the_default_branch_only() -> None:
    assert tags(["type=edge"], "refs/heads/master") == ["edge"]
    assert tags(["type=edge"], "refs/heads/dev") == []
    assert tags(["type=edge,branch=main"], "refs/heads/main") == ["edge"]
    assert tags(["type=edge,branch=main"], "refs/heads/master") == []


# type=ref table
@pytest.mark.parametrize(("event", "ref", "expected"), [
    ("pull_request", "refs/pull/2/merge", "pr-2"),
    ("push", "refs/heads/master", "master"),
    ("push", "refs/heads/my/branch", "my-branch"),
    ("push", "refs/tags/v1.2.3", "v1.2.3"),
    ("push", "refs/tags/v2.0.8-beta.67", "v2.0.8-beta.67"),
    ("workflow_dispatch", "refs/heads/master", "master"),
])
def test_ref_table(event: str, ref: str, expected: str) -> None:
    made = tags(["type=ref,event=branch", "type=ref,event=tag", "type=ref,event=pr"], ref, event=event)
    assert made[0] == expected


# type=raw
@pytest.mark.parametrize("rules", [
    ["type=raw,value=foo", "type=raw,value=bar"], ["type=raw,foo", "type=raw,bar"], ["foo", "bar"],
])
def test_raw_spellings(rules: list[str]) -> None:
    assert tags(rules) == ["foo", "bar"]


# type=sha
def test_sha_short_long_and_longer_short() -> None:
    assert tags(["type=sha"]) == ["sha-860c190"]
    assert tags(["type=sha,format=long"]) == [f"sha-{SHA}"]
    assert tags(["type=sha"], short_sha_length=12) == ["sha-860c1904a1ce"]
    assert tags(["type=sha,prefix=,suffix=-x"]) == ["860c190-x"]


def test_sha_of_a_pull_request_head_when_given_instead_of_the_merge_commit() -> None:
    assert tags(["type=sha"], "refs/pull/2/merge", sha="ffac537e6cbbf934b08745a378932722df287a53") == [
        "sha-ffac537"]


# Latest tag
def test_latest_for_the_default_branch_with_raw_and_is_default_branch() -> None:
    rules = ["type=ref,event=branch", "type=raw,value=latest,enable={{is_default_branch}}"]
    assert tags(rules, "refs/heads/master") == ["master", "latest"]
    assert tags(rules, "refs/heads/dev") == ["dev"]
    assert tags(rules, "refs/heads/dev", event="schedule") == ["dev", "latest"]  # GitHub runs schedules on default


def test_latest_auto_is_decided_by_the_highest_priority_tag() -> None:
    # A tag push: semver (900) comes first and decides; a pre-release never gets latest, even with ref,event=tag
    assert tags(["type=ref,event=tag", "type=semver,pattern={{version}}"], "refs/tags/v2.0.8-beta.67") == [
        "2.0.8-beta.67", "v2.0.8-beta.67"]
    assert tags(["type=ref,event=tag", "type=semver,pattern={{version}}"], "refs/tags/v2.0.8") == [
        "2.0.8", "v2.0.8", "latest"]


def test_flavor_latest_true_and_false() -> None:
    assert tags(["type=ref,event=branch"], flavor=["latest=true"]) == ["master", "latest"]
    assert tags(["type=ref,event=tag"], "refs/tags/v1.2.3", flavor=["latest=false"]) == ["v1.2.3"]


def test_flavor_prefix_and_suffix_on_latest() -> None:
    made = tags(["type=ref,event=tag", "type=sha"], "refs/tags/v1.2.3",
                flavor=["prefix=app-,onlatest=true", "suffix=-slim"])
    assert made == ["app-v1.2.3-slim", "sha-860c190-slim", "app-latest"]


# priority attribute
def test_priorities_order_tags_and_the_first_is_the_version() -> None:
    rules = ["type=sha", "type=raw,value=stable", "type=ref,event=branch"]
    plan = compute_tags(parse_rules(rules), parse_flavor([]), GitRef(ref="refs/heads/master", sha=SHA, now=NOW))
    assert plan.tags == ["master", "stable", "sha-860c190"]
    assert plan.version == "master"
    assert tags(["type=ref,event=branch", "type=sha,priority=2000"]) == ["sha-860c190", "master"]


# Global expressions
def test_global_expressions_in_prefix_and_value() -> None:
    assert tags(["type=sha,prefix={{branch}}-"], "refs/heads/my/branch") == ["my-branch-860c190"]
    assert tags(["type=raw,value=mytag-{{branch}}-{{sha}}"]) == ["mytag-master-860c190"]


@pytest.mark.parametrize(("ref", "branch", "tag"), [
    ("refs/pull/2/merge", "", ""), ("refs/heads/master", "master", ""), ("refs/heads/my/branch", "my-branch", ""),
    ("refs/tags/v1.2.3", "", "v1.2.3"),
])
def test_branch_and_tag_expressions(ref: str, branch: str, tag: str) -> None:
    assert tags(["type=raw,value=b-{{branch}}", "type=raw,value=t-{{tag}}"], ref) == [f"b-{branch}", f"t-{tag}"]


def test_base_ref_only_on_pull_requests() -> None:
    assert tags(["type=raw,value=to-{{base_ref}}"], "refs/pull/2/merge", base_ref="master") == ["to-master"]
    assert tags(["type=raw,value=to-{{base_ref}}"], "refs/heads/master", base_ref="master") == ["to-"]


@pytest.mark.parametrize(("expression", "expected"), [
    ("{{date 'YYYYMMDD'}}", "20200110"),
    ("{{date 'dddd, MMMM Do YYYY, h:mm:ss a'}}", "Friday, January 10th 2020, 3:25:50 pm"),
    ("{{date 'YYYYMMDD-HHmmss' tz='Asia/Tokyo'}}", "20200110-092550"),
])
def test_date_expressions(expression: str, expected: str) -> None:
    from deploy_actions.image.expressions import date_helper, render

    moment = datetime(2020, 1, 10, 15, 25, 50, tzinfo=UTC) if "dddd" in expression else datetime(
        2020, 1, 10, 0, 25, 50, tzinfo=UTC)
    assert render(expression, {"date": date_helper(moment)}) == expected


def test_commit_date_falls_back_to_now() -> None:
    committed = datetime(2019, 12, 31, 23, 0, tzinfo=UTC)
    assert tags(["type=raw,value={{commit_date 'YYYYMMDD'}}"], commit_time=committed) == ["20191231"]
    assert tags(["type=raw,value={{commit_date 'YYYYMMDD'}}"]) == ["20200110"]


def test_major_version_zero_can_be_left_out() -> None:
    rules = ["type=semver,pattern={{version}}", "type=semver,pattern={{major}}.{{minor}}",
             "type=semver,pattern={{major}},enable=false"]
    assert tags(rules, "refs/tags/v0.1.2") == ["0.1.2", "0.1", "latest"]


def test_duplicates_appear_once() -> None:
    assert tags(["type=ref,event=tag", "type=raw,value=v1.2.3"], "refs/tags/v1.2.3") == ["v1.2.3", "latest"]


# Bad rules: exit 2 material
@pytest.mark.parametrize(("line", "words"), [
    ("type=bogus", "unknown type"),
    ("type=semver", "needs a pattern"),
    ("type=ref", "event=branch"),
    ("type=ref,event=push", "event=branch"),
    ("type=sha,format=medium", "short or long"),
    ("type=raw,value=x,priority=high", "whole number"),
    ("type=raw,value={{brnach}}", "unknown expression"),
    ("type=raw,value=x,enable=yes", "true or false"),
    # A branch run: the semver rule makes nothing here, and its misspelt pattern is refused all the same.
    ("type=semver,pattern={{verison}}", "unknown expression {{verison}} \\(did you mean {{version}}\\?\\)"),
    ("type=raw,value={{brnach}}-x", "did you mean {{branch}}"),
    ("type=pep440,pattern={{major}}.{{prerelease}}", "unknown expression {{prerelease}}"),
    # metadata-action ignores an unknown attribute; a misspelt enable would push the tag it meant to stop.
    ("type=raw,value=x,enabled=false", "unknown attribute 'enabled' \\(did you mean enable\\?\\) for type=raw; "
                                       "known: value, enable"),
    ("type=semvar,pattern={{version}}", "unknown type 'semvar' \\(did you mean semver\\?\\)"),
    ("type=sha,prefx=commit-", "unknown attribute 'prefx'"),
    ("type=ref,event=branch,pattern={{version}}", "unknown attribute 'pattern' for type=ref"),
])
def test_bad_rules_are_refused(line: str, words: str) -> None:
    with pytest.raises(RuleError, match=words):
        compute_tags(parse_rules([line]), parse_flavor([]), GitRef(ref="refs/heads/master", sha=SHA, now=NOW))


@pytest.mark.parametrize("line", ["latest=sometimes", "prefix", "colour=red", "prefix=x,onlatest=maybe"])
def test_bad_flavor_is_refused(line: str) -> None:
    with pytest.raises(RuleError):
        parse_flavor([line])


def test_our_default_rules_add_the_commit_to_metadata_actions() -> None:
    assert tags([], "refs/heads/main") == ["main", "sha-860c190"]
    assert tags([], "refs/tags/v1.2.3") == ["v1.2.3", "sha-860c190", "latest"]
    assert tags([], "refs/pull/7/merge") == ["pr-7", "sha-860c190"]
    assert parse_rule("type=sha").attrs["priority"] == "100"


def test_labels_are_generated_and_overridden_and_sorted() -> None:
    git = GitRef(ref="refs/heads/master", sha=SHA, now=NOW)
    labels = compute_labels({"title": "Hello-World", "revision": SHA, "licenses": ""},
                            {"org.opencontainers.image.title": "MyCustomTitle", "maintainer": "CrazyMax",
                             "built-from": "{{branch}}"}, git)
    assert labels == {"built-from": "master", "maintainer": "CrazyMax",
                      "org.opencontainers.image.revision": SHA, "org.opencontainers.image.title": "MyCustomTitle"}


# Each type's "Extended attributes and default values" line gives what its minimal form gives.
@pytest.mark.parametrize(("minimal", "extended", "ref", "event"), [
    ("type=schedule", "type=schedule,enable=true,priority=1000,prefix=,suffix=,pattern=nightly", "refs/heads/master",
     "schedule"),
    ("type=semver,pattern={{version}}", "type=semver,enable=true,priority=900,prefix=,suffix=,pattern={{version}},"
     "value=,match=", "refs/tags/v1.2.3", "push"),
    ("type=pep440,pattern={{version}}", "type=pep440,enable=true,priority=900,prefix=,suffix=,pattern={{version}},"
     "value=", "refs/tags/1.2.3", "push"),
    ("type=match,pattern=\\d.\\d.\\d", "type=match,enable=true,priority=800,prefix=,suffix=,pattern=\\d.\\d.\\d,"
     "group=0,value=", "refs/tags/v1.2.3", "push"),
    ("type=edge", "type=edge,enable=true,priority=700,prefix=,suffix=,branch=", "refs/heads/master", "push"),
    ("type=ref,event=branch", "type=ref,enable=true,priority=600,prefix=,suffix=,event=branch", "refs/heads/master",
     "push"),
    ("type=ref,event=tag", "type=ref,enable=true,priority=600,prefix=,suffix=,event=tag", "refs/tags/v1.2.3", "push"),
    ("type=ref,event=pr", "type=ref,enable=true,priority=600,prefix=pr-,suffix=,event=pr", "refs/pull/2/merge",
     "pull_request"),
    ("type=raw,value=foo", "type=raw,enable=true,priority=200,prefix=,suffix=,value=foo", "refs/heads/master", "push"),
    ("type=sha", "type=sha,enable=true,priority=100,prefix=sha-,suffix=,format=short", "refs/heads/master", "push"),
])
def test_extended_attributes_spell_out_the_defaults(minimal: str, extended: str, ref: str, event: str) -> None:
    assert tags([minimal], ref, event=event) == tags([extended], ref, event=event) != []


def test_match_with_a_value_instead_of_the_git_tag() -> None:
    assert tags(["type=match,pattern=v(.*),group=1,value=v1.0.0"]) == ["1.0.0", "latest"]


def test_commit_date_formats_like_date() -> None:
    committed = datetime(2020, 1, 10, 15, 25, 50, tzinfo=UTC)
    assert tags(["type=raw,value={{commit_date 'YYYYMMDD-HHmmss' tz='Asia/Tokyo'}}"], commit_time=committed) == [
        "20200111-002550"]
    label = compute_labels({}, {"org.opencontainers.image.created": "{{commit_date 'YYYY-MM-DDTHH:mm:ss.SSS[Z]'}}"},
                           GitRef(ref="refs/heads/master", sha=SHA, commit_time=committed, now=NOW))
    assert label == {"org.opencontainers.image.created": "2020-01-10T15:25:50.000Z"}
