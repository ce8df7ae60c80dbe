"""CodeDeploy revision and deployment-config operations moto lacks, served over HTTP.

Each function becomes a method of moto's `CodeDeployResponse` (see `extensions.py`); `self` is the
response object, so parameters come from `self._get_param` exactly as moto's own handlers read them.
"""

from __future__ import annotations

import uuid
from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow

from deploy_actions.emulator.codedeploy import state
from deploy_actions.emulator.codedeploy.configs import DeploymentConfig
from deploy_actions.emulator.codedeploy.errors import no_application, required
from deploy_actions.emulator.core.errors import AwsError

Handler = Any  # moto's CodeDeployResponse; untyped upstream


def _extras_and_app(self: Handler) -> tuple[state.CodeDeployExtras, str]:
    backend = state.backend(self.current_account, self.region)
    name = self._get_param("applicationName")
    if not name:
        raise required("ApplicationName")
    if name not in backend.applications:
        raise no_application(name)
    return state.extras(backend), name


def _checked_revision(self: Handler) -> dict[str, Any]:
    revision = self._get_param("revision")
    if not revision:
        raise required("Revision")
    kind = revision.get("revisionType")
    if kind == "S3":
        location = revision.get("s3Location") or {}
        if not location.get("bucket"):
            raise AwsError("InvalidRevisionException", "The bucket name is missing from the S3 location.")
        if not location.get("key"):
            raise AwsError("InvalidRevisionException", "The key is missing from the S3 location.")
        if location.get("bundleType") not in (None, "tar", "tgz", "zip", "YAML", "JSON"):
            raise AwsError("InvalidRevisionException", f"Unknown bundle type: {location.get('bundleType')}")
    elif kind == "GitHub":
        location = revision.get("gitHubLocation") or {}
        if not location.get("repository") or not location.get("commitId"):
            raise AwsError("InvalidRevisionException", "A GitHub location needs a repository and a commit ID.")
    elif kind not in ("String", "AppSpecContent"):
        raise AwsError("InvalidRevisionException", f"Unknown revision type: {kind}")
    return dict(revision)


def register_application_revision(self: Handler) -> EmptyResult:
    extras, application = _extras_and_app(self)
    state.record_revision(extras, application, _checked_revision(self), self._get_param("description") or "")
    return EmptyResult()


def get_application_revision(self: Handler) -> ActionResult:
    extras, application = _extras_and_app(self)
    key = state.revision_key(_checked_revision(self))
    with state.LOCK:
        record = next((r for r in extras.revisions
                       if r.application == application and state.revision_key(r.revision) == key), None)
        if record is None:
            raise AwsError("RevisionDoesNotExistException", "No application revision found for revision.")
        info: dict[str, Any] = {"description": record.description, "deploymentGroups": list(record.deployment_groups),
                                "registerTime": record.register_time}
        if record.first_used_time:
            info["firstUsedTime"] = record.first_used_time
            info["lastUsedTime"] = record.last_used_time
        return ActionResult({"applicationName": application, "revision": record.revision, "revisionInfo": info})


def list_application_revisions(self: Handler) -> ActionResult:
    extras, application = _extras_and_app(self)
    sort_by = self._get_param("sortBy") or "registerTime"
    if sort_by not in ("registerTime", "firstUsedTime", "lastUsedTime"):
        raise AwsError("InvalidSortByException", f"Invalid sortBy: {sort_by}")
    sort_order = self._get_param("sortOrder") or "ascending"
    if sort_order not in ("ascending", "descending"):
        raise AwsError("InvalidSortOrderException", f"Invalid sortOrder: {sort_order}")
    bucket, prefix = self._get_param("s3Bucket"), self._get_param("s3KeyPrefix") or ""
    deployed = self._get_param("deployed") or "ignore"
    if deployed not in ("include", "exclude", "ignore"):
        raise AwsError("InvalidDeployedStateFilterException", f"Invalid deployed filter: {deployed}")
    with state.LOCK:
        records = [r for r in extras.revisions if r.application == application]
    if bucket:
        records = [r for r in records if (r.revision.get("s3Location") or {}).get("bucket") == bucket
                   and (r.revision.get("s3Location") or {}).get("key", "").startswith(prefix)]
    if deployed != "ignore":
        records = [r for r in records if (r.first_used_time is not None) == (deployed == "include")]
    never = utcnow().replace(year=1970, month=1, day=1)  # never-used revisions sort first, as on AWS
    records.sort(key=lambda r: _time(r, sort_by) or never, reverse=sort_order == "descending")
    return ActionResult({"revisions": [r.revision for r in records]})


def _time(record: state.RevisionRecord, sort_by: str) -> Any:
    return {"registerTime": record.register_time, "firstUsedTime": record.first_used_time,
            "lastUsedTime": record.last_used_time}[sort_by]


def _config_name(self: Handler) -> str:
    name = self._get_param("deploymentConfigName")
    if not name:
        raise required("DeploymentConfigName")
    return str(name)


def get_deployment_config(self: Handler) -> ActionResult:
    name = _config_name(self)
    extras = state.extras(state.backend(self.current_account, self.region))
    config = extras.configs.get(name)
    if config is None:
        raise AwsError("DeploymentConfigDoesNotExistException", f"No deployment configuration found for name: {name}")
    return ActionResult({"deploymentConfigInfo": config.as_api()})


def create_deployment_config(self: Handler) -> ActionResult:
    name = _config_name(self)
    extras = state.extras(state.backend(self.current_account, self.region))
    if name in extras.configs:
        raise AwsError("DeploymentConfigAlreadyExistsException", f"Deployment configuration {name} already exists.")
    if name.startswith("CodeDeployDefault."):
        raise AwsError("InvalidDeploymentConfigNameException", "CodeDeployDefault. is a reserved prefix.")
    platform = self._get_param("computePlatform") or "Server"
    hosts = self._get_param("minimumHealthyHosts") or {}
    if platform == "Server":
        kind, value = hosts.get("type"), hosts.get("value")
        if kind not in ("HOST_COUNT", "FLEET_PERCENT") or not isinstance(value, int) or value < 0 \
                or (kind == "FLEET_PERCENT" and value > 100):
            raise AwsError("InvalidMinimumHealthyHostValueException",
                           "The minimum healthy instance value must be HOST_COUNT >= 0 or FLEET_PERCENT 0-100.")
    config = DeploymentConfig(name, hosts.get("type", "FLEET_PERCENT"), int(hosts.get("value", 0)), platform,
                              config_id=str(uuid.uuid4()), create_time=utcnow(),
                              traffic_routing=self._get_param("trafficRoutingConfig"))
    with state.LOCK:
        extras.configs[name] = config
    return ActionResult({"deploymentConfigId": config.config_id})


def list_deployment_configs(self: Handler) -> ActionResult:
    extras = state.extras(state.backend(self.current_account, self.region))
    return ActionResult({"deploymentConfigsList": sorted(extras.configs)})


HANDLERS = {
    "register_application_revision": register_application_revision,
    "get_application_revision": get_application_revision,
    "list_application_revisions": list_application_revisions,
    "get_deployment_config": get_deployment_config,
    "create_deployment_config": create_deployment_config,
    "list_deployment_configs": list_deployment_configs,
}
