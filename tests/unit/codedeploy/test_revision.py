from __future__ import annotations

import json
from pathlib import Path

import pytest

from deploy_actions.codedeploy.revision import appspec_revision, parse_revision


def test_package_revision_output_is_taken_as_is() -> None:
    text = json.dumps({"revisionType": "S3", "s3Location": {"bucket": "b", "key": "k.zip", "bundleType": "zip",
                                                            "eTag": "e", "version": ""}})
    assert parse_revision(text, None, None, None) == {
        "revisionType": "S3", "s3Location": {"bucket": "b", "key": "k.zip", "bundleType": "zip", "eTag": "e"}}


@pytest.mark.parametrize(("url", "bundle"), [("s3://b/r/app.zip", "zip"), ("s3://b/app.tar.gz", "tgz"),
                                             ("s3://b/app.tgz", "tgz"), ("s3://b/app.tar", "tar")])
def test_s3_urls_with_bundle_type_from_extension(url: str, bundle: str) -> None:
    location = parse_revision(url, None, '"abc"', "v1")["s3Location"]
    assert location["bundleType"] == bundle and location["eTag"] == "abc" and location["version"] == "v1"


@pytest.mark.parametrize(("text", "message"), [
    ("bucket/key.zip", "expected the revision output of package-revision (JSON) or s3://bucket/key"),
    ("{not json", "not valid JSON"),
    ('{"revisionType": "S3", "s3Location": {"bucket": "b"}}', "needs s3Location.bucket and s3Location.key"),
    ('{"revisionType": "GitHub"}', "revisionType must be S3 or AppSpecContent"),
    ("s3://bucket-only", "an S3 URL needs a bucket and a key"),
    ("s3://b/app.rar", "cannot tell the bundle type of 'app.rar'; set bundle-type"),
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
    revision = '{"revisionType": "S3", "s3Location": {"bucket": "b", "key": "k.zip"}}'
    with pytest.raises(ValueError, match="bundle-type, s3-etag only apply to an s3:// revision"):
        parse_revision(revision, "tgz", "abc", None)
