"""ECR's image operations answer what was pushed to the emulator's registry, over the registry's own API.

Pushes go through the Docker Registry v2 HTTP API with GetAuthorizationToken's token (the same door
docker and buildah use; test_ecr_push.py drives those clients), then boto3 asks ECR.
"""

from __future__ import annotations

import base64
import json
import urllib.request
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.integration.emulator.ecr_registry import (
    DOCKER_MANIFEST,
    OCI_INDEX,
    OCI_MANIFEST,
    RegistryClient,
    digest_of,
    registry_for,
)


@pytest.fixture
def registry_client(emulator: Any) -> RegistryClient:
    return registry_for(emulator)


@pytest.fixture
def ecr(emulator: Any) -> Any:
    return emulator.client("ecr")


def _repository(ecr: Any, **settings: Any) -> str:
    name = f"images/{uuid.uuid4().hex[:10]}"
    ecr.create_repository(repositoryName=name, **settings)
    return name


def _details(ecr: Any, name: str, **filters: Any) -> list[dict[str, Any]]:
    return list(ecr.describe_images(repositoryName=name, **filters)["imageDetails"])


def test_describe_images_shows_every_pushed_manifest_with_its_digest_type_and_size(
        ecr: Any, registry_client: RegistryClient) -> None:
    name = _repository(ecr)
    docker = registry_client.push_image(name, "v1", "docker")
    oci = registry_client.push_image(name, "v1-oci", "oci", OCI_MANIFEST)
    assert docker.status == oci.status == 201
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": oci.digest, "size": 400,
         "platform": {"architecture": "amd64", "os": "linux"}}]}).encode()
    indexed = registry_client.push_manifest(name, "multi", index, OCI_INDEX)
    assert indexed.status == 201 and indexed.digest == digest_of(index)

    details = {d["imageDigest"]: d for d in _details(ecr, name)}
    assert set(details) == {docker.digest, oci.digest, indexed.digest}
    assert details[docker.digest]["imageTags"] == ["v1"]
    assert details[docker.digest]["imageManifestMediaType"] == DOCKER_MANIFEST
    assert details[docker.digest]["artifactMediaType"] == "application/vnd.docker.container.image.v1+json"
    assert details[docker.digest]["imageSizeInBytes"] == len("layer docker\n")
    assert details[oci.digest]["imageManifestMediaType"] == OCI_MANIFEST
    assert details[indexed.digest]["imageManifestMediaType"] == OCI_INDEX
    assert details[indexed.digest]["imageSizeInBytes"] == details[oci.digest]["imageSizeInBytes"]

    [got] = ecr.batch_get_image(repositoryName=name, imageIds=[{"imageTag": "multi"}])["images"]
    assert got["imageManifest"].encode() == index and got["imageId"]["imageDigest"] == indexed.digest


def test_a_mutable_tag_pushed_again_moves_and_leaves_the_old_image_untagged(
        ecr: Any, registry_client: RegistryClient) -> None:
    name = _repository(ecr)
    first = registry_client.push_image(name, "latest", "one")
    second = registry_client.push_image(name, "latest", "two")
    assert first.digest != second.digest
    assert ecr.list_images(repositoryName=name, filter={"tagStatus": "UNTAGGED"})["imageIds"] == [
        {"imageDigest": first.digest}]
    assert ecr.list_images(repositoryName=name, filter={"tagStatus": "TAGGED"})["imageIds"] == [
        {"imageDigest": second.digest, "imageTag": "latest"}]
    assert "imageTags" not in _details(ecr, name, imageIds=[{"imageDigest": first.digest}])[0]


def test_immutable_tags_are_refused_at_the_push_and_by_put_image(ecr: Any, registry_client: RegistryClient) -> None:
    name = _repository(ecr, imageTagMutability="IMMUTABLE")
    first = registry_client.push_image(name, "1.0.0", "first")
    again = registry_client.push_image(name, "1.0.0", "second")
    assert first.status == 201
    assert again.status == 400 and again.errors[0]["code"] == "TAG_INVALID"
    assert "cannot be overwritten because the repository is immutable" in again.errors[0]["message"]
    other = registry_client.push_image(name, "1.0.1", "second")
    assert other.status == 201
    manifest = ecr.batch_get_image(repositoryName=name, imageIds=[{"imageTag": "1.0.1"}])["images"][0]
    with pytest.raises(ClientError) as refused:
        ecr.put_image(repositoryName=name, imageTag="1.0.0", imageManifest=manifest["imageManifest"])
    assert refused.value.response["Error"]["Code"] == "ImageTagAlreadyExistsException"
    assert [d["imageTags"] for d in _details(ecr, name, imageIds=[{"imageTag": "1.0.0"}])] == [["1.0.0"]]


