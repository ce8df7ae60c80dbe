"""package-revision behaviours that each once broke unnoticed, checked by what lands in S3 and on disk."""

from __future__ import annotations

import hashlib
import re
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import AwsEndpoint


@pytest.fixture
def bucket(aws: AwsEndpoint) -> str:
    name = f"revisions-{uuid.uuid4().hex[:10]}"
    aws.client("s3").create_bucket(Bucket=name)
    return name


@pytest.mark.parametrize(("prefix", "folder"), [("/releases/api/", "releases/api"), ("//x//", "x"),
                                                ("releases/api/", "releases/api"), ("/", "")])
def test_slashes_around_the_key_prefix_never_make_an_empty_path_segment(run_cli: Any, aws: AwsEndpoint, bucket: str,
                                                                       revision_tree: Path, prefix: str,
                                                                       folder: str) -> None:
    result = run_cli("package-revision", "--source", str(revision_tree), "--output",
                     str(revision_tree.parent / "out.zip"), "--bucket", bucket, "--key-prefix", prefix,
                     env={**aws.env, "SOURCE_DATE_EPOCH": "1700000000"})
    assert result.code == 0, result.log
    (key,) = [o["Key"] for o in aws.client("s3").list_objects_v2(Bucket=bucket)["Contents"]]
    assert re.fullmatch(re.escape(f"{folder}/" if folder else "") + r"app-[0-9a-f]{16}\.zip", key), key
    assert "//" not in key and not key.startswith("/")
    assert result.outputs["s3-key"] == key


def test_packaging_twice_in_place_leaves_the_first_archive_out(run_cli: Any, revision_tree: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # The defaults: source ".", output revision.zip in the working directory - the same folder.
    monkeypatch.chdir(revision_tree)
    env = {"SOURCE_DATE_EPOCH": "1700000000"}
    first = run_cli("package-revision", env=env)
    assert first.code == 0, first.log
    archive = revision_tree / "revision.zip"
    assert Path(first.outputs["bundle-path"]) == archive
    first_bytes = archive.read_bytes()

    second = run_cli("package-revision", env=env)

    assert second.code == 0, second.log
    assert second.outputs["sha256"] == first.outputs["sha256"] == hashlib.sha256(first_bytes).hexdigest()
    assert archive.read_bytes() == first_bytes
    with zipfile.ZipFile(archive) as bundle:
        names = bundle.namelist()
    assert "appspec.yml" in names and "scripts/application_start.sh" in names
    assert not [name for name in names if name.endswith((".zip", ".partial")) or "deploy-actions-" in name], names
