"""ECR operations answered from the real registry: tokens, repository URIs, images, scans.

Each function becomes a method of moto's `ECRResponse` (see `extensions.py`). Without a running
emulator (moto used directly) each answers as moto does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.ecr.responses import ECRResponse

from deploy_actions.emulator.core import runtime
from deploy_actions.emulator.core.errors import AwsError
from deploy_actions.emulator.ecr import lifecycle
from deploy_actions.emulator.ecr.images import SCAN_DESCRIPTIONS, Image, severity_counts
from deploy_actions.emulator.ecr.registry import RegistryUnavailable
from deploy_actions.emulator.ecr.service import Ecr

_MOTO: dict[str, Callable[..., Any]] = {}  # moto's own methods, before `install` replaces them
NOT_FOUND = "Requested image not found"


def _moto(name: str) -> Callable[..., Any]:
    if name not in _MOTO:
        _MOTO[name] = getattr(ECRResponse, name)
    return _MOTO[name]


def _ecr() -> Ecr | None:
    return runtime.current(Ecr)


def _registry_error(error: RegistryUnavailable) -> AwsError:
    return AwsError("ServerException", str(error))


def _repository(self: Any, ecr: Ecr) -> str:
    name = str(self._get_param("repositoryName"))
    if ecr.repository(name) is None:
        raise AwsError("RepositoryNotFoundException", f"The repository with name '{name}' does not exist in the "
                                                     f"registry with id '{ecr.account}'")
    return name


def _image_id(image: Image, tag: str | None = None) -> dict[str, str]:
    found = {"imageDigest": image.digest}
    if tag or image.tags:
        found["imageTag"] = tag or image.tags[0]
    return found


def _id_text(image_id: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{k}:'{v}'" for k, v in image_id.items()) + "}"


def _lookup(ecr: Ecr, name: str, image_id: dict[str, Any]) -> Image | None:
    return ecr.store.find(name, tag=image_id.get("imageTag"), digest=image_id.get("imageDigest"))


def _page(self: Any, items: list[Any], key: str, default_max: int) -> dict[str, Any]:
    start = int(self._get_param("nextToken") or 0)
    size = int(self._get_param("maxResults") or default_max)
    answer: dict[str, Any] = {key: items[start:start + size]}
    if start + size < len(items):
        answer["nextToken"] = str(start + size)
    return answer


def _tag_status_ok(image: Image, status: str) -> bool:
    return status == "ANY" or (status == "TAGGED") == bool(image.tags)


# -- tokens and repositories -----------------------------------------------------------------------

def get_authorization_token(self: Any) -> ActionResult:
    ecr = _ecr()
    if ecr is None:
        return _moto("get_authorization_token")(self)  # type: ignore[no-any-return]
    try:
        return ActionResult({"authorizationData": [ecr.token()]})
    except RegistryUnavailable as error:
        raise _registry_error(error) from error


def _with_uris(name: str) -> Callable[[Any], ActionResult]:
    def handler(self: Any) -> ActionResult:
        ecr = _ecr()
        result: ActionResult = _moto(name)(self)
        if ecr is not None:
            try:
                for repository in list(ecr_repositories(ecr)):
                    repository.uri = ecr.uri(repository.name)
            except RegistryUnavailable:
                pass  # moto's amazonaws.com URIs; pushing needs the registry (GetAuthorizationToken says so)
        return result

    handler.__name__ = name
    return handler


def ecr_repositories(ecr: Ecr) -> list[Any]:
    from moto.ecr.models import ecr_backends

    return list(ecr_backends[ecr.account][ecr.region].repositories.values())


def delete_repository(self: Any) -> ActionResult:
    ecr = _ecr()
    if ecr is not None:
        name = _repository(self, ecr)
        if ecr.store.images(name) and not self._get_param("force"):
            raise AwsError("RepositoryNotEmptyException", f"The repository with name '{name}' in registry with id "
                                                          f"'{ecr.account}' cannot be deleted because it still "
                                                          "contains images")
        ecr.store.drop(name)
    return _moto("delete_repository")(self)  # type: ignore[no-any-return]


def put_lifecycle_policy(self: Any) -> ActionResult:
    ecr = _ecr()
    if ecr is None:
        return _moto("put_lifecycle_policy")(self)  # type: ignore[no-any-return]
    name = _repository(self, ecr)
    try:
        lifecycle.parse(str(self._get_param("lifecyclePolicyText")))
    except lifecycle.PolicyError as error:
        raise AwsError("InvalidParameterException", f"Invalid parameter at 'LifecyclePolicyText' failed to "
                                                    f"satisfy constraint: '{error}'") from error
    result: ActionResult = _moto("put_lifecycle_policy")(self)
    ecr.run_lifecycle(name)  # evaluated at once, as after every push (docs/emulator.md)
    return result


def start_lifecycle_policy_preview(self: Any) -> ActionResult:
    """The preview is COMPLETE at once (the lifecycle_policy_preview_complete waiter returns at its first call)."""
    ecr = _ecr()
    if ecr is None:
        raise AwsError("UnsupportedCommandException", "lifecycle policy previews need the emulator")
    name = _repository(self, ecr)
    repository = ecr.repository(name)
    text = str(self._get_param("lifecyclePolicyText") or (repository.lifecycle_policy if repository else "") or "")
    if not text:
        raise AwsError("LifecyclePolicyNotFoundException", "Lifecycle policy does not exist for the repository with "
                                                           f"name '{name}' in the registry with id '{ecr.account}'")
    try:
        results = ecr.preview(name, text)
    except lifecycle.PolicyError as error:
        raise AwsError("InvalidParameterException", f"Invalid parameter at 'LifecyclePolicyText' failed to "
                                                    f"satisfy constraint: '{error}'") from error
    ecr.previews[name] = {"lifecyclePolicyText": text, "previewResults": results}
    return ActionResult({"registryId": ecr.account, "repositoryName": name, "lifecyclePolicyText": text,
                         "status": "IN_PROGRESS"})


def get_lifecycle_policy_preview(self: Any) -> ActionResult:
    ecr = _ecr()
    if ecr is None:
        raise AwsError("UnsupportedCommandException", "lifecycle policy previews need the emulator")
    name = _repository(self, ecr)
    preview = ecr.previews.get(name)
    if preview is None:
        raise AwsError("LifecyclePolicyPreviewNotFoundException", "There is no dry run for this repository.")
    results = list(preview["previewResults"])
    wanted = self._get_param("imageIds") or []
    if wanted:
        results = [r for r in results if any(w.get("imageDigest") in (None, r["imageDigest"]) and
                                             w.get("imageTag") in (None, *r["imageTags"]) for w in wanted)]
    status = str((self._get_param("filter") or {}).get("tagStatus", "ANY"))
    results = [r for r in results if status == "ANY" or (status == "TAGGED") == bool(r["imageTags"])]
    page = _page(self, results, "previewResults", 100)
    return ActionResult({"registryId": ecr.account, "repositoryName": name, "status": "COMPLETE",
                         "lifecyclePolicyText": preview["lifecyclePolicyText"], **page,
                         "summary": {"expiringImageTotalCount": len(preview["previewResults"])}})


# -- images ----------------------------------------------------------------------------------------

def list_images(self: Any) -> ActionResult:
    ecr = _ecr()
    if ecr is None:
        return _moto("list_images")(self)  # type: ignore[no-any-return]
    name = _repository(self, ecr)
    status = str((self._get_param("filter") or {}).get("tagStatus", "ANY"))
    ids = [_image_id(image, tag) for image in ecr.store.images(name) if _tag_status_ok(image, status)
           for tag in (image.tags or [""])]
    return ActionResult(_page(self, ids, "imageIds", 100))


def describe_images(self: Any) -> ActionResult:
    ecr = _ecr()
    if ecr is None:
        return _moto("describe_images")(self)  # type: ignore[no-any-return]
    name = _repository(self, ecr)
    wanted = self._get_param("imageIds") or []
    status = str((self._get_param("filter") or {}).get("tagStatus", "ANY"))
    if wanted:
        images: list[Image] = []
        for image_id in wanted:
            image = _lookup(ecr, name, image_id)
            if image is None:
                raise AwsError("ImageNotFoundException", f"The image with imageId {_id_text(image_id)} does not exist "
                                                         f"within the repository with name '{name}' in the registry "
                                                         f"with id '{ecr.account}'")
            if image not in images:
                images.append(image)
    else:
        images = [image for image in ecr.store.images(name) if _tag_status_ok(image, status)]
    details = [image.detail(ecr.account, ecr.scan_status(image)) for image in images]
    return ActionResult(_page(self, details, "imageDetails", 100))


def batch_get_image(self: Any) -> ActionResult:
    ecr = _ecr()
    if ecr is None:
        return _moto("batch_get_image")(self)  # type: ignore[no-any-return]
    name = _repository(self, ecr)
    accepted = self._get_param("acceptedMediaTypes") or []
    images, failures = [], []
    for image_id in self._get_param("imageIds") or []:
        image = _lookup(ecr, name, image_id)
        if image is None:
            failures.append({"imageId": image_id, "failureCode": "ImageNotFound", "failureReason": NOT_FOUND})
        elif accepted and image.media_type not in accepted:
            failures.append({"imageId": image_id, "failureCode": "UnsupportedImageType",
                             "failureReason": f"The image's media type {image.media_type} is not accepted "
                                              "(the emulator does not convert manifests)"})
        else:
            images.append({"registryId": ecr.account, "repositoryName": name,
                           "imageId": {"imageDigest": image.digest, **({"imageTag": image_id["imageTag"]}
                                                                       if image_id.get("imageTag") else {})},
                           "imageManifest": image.manifest.decode(), "imageManifestMediaType": image.media_type})
    return ActionResult({"images": images, "failures": failures})


def put_image(self: Any) -> ActionResult:
    ecr = _ecr()
    if ecr is None:
        return _moto("put_image")(self)  # type: ignore[no-any-return]
    name = _repository(self, ecr)
    manifest = str(self._get_param("imageManifest")).encode()
    tag = self._get_param("imageTag")
    digest = "sha256:" + hashlib.sha256(manifest).hexdigest()
    if self._get_param("imageDigest") and self._get_param("imageDigest") != digest:
        raise AwsError("ImageDigestDoesNotMatchException", f"The digest {self._get_param('imageDigest')} does not "
                                                           f"match the manifest's digest {digest}")
    try:
        media_type = str(self._get_param("imageManifestMediaType") or json.loads(manifest).get("mediaType") or "")
    except ValueError as error:
        raise AwsError("InvalidParameterException", "Invalid parameter at 'ImageManifest' failed to satisfy "
                                                    "constraint: 'Invalid JSON syntax'") from error
    if not media_type:
        raise AwsError("InvalidParameterException", "image manifest mediatype not provided in manifest or parameter")
    existing = ecr.store.find(name, tag=tag) if tag else ecr.store.find(name, digest=digest)
    if existing is not None and existing.digest == digest:
        raise AwsError("ImageAlreadyExistsException", f"Image with digest '{digest}' and tag '{tag}' already exists "
                                                      f"in the repository with name '{name}' in registry with id "
                                                      f"'{ecr.account}'")
    repository = ecr.repository(name)
    if existing is not None and tag and repository is not None:
        from deploy_actions.emulator.ecr.service import tag_immutable

        if tag_immutable(repository, tag):
            raise AwsError("ImageTagAlreadyExistsException", f"The image tag '{tag}' already exists in the '{name}' "
                                                             "repository and cannot be overwritten because the "
                                                             "repository is immutable.")
    try:
        status, _, body = ecr.registry.backend("PUT", f"/v2/{name}/manifests/{tag or digest}", manifest,
                                               {"Content-Type": media_type})
    except RegistryUnavailable as error:
        raise _registry_error(error) from error
    if status != 201:
        errors = _registry_errors(body)
        if any(code in ("MANIFEST_BLOB_UNKNOWN", "BLOB_UNKNOWN") for code, _ in errors):
            raise AwsError("LayersNotFoundException", "The image's layers were not found in the repository: "
                                                      + "; ".join(message for _, message in errors))
        raise AwsError("InvalidParameterException", "The registry refused the manifest: "
                                                    + "; ".join(f"{c}: {m}" for c, m in errors))
    ecr.pushed(name, tag or digest, digest, media_type, manifest)
    image_id = {"imageDigest": digest, **({"imageTag": tag} if tag else {})}
    return ActionResult({"image": {"registryId": ecr.account, "repositoryName": name, "imageId": image_id,
                                   "imageManifest": manifest.decode(), "imageManifestMediaType": media_type}})


def _registry_errors(body: bytes) -> list[tuple[str, str]]:
    try:
        return [(str(e.get("code")), str(e.get("message"))) for e in json.loads(body).get("errors", [])]
    except (ValueError, AttributeError):
        return [("UNKNOWN", body.decode(errors="replace")[:200])]


def batch_delete_image(self: Any) -> ActionResult:
    ecr = _ecr()
    if ecr is None:
        return _moto("batch_delete_image")(self)  # type: ignore[no-any-return]
    name = _repository(self, ecr)
    deleted, failures = [], []
    for image_id in self._get_param("imageIds") or []:
        image = _lookup(ecr, name, image_id)
        if image is None:
            failures.append({"imageId": image_id, "failureCode": "ImageNotFound", "failureReason": NOT_FOUND})
            continue
        tag = image_id.get("imageTag")
        if tag and not image_id.get("imageDigest") and len(image.tags) > 1:
            ecr.store.untag(name, tag)  # the image keeps its other tags
            deleted.append({"imageDigest": image.digest, "imageTag": tag})
            continue
        tags = list(image.tags)
        ecr.delete(name, image)  # its last tag, or the image by digest: gone with every tag
        if tag:
            deleted.append({"imageDigest": image.digest, "imageTag": tag})
        else:
            deleted.extend([{"imageDigest": image.digest, "imageTag": t} for t in tags]
                           or [{"imageDigest": image.digest}])
    return ActionResult({"imageIds": deleted, "failures": failures})


# -- scans -----------------------------------------------------------------------------------------

def _scanned_image(self: Any, ecr: Ecr, name: str) -> Image:
    image_id = self._get_param("imageId") or {}
    image = _lookup(ecr, name, image_id)
    if image is None:
        raise AwsError("ImageNotFoundException", f"The image with imageId {_id_text(image_id)} does not exist within "
                                                 f"the repository with name '{name}' in the registry with id "
                                                 f"'{ecr.account}'")
    return image


def start_image_scan(self: Any) -> ActionResult:
    ecr = _ecr()
    if ecr is None:
        return _moto("start_image_scan")(self)  # type: ignore[no-any-return]
    name = _repository(self, ecr)
    image = _scanned_image(self, ecr, name)
    if image.scan is not None:
        raise AwsError("LimitExceededException", "The scan quota per image has been exceeded. Wait and try again.")
    ecr.start_scan(image)
    status = ecr.scan_status(image)
    return ActionResult({"registryId": ecr.account, "repositoryName": name, "imageId": _image_id(image),
                         "imageScanStatus": {"status": status, "description": SCAN_DESCRIPTIONS[status]}})


def describe_image_scan_findings(self: Any) -> ActionResult:
    ecr = _ecr()
    if ecr is None:
        return _moto("describe_image_scan_findings")(self)  # type: ignore[no-any-return]
    name = _repository(self, ecr)
    image = _scanned_image(self, ecr, name)
    if image.scan is None:
        raise AwsError("ScanNotFoundException", f"Image scan does not exist for the image with "
                                                f"'{_id_text(self._get_param('imageId') or {})}' in the repository "
                                                f"with name '{name}' in the registry with id '{ecr.account}'")
    status = ecr.scan_status(image)
    answer: dict[str, Any] = {"registryId": ecr.account, "repositoryName": name,
                              "imageId": _image_id(image, (self._get_param("imageId") or {}).get("imageTag")),
                              "imageScanStatus": {"status": status, "description": SCAN_DESCRIPTIONS[status]}}
    if status == "COMPLETE":
        page = _page(self, image.scan.findings, "findings", 100)
        answer["imageScanFindings"] = {"imageScanCompletedAt": image.scan.completed_at,
                                       "vulnerabilitySourceUpdatedAt": image.pushed_at,
                                       "findingSeverityCounts": severity_counts(image.scan.findings),
                                       "findings": page["findings"]}
        if "nextToken" in page:
            answer["nextToken"] = page["nextToken"]
    return ActionResult(answer)


HANDLERS: dict[str, Callable[..., Any]] = {
    "get_authorization_token": get_authorization_token,
    "create_repository": _with_uris("create_repository"),
    "describe_repositories": _with_uris("describe_repositories"),
    "delete_repository": delete_repository,
    "put_lifecycle_policy": put_lifecycle_policy,
    "start_lifecycle_policy_preview": start_lifecycle_policy_preview,
    "get_lifecycle_policy_preview": get_lifecycle_policy_preview,
    "list_images": list_images,
    "describe_images": describe_images,
    "batch_get_image": batch_get_image,
    "put_image": put_image,
    "batch_delete_image": batch_delete_image,
    "start_image_scan": start_image_scan,
    "describe_image_scan_findings": describe_image_scan_findings,
}
for _name in HANDLERS:
    if hasattr(ECRResponse, _name):
        _moto(_name)