def test_put_image_retags_a_pullable_image_and_batch_delete_removes_tags_then_images(
        ecr: Any, registry_client: RegistryClient) -> None:
    name = _repository(ecr)
    pushed = registry_client.push_image(name, "build-7", "retag")
    manifest = ecr.batch_get_image(repositoryName=name, imageIds=[{"imageTag": "build-7"}])["images"][0]
    put = ecr.put_image(repositoryName=name, imageTag="prod", imageManifest=manifest["imageManifest"],
                        imageManifestMediaType=manifest["imageManifestMediaType"])
    assert put["image"]["imageId"] == {"imageDigest": pushed.digest, "imageTag": "prod"}
    status, headers, _ = registry_client.request("GET", f"/v2/{name}/manifests/prod",
                                                 headers={"Accept": DOCKER_MANIFEST})
    assert status == 200 and headers["docker-content-digest"] == pushed.digest
    with pytest.raises(ClientError) as same:
        ecr.put_image(repositoryName=name, imageTag="prod", imageManifest=manifest["imageManifest"])
    assert same.value.response["Error"]["Code"] == "ImageAlreadyExistsException"

    removed = ecr.batch_delete_image(repositoryName=name, imageIds=[{"imageTag": "build-7"}])
    assert removed["imageIds"] == [{"imageDigest": pushed.digest, "imageTag": "build-7"}]
    assert _details(ecr, name)[0]["imageTags"] == ["prod"]
    status, _, _ = registry_client.request("GET", f"/v2/{name}/manifests/build-7", headers={"Accept": DOCKER_MANIFEST})
    assert status == 404

    gone = ecr.batch_delete_image(repositoryName=name, imageIds=[{"imageDigest": pushed.digest}, {"imageTag": "x"}])
    assert gone["imageIds"] == [{"imageDigest": pushed.digest, "imageTag": "prod"}]
    assert gone["failures"][0]["failureCode"] == "ImageNotFound"
    assert _details(ecr, name) == []


def test_the_registry_refuses_what_ecr_refuses(ecr: Any, registry_client: RegistryClient) -> None:
    status, headers, _ = registry_client.request("GET", "/v2/", auth=False)
    assert status == 401 and headers["www-authenticate"].startswith("Basic ")
    status, _, body = registry_client.request("POST", "/v2/no-such-repository/blobs/uploads/")
    assert status == 404 and json.loads(body)["errors"][0]["code"] == "NAME_UNKNOWN"
    forged = urllib.request.Request(registry_client.endpoint + "/v2/", headers={
        "Authorization": "Basic " + base64.b64encode(b"AWS:guessed").decode()})
    with pytest.raises(urllib.error.HTTPError) as denied:
        urllib.request.urlopen(forged, timeout=10)
    assert denied.value.code == 401
    name = _repository(ecr)
    registry_client.push_image(name, "v1", "kept")
    with pytest.raises(ClientError) as not_empty:
        ecr.delete_repository(repositoryName=name)
    assert not_empty.value.response["Error"]["Code"] == "RepositoryNotEmptyException"
    ecr.delete_repository(repositoryName=name, force=True)


def test_a_repository_name_may_have_a_component_called_blobs_or_manifests(
        ecr: Any, registry_client: RegistryClient) -> None:
    name = f"team-{uuid.uuid4().hex[:6]}/blobs/manifests"
    ecr.create_repository(repositoryName=name)
    pushed = registry_client.push_image(name, "v1", "odd-name")
    assert pushed.status == 201, pushed.errors
    assert [d["imageDigest"] for d in _details(ecr, name)] == [pushed.digest]
