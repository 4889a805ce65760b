"""No dead code in src/: vulture (reading src/ with the tests, scripts, benchmarks and
examples that use it) finds nothing in src/ but the names below, each used where vulture
cannot see it (the reason is given)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

#: name -> why it is not dead although nothing in src/ names it
USED_ELSEWHERE: dict[str, str] = {
    "__getattr__": "module __getattr__ of bagsmith: Python calls it for the lazy public names",
    "__dir__": "module __dir__ of bagsmith: dir() and completion list the lazy public names",
    "readinto": "io.RawIOBase protocol: BufferedReader calls it on the archive member stream",
    "create_system": "zipfile.ZipInfo field set for deterministic archives (read by zipfile)",
    "compress_type": "zipfile.ZipInfo field set for deterministic archives (read by zipfile)",
    "frame": "signal handler signature (signum, frame) required by signal.signal",
    "converter": "logging.Formatter.converter: UTC times in --log-file",
    "missing_host_key": "paramiko MissingHostKeyPolicy hook, called by paramiko",
    "bytes_done": "parameter name of a callback protocol",
    "files_done": "parameter name of a callback protocol",
    "containersignature_file": "fido attribute its constructor ignores (set for fido to read)",
    "delta": "fido's callback signature (filename, matches, delta, kind)",
    "R": "TypeVar of the executors' generic signatures",
    "__call__": "the signature of a typing.Protocol (pipeline.progress.ProgressFactory)",
    "max_refresh": "rich.progress.ProgressColumn attribute, read by rich (cli/progress.py)",
    # not used today, in code other people are changing right now: reported, to be removed or
    # used by them (metadata/, the METS move to data/, ingest's trafilatura extraction)
    "mix_id": "unused; metadata/ids.py is the metadata owner's",
    "DCTERMS": "unused; metadata/xmlns.py is the metadata owner's",
    "BAGSMITH_DC": "unused; metadata/xmlns.py is the metadata owner's",
    "OLDER_METS_PATH": "unused; added with the METS move to data/ (older packages)",
    "extras": "unused field of ingest/extraction.py (ingest owner's)",
    # fields read by the Jinja2 templates of report/templates (vulture reads no templates)
    "anchor": "read by report/templates",
    "technical": "read by report/templates",
    "image_problems": "read by report/templates",
    "media_type": "read by report/templates",
    "generated": "read by report/templates",
    "validation_note": "read by report/templates",
    "list_commands": "click.Group API, called by click",
    "files_omitted": "read by report/templates",
}
#: click registers the commands its decorators wrap; nothing calls them by name
DECORATORS = "@click.command,@click.group,@*.command,@*.group"


def test_vulture_finds_no_dead_code() -> None:
    proc = subprocess.run(
        [
            sys.executable, "-m", "vulture", "src/bagsmith", "tests", "scripts", "bench",
            "examples", "--min-confidence", "60", "--exclude", "*/.mypy_cache/*",
            "--ignore-names", ",".join(USED_ELSEWHERE), "--ignore-decorators", DECORATORS,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert proc.stderr == ""
    dead = [line for line in proc.stdout.splitlines() if line.startswith("src/")]
    assert dead == [], "\n".join(dead)
