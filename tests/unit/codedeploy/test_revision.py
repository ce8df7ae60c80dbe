from __future__ import annotations

import json
from pathlib import Path

import pytest

from deploy_actions.codedeploy.revision import appspec_revision, parse_revision


def test_package_revision_output_is_taken_as_is() -> None:
    text = json.dumps({"revisionType": "S3", "s3Location": {"bucket": "bkt", "key": "k.zip", "bundleType": "zip",
                                                            "eTag": "e", "version": ""}})
    assert parse_revision(text, None, None, None) == {
        "revisionType": "S3", "s3Location": {"bucket": "bkt", "key": "k.zip", "bundleType": "zip", "eTag": "e"}}


@pytest.mark.parametrize(("url", "bundle"), [("s3://bkt/r/app.zip", "zip"), ("s3://bkt/app.tar.gz", "tgz"),
                                             ("s3://bkt/app.tgz", "tgz"), ("s3://bkt/app.tar", "tar")])
def test_s3_urls_with_bundle_type_from_extension(url: str, bundle: str) -> None:
    location = parse_revision(url, None, '"abc"', "v1")["s3Location"]
    assert location["bundleType"] == bundle and location["eTag"] == "abc" and location["version"] == "v1"


@pytest.mark.parametrize(("text", "message"), [
    ("bucket/key.zip", "expected the revision output of package-revision (JSON) or s3://bucket/key"),
    ("{not json", "not valid JSON"),
    ('{"revisionType": "S3", "s3Location": {"bucket": "bkt"}}', "needs s3Location.bucket and s3Location.key"),
    ('{"revisionType": "S3", "s3Location": {"bucket": "bkt", "key": 5}}', "s3Location.key must be a string"),
    ('{"revisionType": "S3", "s3Location": {"bucket": ["x"], "key": "k.zip"}}', "s3Location.bucket must be a string"),
    ('{"revisionType": "S3", "s3Location": {"bucket": "My_Bucket", "key": "k.zip"}}', "not a valid S3 bucket name"),
    ("s3://My_Bucket/app.zip", "not a valid S3 bucket name"),
    ("s3://bkt/app.zip?versionId=", "give one non-empty versionId"),
    ("s3://bkt/app.zip?versionId=a&versionId=b", "give one non-empty versionId"),
    ('{"revisionType": "GitHub"}', "revisionType must be S3 or AppSpecContent"),
    ("s3://bucket-only", "an S3 URL needs a bucket and a key"),
    ("s3://bkt/app.rar", "cannot tell the bundle type of 'app.rar'; set bundle-type"),
])
def test_malformed_revisions_say_what_is_accepted(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_revision(text, None, None, None)


def test_appspec_content_inline_or_from_a_file(tmp_path: Path) -> None:
    inline = "version: 0.0\nResources: []\n"
    assert appspec_revision(inline) == {"revisionType": "AppSpecContent", "appSpecContent": {"content": inline}}
    path = tmp_path / "appspec.yaml"
    path.write_text(inline)
    assert appspec_revision(str(path))["appSpecContent"]["content"] == inline


def test_a_mistyped_appspec_path_is_not_sent_as_the_appspec(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="with Resources:"):
        appspec_revision(str(tmp_path / "apspec.yaml"))


def test_s3_options_next_to_a_json_revision_are_refused() -> None:
    revision = '{"revisionType": "S3", "s3Location": {"bucket": "bkt", "key": "k.zip"}}'
    with pytest.raises(ValueError, match="bundle-type, s3-etag only apply to an s3:// revision"):
        parse_revision(revision, "tgz", "abc", None)


def test_a_version_in_the_url_is_deployed_not_dropped() -> None:
    location = parse_revision("s3://bkt/r/app.zip?versionId=3HL4kqtJlcpXroDTDmJ", None, None, None)["s3Location"]
    assert (location["key"], location["version"]) == ("r/app.zip", "3HL4kqtJlcpXroDTDmJ")
    with pytest.raises(ValueError, match="differ"):
        parse_revision("s3://bkt/app.zip?versionId=v1", None, None, "v2")


def test_a_question_mark_that_is_part_of_the_key_stays_in_it() -> None:
    assert parse_revision("s3://bkt/odd?name.zip", None, None, None)["s3Location"]["key"] == "odd?name.zip"
