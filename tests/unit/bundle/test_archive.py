from __future__ import annotations

import os
import random
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest

from deploy_actions.bundle.archive import BundleEntry, collect_files, manifest_digest, write_archive

FILES = {"appspec.yml": b"version: 0.0\n", "scripts/start.sh": b"#!/bin/sh\necho start\n",
         "app/static/index.html": b"<h1>hi</h1>\n" * 50, "app/data.bin": bytes(range(256)) * 40}


def make_tree(root: Path, order: list[str], umask: int, mtime: int) -> Path:
    old = os.umask(umask)
    try:
        for name in order:
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(FILES[name])
            if name.endswith(".sh"):
                path.chmod(0o777 & ~umask | 0o100)
            os.utime(path, (mtime, mtime))
    finally:
        os.umask(old)
    return root


@pytest.mark.parametrize("bundle_type", ["zip", "tgz", "tar"])
def test_same_content_gives_the_same_bytes_whatever_mtime_order_or_umask(tmp_path: Path, bundle_type: str) -> None:
    names = list(FILES)
    shuffled = names[:]
    random.Random(7).shuffle(shuffled)
    a = make_tree(tmp_path / "a", names, 0o022, 1_000_000_000)
    b = make_tree(tmp_path / "b", shuffled, 0o077, 1_700_000_000)
    sha_a = write_archive(collect_files(a, [], []), tmp_path / f"a.{bundle_type}", bundle_type, 1_700_000_000)
    sha_b = write_archive(collect_files(b, [], []), tmp_path / f"b.{bundle_type}", bundle_type, 1_700_000_000)
    assert sha_a == sha_b
    assert (tmp_path / f"a.{bundle_type}").read_bytes() == (tmp_path / f"b.{bundle_type}").read_bytes()
    sha_c = write_archive(collect_files(a, [], []), tmp_path / f"c.{bundle_type}", bundle_type, 1_800_000_000)
    assert sha_c != sha_a  # SOURCE_DATE_EPOCH is part of the inputs


def test_exec_bits_survive_in_zip_and_tar(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "t", list(FILES), 0o022, 1_000_000_000)
    write_archive(collect_files(tree, [], []), tmp_path / "r.zip", "zip", None)
    write_archive(collect_files(tree, [], []), tmp_path / "r.tgz", "tgz", None)
    with zipfile.ZipFile(tmp_path / "r.zip") as archive:
        modes = {i.filename: stat.S_IMODE(i.external_attr >> 16) for i in archive.infolist()}
    assert modes["scripts/start.sh"] == 0o755 and modes["appspec.yml"] == 0o644
    with tarfile.open(tmp_path / "r.tgz") as archive:
        members = {m.name: m for m in archive.getmembers()}
    assert members["scripts/start.sh"].mode == 0o755 and members["app/data.bin"].mode == 0o644
    assert {m.uid for m in members.values()} == {0} and {m.uname for m in members.values()} == {""}


def test_include_exclude_use_gitignore_globs_and_git_is_never_bundled(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "t", list(FILES), 0o022, 1_000_000_000)
    (tree / ".git").mkdir()
    (tree / ".git" / "config").write_text("[core]\n")
    (tree / "node_modules" / "x").mkdir(parents=True)
    (tree / "node_modules" / "x" / "i.js").write_text("x")
    everything = collect_files(tree, [], ["node_modules/", "*.bin"])
    assert sorted(everything.entries) == ["app/static/index.html", "appspec.yml", "scripts/start.sh"]
    only = collect_files(tree, ["appspec.yml", "scripts/**"], [])
    assert sorted(only.entries) == ["appspec.yml", "scripts/start.sh"]
    assert only.has("scripts") and only.is_executable("scripts/start.sh") and not only.has("app")


def test_generated_entries_and_skipped_output(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "t", ["appspec.yml"], 0o022, 1_000_000_000)
    (tree / "revision.zip").write_bytes(b"old archive")
    contents = collect_files(tree, [], [], skip=[tree / "revision.zip"])
    contents.add(BundleEntry("deployment-info.env", None, content=b"A='1'\n"))
    write_archive(contents, tree / "revision.zip", "zip", None)
    with zipfile.ZipFile(tree / "revision.zip") as archive:
        assert archive.namelist() == ["appspec.yml", "deployment-info.env"]
        assert archive.read("deployment-info.env") == b"A='1'\n"
        assert archive.getinfo("appspec.yml").date_time == (1980, 1, 1, 0, 0, 0)


def test_entries_that_do_not_deflate_are_stored(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "random.bin").write_bytes(os.urandom(200_000))
    (tmp_path / "src" / "text.txt").write_text("hello deploy\n" * 20_000)
    contents = collect_files(tmp_path / "src", [], [])
    write_archive(contents, tmp_path / "r.zip", "zip", 1_700_000_000)
    with zipfile.ZipFile(tmp_path / "r.zip") as archive:
        kinds = {info.filename: info.compress_type for info in archive.infolist()}
        assert archive.read("random.bin") == (tmp_path / "src" / "random.bin").read_bytes()
    assert kinds == {"random.bin": zipfile.ZIP_STORED, "text.txt": zipfile.ZIP_DEFLATED}


def test_the_manifest_digest_changes_exactly_when_the_archive_would(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.sh").write_text("echo a\n")
    (src / "b.txt").write_text("b\n")

    def digest(epoch: int | None = 1_700_000_000, kind: str = "zip") -> str:
        return manifest_digest(collect_files(src, [], []), kind, epoch)  # type: ignore[arg-type]

    first = digest()
    os.utime(src / "b.txt", (2_000_000_000, 2_000_000_000))
    assert digest() == first  # mtimes are not in the archive
    assert digest(epoch=1_700_000_100) != first and digest(kind="tgz") != first
    (src / "a.sh").chmod(0o755)
    assert digest() != first
    (src / "a.sh").chmod(0o644)
    assert digest() == first
    (src / "b.txt").write_text("c\n")
    assert digest() != first
