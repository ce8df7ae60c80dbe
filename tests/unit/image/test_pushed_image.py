"""After the push, a DescribeImages refusal leaves the size unknown instead of failing a pushed image's step."""

from __future__ import annotations

import io

import boto3
from botocore.stub import Stubber

from deploy_actions.actions.build_push_ecr import _pushed_image
from deploy_actions.core.platform import Reporter


def test_describe_images_denied_only_warns() -> None:
    ecr = boto3.client("ecr", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    out = io.StringIO()
    with Stubber(ecr) as stub:
        stub.add_client_error("describe_images", "AccessDeniedException", "not allowed: ecr:DescribeImages")
        assert _pushed_image(ecr, "api", "sha256:" + "a" * 64, Reporter(out, {})) is None
    assert "warning: the image is pushed; its size is unknown" in out.getvalue()
    assert "AccessDeniedException" in out.getvalue()
