"""Byte-reproducible revision archives (zip, tgz, tar).

Same files and SOURCE_DATE_EPOCH give the same bytes whatever the file mtimes, directory order,
owner or umask: entries are sorted, times pinned, owners dropped, modes normalised to 0644/0755.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import stat
import tarfile
import time
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pathspec

from deploy_actions.core.errors import InputError

BundleType = Literal["zip", "tgz", "tar"]
EXTENSIONS: dict[str, str] = {"zip": "zip", "tgz": "tar.gz", "tar": "tar"}
ALWAYS_EXCLUDED = (".git/",)
_ZIP_EPOCH = 315532800  # 1980-01-01, the earliest time a zip entry can carry
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class BundleEntry:
    name: str  # path inside the archive, POSIX, relative
    source: Path | None  # file on disk, or None when the content is generated
    content: bytes | None = None
    executable: bool = False

    @property
    def mode(self) -> int:
        return 0o755 if self.executable else 0o644

    @property
    def size(self) -> int:
        if self.content is not None:
            return len(self.content)
        assert self.source is not None
        return self.source.stat().st_size

    def open(self) -> io.BufferedIOBase:
        if self.content is not None:
            return io.BytesIO(self.content)
        assert self.source is not None
        return self.source.open("rb")


class BundleContents:
    """The files going into a revision, by archive name."""

    def __init__(self, entries: Iterable[BundleEntry]) -> None:
        self.entries = {e.name: e for e in entries}

    def add(self, entry: BundleEntry) -> None:
        self.entries[entry.name] = entry

    def has(self, name: str) -> bool:
        name = name.strip("/")
        prefix = name + "/"
        return name in self.entries or any(k.startswith(prefix) for k in self.entries)

    def is_executable(self, name: str) -> bool:
        entry = self.entries.get(name.strip("/"))
        return bool(entry and entry.executable)

    def sorted(self) -> list[BundleEntry]:
        return [self.entries[k] for k in sorted(self.entries)]

    @property
    def total_bytes(self) -> int:
        return sum(entry.size for entry in self.entries.values())


def collect_files(source: Path, include: list[str], exclude: list[str], skip: Iterable[Path] = ()) -> BundleContents:
    """Walk ``source`` and keep files matching ``include`` (all when empty) and not ``exclude``.

    Globs use .gitignore syntax (``**``, trailing ``/`` for directories, ``!`` to re-include).
    """
    included = pathspec.PathSpec.from_lines("gitignore", include or ["*"])
    excluded = pathspec.PathSpec.from_lines("gitignore", [*ALWAYS_EXCLUDED, *exclude])
    skipped = {p.resolve() for p in skip}
    entries = []
    for root, dirs, files in os.walk(source, followlinks=False):
        dirs.sort()
        for filename in sorted(files):
            path = Path(root, filename)
            name = path.relative_to(source).as_posix()
            _check_name(name)
            if path.resolve() in skipped or excluded.match_file(name) or not included.match_file(name):
                continue
            try:
                info = path.stat()  # follows symlinks: the bundle holds the content
            except FileNotFoundError:
                continue  # dangling symlink
            if not stat.S_ISREG(info.st_mode):
                continue
            entries.append(BundleEntry(name, path, executable=bool(info.st_mode & 0o111)))
    return BundleContents(entries)


def _check_name(name: str) -> None:
    """Names in a revision are UTF-8 (zip's flag, the agent's unpacking): one that is not is refused,
    shown with its odd bytes escaped."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        shown = name.encode("utf-8", "surrogateescape").decode("ascii", "backslashreplace")
        raise InputError.single("source", shown, "a file name there is not UTF-8; rename the file or leave it out "
                                "with exclude") from None


ARCHIVE_FORMAT = "2"  # bump when the writer's bytes change for the same files (it is part of the digest)
_SAMPLE = 64 * 1024
_INCOMPRESSIBLE = 0.97  # a sample that deflates to more than this share is stored, not deflated


def manifest_digest(contents: BundleContents, bundle_type: BundleType, epoch: int | None) -> str:
    """A digest of what decides the archive's bytes (names, modes, contents, type, time, writer): equal
    digests mean equal archives, known without building one."""
    digest = hashlib.sha256(f"deploy-actions archive {ARCHIVE_FORMAT}\n{bundle_type}\n{_moment(epoch)}\n".encode())
    for entry in contents.sorted():
        content = hashlib.sha256()
        with entry.open() as src:
            while chunk := src.read(_CHUNK):
                content.update(chunk)
        digest.update(f"{entry.name}\0{entry.mode:o}\0{content.hexdigest()}\n".encode())
    return digest.hexdigest()


def _moment(epoch: int | None) -> int:
    return _ZIP_EPOCH if epoch is None else max(epoch, _ZIP_EPOCH)


def write_archive(contents: BundleContents, target: Path, bundle_type: BundleType, epoch: int | None) -> str:
    """Write the archive and return its sha256 (hex)."""
    moment = _moment(epoch)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".partial")
    if bundle_type == "zip":
        _write_zip(contents, tmp, moment)
    else:
        _write_tar(contents, tmp, moment, compress=bundle_type == "tgz")
    tmp.replace(target)
    return file_sha256(target)


def _write_zip(contents: BundleContents, target: Path, moment: int) -> None:
    date_time = time.gmtime(moment)[:6]
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for entry in contents.sorted():
            info = zipfile.ZipInfo(entry.name, date_time=date_time)
            # Jars, images and archives do not deflate: storing them saves the time and loses nothing.
            info.compress_type = zipfile.ZIP_STORED if _incompressible(entry) else zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, so the mode below is honoured by unzip and the agent
            info.external_attr = (stat.S_IFREG | entry.mode) << 16
            with entry.open() as src, archive.open(info, "w", force_zip64=True) as dst:
                while chunk := src.read(_CHUNK):
                    dst.write(chunk)


def _incompressible(entry: BundleEntry) -> bool:
    with entry.open() as src:
        sample = src.read(_SAMPLE)
    return len(sample) >= 1024 and len(zlib.compress(sample, 1)) > _INCOMPRESSIBLE * len(sample)


def _write_tar(contents: BundleContents, target: Path, moment: int, *, compress: bool) -> None:
    with target.open("wb") as raw:
        # mtime=0 and no file name keep the gzip header identical between runs.
        stream = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) if compress else raw
        try:
            with tarfile.open(fileobj=stream, mode="w", format=tarfile.PAX_FORMAT) as archive:
                for entry in contents.sorted():
                    info = tarfile.TarInfo(entry.name)
                    info.size = entry.size
                    info.mtime = moment
                    info.mode = entry.mode
                    info.uid = info.gid = 0
                    info.uname = info.gname = ""
                    with entry.open() as src:
                        archive.addfile(info, src)
        finally:
            if compress:
                stream.close()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
