"""S3 where moto's answer differs from AWS's: a malformed versionId is a bad request (400), not a missing version."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError


def answer(call: Any, **kwargs: Any) -> tuple[int, str]:
    try:
        call(**kwargs)
    except ClientError as error:
        return error.response["ResponseMetadata"]["HTTPStatusCode"], str(error.response["Error"]["Code"])
    return 200, "ok"


@pytest.fixture
def versioned(emulator: Any, unique: str) -> tuple[Any, str, str]:
    s3 = emulator.client("s3")
    bucket = f"versions-{unique}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    version = s3.put_object(Bucket=bucket, Key="app/revision.zip", Body=b"zip")["VersionId"]
    return s3, bucket, version


@pytest.mark.parametrize("malformed", ["dsf", "", "not a version", "../x", "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIb"])
def test_a_malformed_version_id_is_a_bad_request(versioned: tuple[Any, str, str], malformed: str) -> None:
    # Real S3, through the AWS CLI: head-object --version-id dsf (or "") answers 400; GetObject says
    # InvalidArgument, "Invalid version id specified". moto answers 404 NoSuchVersion.
    s3, bucket, _ = versioned
    assert answer(s3.head_object, Bucket=bucket, Key="app/revision.zip", VersionId=malformed) == (400, "400")
    with pytest.raises(ClientError) as raised:
        s3.get_object(Bucket=bucket, Key="app/revision.zip", VersionId=malformed)
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert raised.value.response["Error"]["Code"] == "InvalidArgument"
    assert raised.value.response["Error"]["Message"] == "Invalid version id specified"


def test_a_well_formed_version_id_is_found_or_missing(versioned: tuple[Any, str, str]) -> None:
    s3, bucket, version = versioned
    assert answer(s3.head_object, Bucket=bucket, Key="app/revision.zip", VersionId=version) == (200, "ok")
    assert s3.get_object(Bucket=bucket, Key="app/revision.zip", VersionId=version)["Body"].read() == b"zip"
    missing = "0b0b0b0b-0b0b-4b0b-8b0b-0b0b0b0b0b0b"  # the form the emulator's S3 issues, of no version
    assert answer(s3.head_object, Bucket=bucket, Key="app/revision.zip", VersionId=missing) == (404, "404")
    assert answer(s3.get_object, Bucket=bucket, Key="app/revision.zip", VersionId=missing) == (404, "NoSuchVersion")
    # Listing versions and unversioned reads are untouched.
    assert s3.list_object_versions(Bucket=bucket)["Versions"][0]["VersionId"] == version
    assert s3.get_object(Bucket=bucket, Key="app/revision.zip")["Body"].read() == b"zip"


def test_a_presigned_url_with_a_malformed_version_is_a_bad_request(versioned: tuple[Any, str, str]) -> None:
    import urllib.error
    import urllib.request

    s3, bucket, version = versioned
    for given, status in (("dsf", 400), (version, 200)):
        url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "app/revision.zip",
                                                              "VersionId": given})
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                seen = response.status
        except urllib.error.HTTPError as error:
            seen = error.code
        assert seen == status, url
