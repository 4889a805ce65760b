"""Generated collections for the batch, audit and Dask tests: small articles with numbered
captions and Pillow images, laid out as a collection folder (one sub-folder per article)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from PIL import Image

CITIES = ["Budapest", "Győr", "Debrecen", "Szeged", "Pécs", "Miskolc"]
MONTHS = ["October", "November", "December"]


class Inline:
    """An executor that runs every task in this process, one after the other (``run_batch``'s
    ``executor=``: no pool, so a test can watch or patch what a worker does)."""

    description = "in-line"
    workers = 1

    def run(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        for index, item in enumerate(items):
            yield index, fn(item)

    def close(self) -> None:
        pass


def article_text(number: int, figures: int) -> str:
    lines = [
        f"Street Scenes of Autumn, Part {number}",
        "",
        f"By Archivist {number} | October 23, 2020",
        "",
        "The photographs below were taken in the weeks of the uprising and show the streets, "
        "the people and the buildings of several towns as they were then.",
        "",
    ]
    for fig in range(1, figures + 1):
        city = CITIES[(number + fig) % len(CITIES)]
        month = MONTHS[fig % len(MONTHS)]
        lines += [
            f"#{fig} People gathered in a square of {city}, {month} 1956. (Fortepan/Photographer {fig})",
            "",
            f"A crowd stands in front of a damaged building; picture {fig} of article {number}.",
            "",
        ]
    return "\n".join(lines)


def write_image(path: Path, seed: int, size: tuple[int, int] = (48, 32)) -> None:
    image = Image.new("RGB", size, ((seed * 40) % 256, (seed * 90) % 256, (seed * 15) % 256))
    for x in range(0, size[0], 4):
        image.putpixel((x, seed % size[1]), (255, 255, 255))
    image.save(path, "JPEG", quality=85)


def make_article(folder: Path, number: int, figures: int = 2, *, sidecar: bool = True) -> Path:
    folder.mkdir(parents=True)
    (folder / "article.txt").write_text(article_text(number, figures), encoding="utf-8")
    images = folder / "images"
    images.mkdir()
    for fig in range(1, figures + 1):
        write_image(images / f"{fig:02d}.jpg", number * 7 + fig)
    if sidecar:
        (folder / "metadata.yaml").write_text(
            f"title: Street Scenes of Autumn, Part {number}\n"
            f"source_url: https://example.org/articles/{number}\n",
            encoding="utf-8",
        )
    return folder


def make_collection(root: Path, count: int, *, broken: int | None = None, figures: int = 2) -> Path:
    """``count`` article folders art-01 …; article ``broken`` (1-based) has a corrupt image."""
    root.mkdir(parents=True, exist_ok=True)
    for number in range(1, count + 1):
        folder = make_article(root / f"art-{number:02d}", number, figures)
        if number == broken:
            data = (folder / "images" / "01.jpg").read_bytes()
            (folder / "images" / "01.jpg").write_bytes(data[: len(data) // 2])
    return root


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def dask_bin() -> str:
    """The ``dask`` command of this interpreter's environment."""
    local = Path(sys.executable).parent / "dask"
    found = str(local) if local.is_file() else shutil.which("dask")
    if found is None:
        raise RuntimeError("the dask command is not installed (pip install 'dask[distributed]')")
    return found


def wait_for_workers(address: str, count: int, timeout: float = 60.0) -> None:
    from distributed import Client

    with Client(address, timeout=timeout) as client:
        client.wait_for_workers(count, timeout=timeout)


def start_process(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    handle = open(log, "wb")  # noqa: SIM115 - owned by the process for its lifetime
    return subprocess.Popen(args, env=env, stdout=handle, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def worker_env(schema_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["BAGSMITH_SCHEMA_DIR"] = str(schema_dir)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def wait_until(predicate: object, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(predicate) and predicate():
            return True
        time.sleep(0.05)
    return False
