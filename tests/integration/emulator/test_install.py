"""The Install event trusts no revision: nothing outside the bundle is ever copied into an instance.

A `files:` source that leaves the revision (`../x`, `/../x`), or a symbolic link in the bundle that
points outside it, fails the Install event the way the agent fails it: a Failed event whose
diagnostics say why. Links that stay inside the revision are installed as links, as the agent does.
"""

from __future__ import annotations

import io
import stat
import tarfile
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.integration.emulator.conftest import Environment

SECRET = "host secret: never in a sandbox\n"
HOOKLESS = "version: 0.0\nos: linux\nfiles:\n{files}"


def appspec(*sources: str) -> str:
    return HOOKLESS.format(files="".join(f"  - source: '{s}'\n    destination: /opt/app\n" for s in sources))


def bundle(kind: str, files: dict[str, str], links: dict[str, str]) -> bytes:
    """A zip or tgz of `files` (path: text) and symbolic `links` (path: target)."""
    buffer = io.BytesIO()
    if kind == "zip":
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, text in files.items():
                info = zipfile.ZipInfo(name, (2000, 1, 1, 0, 0, 0))
                info.external_attr = (stat.S_IFREG | 0o644) << 16
                archive.writestr(info, text)
            for name, target in links.items():
                info = zipfile.ZipInfo(name, (2000, 1, 1, 0, 0, 0))
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                archive.writestr(info, target)
        return buffer.getvalue()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in files.items():
            member = tarfile.TarInfo(name)
            member.size, member.mode = len(text.encode()), 0o644
            archive.addfile(member, io.BytesIO(text.encode()))
        for name, target in links.items():
            member = tarfile.TarInfo(name)
            member.type, member.linkname = tarfile.SYMTYPE, target
            archive.addfile(member)
    return buffer.getvalue()


def deploy(env: Environment, emulator: Any, kind: str, files: dict[str, str],
           links: dict[str, str] | None = None) -> tuple[dict[str, Any], dict[str, Any], Path]:
    """Deploy the bundle to one instance: (deployment, its Install event, the instance's root)."""
    key = f"install/{time.monotonic_ns()}.{kind}"
    emulator.client("s3").put_object(Bucket=env["bucket"], Key=key, Body=bundle(kind, files, links or {}))
    info = env.deploy({"revisionType": "S3", "s3Location": {"bucket": env["bucket"], "key": key, "bundleType": kind}})
    (target,) = env.targets(info["deploymentId"])
    install = next(e for e in target["lifecycleEvents"] if e["lifecycleEventName"] == "Install")
    return info, install, emulator.fleet.sandbox(target["targetId"]).root


@pytest.fixture
def host_secret(tmp_path: Path) -> Path:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    return secret


def copied_anywhere(root: Path) -> bool:
    return any(p.is_file() and not p.is_symlink() and p.read_text(errors="replace") == SECRET for p in root.rglob("*"))


@pytest.mark.parametrize("form", ["relative", "rooted"])
def test_a_source_outside_the_revision_fails_install(environment: Any, emulator: Any, host_secret: Path,
                                                     form: str) -> None:
    env: Environment = environment("ec2-rolling", instances=1, group={"auto_rollback": []})
    escape = "../" * 40 + str(host_secret).lstrip("/")
    source = escape if form == "relative" else "/" + escape
    info, install, root = deploy(env, emulator, "zip", {"appspec.yml": appspec("www", source), "www/index.html": "hi"})
    assert info["status"] == "Failed"
    assert install["status"] == "Failed"
    assert install["diagnostics"]["errorCode"] == "UnknownError"
    assert f"source {source}, which is outside the revision" in install["diagnostics"]["message"]
    assert not copied_anywhere(root)
    assert not (root / "opt/app/index.html").exists()  # checked before anything is copied


def test_an_absolute_source_is_a_path_in_the_revision(environment: Any, emulator: Any, host_secret: Path) -> None:
    # The agent joins the source to its archive directory: /etc/x means <revision>/etc/x, never the host's.
    env: Environment = environment("ec2-rolling", instances=1, group={"auto_rollback": []})
    info, install, root = deploy(env, emulator, "zip", {"appspec.yml": appspec(str(host_secret))})
    assert info["status"] == "Failed"
    assert install["diagnostics"]["message"] == f"The specified source {host_secret} does not exist in the revision."
    assert not copied_anywhere(root)


@pytest.mark.parametrize("kind", ["zip", "tgz"])
@pytest.mark.parametrize("installed", ["the link", "a folder holding it", "a path through it"])
def test_a_link_out_of_the_revision_fails_install(environment: Any, emulator: Any, host_secret: Path, kind: str,
                                                  installed: str) -> None:
    env: Environment = environment("ec2-rolling", instances=1, group={"auto_rollback": []})
    links = {"conf/settings": str(host_secret), "hostdir": str(host_secret.parent)}
    source = {"the link": "conf/settings", "a folder holding it": "conf", "a path through it": "hostdir/secret.txt"}
    files = {"appspec.yml": appspec(source[installed]), "conf/readme": "settings are linked"}
    info, install, root = deploy(env, emulator, kind, files, links)
    assert info["status"] == "Failed", install
    assert install["status"] == "Failed" and install["diagnostics"]["errorCode"] == "UnknownError"
    assert "outside the revision" in install["diagnostics"]["message"]
    assert not copied_anywhere(root)
    assert not any(p.is_symlink() for p in (root / "opt").rglob("*") if "deployment-root" not in p.parts)


def test_links_inside_the_revision_are_installed_as_links(environment: Any, emulator: Any) -> None:
    env: Environment = environment("ec2-rolling", instances=1, group={"auto_rollback": []})
    files = {"appspec.yml": appspec("site"), "site/releases/2/index.html": "version 2"}
    _, install, root = deploy(env, emulator, "tgz", files, {"site/current": "releases/2"})
    assert install["status"] == "Succeeded", install  # (no app answers AllowTraffic's health checks later)
    current = root / "opt/app/current"
    assert current.is_symlink() and (current / "index.html").read_text() == "version 2"
