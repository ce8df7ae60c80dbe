"""package-revision beside `zip -qr deployment.zip . && aws s3 cp ...` on the same tree and S3 server.

    .venv/bin/python benchmarks/packaging.py [--large-mb 200] [--repeat 3] [--large-repeat 3]

Each repetition: first run of both into fresh keys; then every file gets a new mtime (what a fresh
checkout does) and both run again on the unchanged content. Prints markdown for RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from _common import (
    CLI,
    S3Server,
    aws_cli,
    command_line,
    exit_cleanly_on_sigterm,
    load,
    machine,
    median,
    sha256,
    timed,
    write_appspec_and_hooks,
)

BASE_MTIME = 1_700_000_000


def write_tree(root: Path, large_mb: int) -> None:
    """appspec + 3 executable hooks + 50 small files; with ``large_mb``, ~60 % random bytes, ~40 % text."""
    rng = random.Random(42)  # noqa: S311 - reproducible test data, not secrets
    words = ["".join(rng.choices("abcdefghijklmnopqrstuvwxyz_.(){}", k=rng.randint(2, 12))) for _ in range(3000)]
    corpus = " ".join(rng.choices(words, k=800_000)).encode()  # ~5 MB of text-like data

    def put(name: str, data: bytes) -> None:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def text(size: int) -> bytes:
        start = rng.randrange(len(corpus) - size)
        return corpus[start:start + size]

    write_appspec_and_hooks(root)
    for i in range(50):
        put(f"app/static/file{i:02}.txt", text(rng.randint(500, 8000)))
    if large_mb:
        total = large_mb * 1024 * 1024
        random_bytes, text_bytes = total * 6 // 10, total * 4 // 10
        jar = random_bytes // 4
        put("app/lib/app.jar", rng.randbytes(jar))
        put("app/lib/deps.jar", rng.randbytes(jar))
        for i in range((random_bytes - 2 * jar) // (1 << 20)):
            put(f"app/images/img{i:03}.png", rng.randbytes(1 << 20))
        for i in range(text_bytes // 40_960):
            put(f"app/node_modules/pkg{i // 50:02}/file{i % 50:02}.js", text(40_960))
    touch(root, BASE_MTIME)


def touch(root: Path, moment: int) -> None:
    for path in root.rglob("*"):
        os.utime(path, (moment, moment))


def tree_facts(root: Path) -> tuple[int, int]:
    files = [p for p in root.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


@dataclass
class Side:
    """Seconds per run, by phase: ``first``/``second`` wall, and ``<run>.start|archive|upload``."""

    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    shas: list[tuple[str, str]] = field(default_factory=list)  # (first, second) per repetition
    size: int = 0
    second_bytes_up: list[int] = field(default_factory=list)

    def add(self, run: str, wall: float, start: float, archive: float, upload: float) -> None:
        for phase, seconds in (("", wall), (".start", start), (".archive", archive), (".upload", upload)):
            self.times[run + phase].append(seconds)

    def median(self, key: str) -> float:
        return median(self.times[key])


def bench_case(name: str, tree: Path, work: Path, server: S3Server, env: dict[str, str], bucket: str,
               repeat: int, warm_up: bool) -> None:
    aws = aws_cli()
    ours, theirs = Side(), Side()
    ours_zip, their_zip = work / "revision.zip", work / "deployment.zip"

    def run_ours(prefix: str, kind: str) -> dict[str, str]:
        run = timed([str(CLI), "package-revision", "--source", str(tree), "--bucket", bucket,
                     "--key-prefix", prefix, "--output", str(ours_zip), "--json"], env, cwd=work)
        out: dict[str, str] = json.loads(run.stdout)
        # Server log: HeadBucket comes before the archive is built, HeadObject of the key right after it.
        requests = server.during(run)
        built = next(r.at for r in requests if r.method == "HEAD" and r.path.endswith(out["s3-key"]))
        ours.add(kind, run.seconds, requests[0].at - run.start, built - requests[0].at, run.end - built)
        if kind == "second":
            ours.second_bytes_up.append(sum(r.body_bytes for r in requests))
        return out

    def run_theirs(key: str, kind: str) -> str:
        their_zip.unlink(missing_ok=True)  # a fresh CI workspace has no archive from before
        zipped = timed(["zip", "-qr", str(their_zip), "."], env, cwd=tree)
        copied = timed([*aws, "s3", "cp", str(their_zip), f"s3://{bucket}/{key}", "--endpoint-url", server.url],
                       env, cwd=work)
        requests = server.during(copied)
        theirs.add(kind, zipped.seconds + copied.seconds, requests[0].at - copied.start, zipped.seconds,
                   copied.end - requests[0].at)
        if kind == "second":
            theirs.second_bytes_up.append(sum(r.body_bytes for r in requests))
        return sha256(their_zip)

    if warm_up:  # fills the bytecode cache of both programs; not counted
        run_ours(f"{name}/warm-up", "warm-up")
        run_theirs(f"{name}/warm-up/x.zip", "warm-up")
    for rep in range(repeat):
        prefix = f"{name}/ours-{rep}"
        first = run_ours(prefix, "first")
        assert first["uploaded"] == "true", first
        their_first = run_theirs(f"{name}/theirs-{rep}/x.zip", "first")
        touch(tree, BASE_MTIME + 3600 * (rep + 1))  # same content, new mtimes: a fresh checkout
        second = run_ours(prefix, "second")
        assert second["uploaded"] == "false" and second["s3-key"] == first["s3-key"], second
        ours.shas.append((first["sha256"], second["sha256"]))
        theirs.shas.append((their_first, run_theirs(f"{name}/theirs-{rep}/x.zip", "second")))
        print(f"  {name} rep {rep + 1}/{repeat}: ours {ours.times['first'][-1]:.2f}/{ours.times['second'][-1]:.2f} s,"
              f" zip+cp {theirs.times['first'][-1]:.2f}/{theirs.times['second'][-1]:.2f} s", file=sys.stderr)
    ours.size, theirs.size = ours_zip.stat().st_size, their_zip.stat().st_size
    report(name, tree, ours, theirs, zip_untouched_identical(tree, work), repeat)


def zip_untouched_identical(tree: Path, work: Path) -> bool:
    """Does `zip -r` give the same bytes twice when nothing was touched in between?"""
    shas = []
    for i in range(2):
        target = work / f"untouched-{i}.zip"
        subprocess.run(["zip", "-qr", str(target), "."], cwd=tree, check=True)
        shas.append(sha256(target))
        target.unlink()
    return shas[0] == shas[1]


LABELS = {
    "first": "**first run, wall** (archive + upload)",
    "first.start": "… start → first S3 request",
    "first.archive": "… build archive (ours: between HeadBucket and HeadObject; alt: `zip`)",
    "first.upload": "… upload (ours: HeadObject → exit; alt: first request → exit)",
    "second": "**second run, wall** (same content, every mtime changed)",
    "second.start": "… start → first S3 request",
    "second.archive": "… build archive",
    "second.upload": "… upload or skip",
}


def report(name: str, tree: Path, ours: Side, theirs: Side, untouched: bool, repeat: int) -> None:
    files, size = tree_facts(tree)

    def same(side: Side) -> str:
        hits = sum(a == b for a, b in side.shas)
        return f"{'yes' if hits == len(side.shas) else 'no'} ({hits}/{len(side.shas)})"

    lines = [f"\n### {name} tree: {files} files, {size / 2**20:.1f} MiB (median of {repeat})\n",
             "| measurement | deploy-actions package-revision | zip -qr + aws s3 cp | ratio ours/alt |",
             "| --- | ---: | ---: | ---: |"]
    for key, label in LABELS.items():
        a, b = ours.median(key), theirs.median(key)
        lines.append(f"| {label} | {a:.2f} s | {b:.2f} s | {a / b:.2f} |")
    lines += [
        f"| bytes sent to S3 on the second run | {median(ours.second_bytes_up):,.0f} | "
        f"{median(theirs.second_bytes_up):,.0f} | |",
        f"| archive size | {ours.size:,} B | {theirs.size:,} B | {ours.size / theirs.size:.3f} |",
        f"| same sha256 on both runs (mtimes changed between) | {same(ours)} | {same(theirs)} | |",
        f"| `zip -qr` twice, nothing touched: same sha256 | | {'yes' if untouched else 'no'} | |",
    ]
    print("\n".join(lines), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large-mb", type=int, default=200, help="size of the large tree (0: skip it)")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions on the small tree")
    parser.add_argument("--large-repeat", type=int, default=3, help="repetitions on the large tree")
    args = parser.parse_args()
    exit_cleanly_on_sigterm()
    if not shutil.which("zip"):
        sys.exit("zip is missing: apt-get install -y zip")
    aws = aws_cli()
    version = subprocess.run([*aws, "--version"], capture_output=True, text=True, check=True)
    zip_version = subprocess.run(["zip", "-v"], capture_output=True, text=True, check=True).stdout.splitlines()[1]
    print(f"## Packaging\n\n{machine()}\n\n`{command_line(sys.argv)}`\n\n"
          f"Alternative: `zip -qr deployment.zip .` ({zip_version.strip()}) then "
          f"`aws s3 cp deployment.zip s3://B/p/x.zip --endpoint-url …` ({(version.stdout or version.stderr).strip()}). "
          "Both against one moto S3 server on 127.0.0.1, SOURCE_DATE_EPOCH set.")
    with tempfile.TemporaryDirectory(prefix="bench-packaging-") as scratch, S3Server() as server:
        root = Path(scratch)
        env = server.env(root)
        server.create_bucket("bench-revisions")
        cases = [("small", 0, args.repeat)] + ([("large", args.large_mb, args.large_repeat)] if args.large_mb else [])
        for name, mb, repeat in cases:
            tree, work = root / name / "src", root / name / "work"
            work.mkdir(parents=True)
            write_tree(tree, mb)
            bench_case(name, tree, work, server, env, "bench-revisions", repeat, warm_up=name == cases[0][0])
            shutil.rmtree(root / name)
    print(f"\n{load()} at the end.")


if __name__ == "__main__":
    main()
