"""Compiled regular expressions kept between runs of `bagsmith parse` and `package`
(bagsmith.regexcache).

The oracle is Python's own compiler: ``Pattern.__eq__`` compares the pattern, the flags and the
compiled code, so a kept pattern equal to a fresh ``re._compiler.compile`` is the same program.
"""

from __future__ import annotations

import marshal
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bagsmith import regexcache

PAGE = (
    "<html><head><title>Autumn</title>"
    '<meta property="article:published_time" content="2019-06-20T10:00:00+02:00">'
    '</head><body><article><h1>Autumn in Győr</h1><p class="byline">By A. Archivist</p>'
    "<p>The town in the autumn of 1956, as the photographers of the time saw it.</p>"
    '<figure><img src="a.jpg"><figcaption>A crowd in Gyor, October 23, 1956. (Photo: Fortepan)'
    "</figcaption></figure><p>Read more: another story</p></article></body></html>"
)
ORIGINAL = re._compiler.compile  # type: ignore[attr-defined]
SAMPLES = [
    (r"(?P<year>\d{4})-(?P<month>\d\d)(?:-(\d\d))?", 0),
    (r"^(?:related\s+(?:posts?|articles?)|read\s+more)\s*:?$", re.IGNORECASE),
    (r"[^\W\d_][\w'’.-]*", re.UNICODE),
    (r"(?x) a  b # comment", 0),
    (r"(?i:Straße)|ǅ", 0),
    (rb"\x00+(?P<tail>[^\x00]*)", 0),
    (r"(a)|(?P<b>b)(?(1)c|d)", re.DOTALL | re.MULTILINE),
]


@pytest.fixture
def enabled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("BAGSMITH_CACHE_DIR", str(tmp_path / "cache"))
    regexcache.enable()
    re.purge()
    try:
        yield regexcache.cache_file()
    finally:
        regexcache.disable()
        re.purge()
    assert re._compiler.compile is ORIGINAL  # type: ignore[attr-defined]


def run_parse(page: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    """`bagsmith parse PAGE --json` as its own program (the only place the cache is used)."""
    env = {**os.environ, "BAGSMITH_CACHE_DIR": str(cache)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    cmd = [sys.executable, "-m", "bagsmith", "parse", str(page), "--json"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    return proc


def test_patterns_are_built_as_python_compiles_them(enabled: Path) -> None:
    for pattern, flags in SAMPLES:
        fresh = ORIGINAL(pattern, flags)
        first = re.compile(pattern, flags)  # compiled, then kept
        re.purge()
        again = re.compile(pattern, flags)  # built from what was kept
        assert first == fresh and again == fresh, pattern
        assert again is not first
        assert (again.groups, dict(again.groupindex)) == (fresh.groups, dict(fresh.groupindex))
    with pytest.raises(re.error):
        re.compile(r"(?P<x>unclosed")
    regexcache.save()
    kept = regexcache.load(enabled)
    assert set(kept) == {(p, f) for p, f in SAMPLES}


def test_a_parse_keeps_its_patterns_and_reuses_them(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    cache = tmp_path / "cache"
    first = run_parse(page, cache)
    files = list(cache.glob("regex-*.marshal"))
    assert len(files) == 1
    kept = regexcache.load(files[0])
    assert len(kept) > 200  # ours, trafilatura's, htmldate's, urllib3's …
    for (pattern, flags), entry in kept.items():
        assert regexcache.make(pattern, entry) == ORIGINAL(pattern, flags), pattern
    stamp = files[0].stat().st_mtime_ns
    second = run_parse(page, cache)
    assert second.stdout == first.stdout
    assert files[0].stat().st_mtime_ns == stamp  # nothing new worth writing: all reused
    # the record is the one made without the cache (a library caller's process)
    env = {**os.environ, "BAGSMITH_CACHE_DIR": str(tmp_path / "other")}
    probe = "import sys; from bagsmith.cli import main; main(sys.argv[1:], prog_name='bagsmith')"
    plain = subprocess.run(
        [sys.executable, "-c", probe, "parse", str(page), "--json"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout == first.stdout
    assert not list((tmp_path / "other").glob("regex-*"))


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not marshal at all",
        marshal.dumps([1, 2, 3]),
        marshal.dumps({("a", 0): (0, "not a code list", 0, {}, ())}),
        marshal.dumps({"a": (0, [1], 0, {}, ())}),
    ],
    ids=["empty", "not-marshal", "a-list", "bad-entry", "bad-key"],
)
def test_a_damaged_file_is_ignored_and_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes
) -> None:
    monkeypatch.setenv("BAGSMITH_CACHE_DIR", str(tmp_path))
    path = regexcache.cache_file()
    path.write_bytes(content)
    assert regexcache.load(path) == {}
    regexcache.enable()
    try:
        re.purge()
        assert re.compile(r"x(?P<y>\d+)") == ORIGINAL(r"x(?P<y>\d+)", 0)
    finally:
        regexcache.disable()  # writes what was compiled
        re.purge()
    assert set(regexcache.load(path)) == {(r"x(?P<y>\d+)", 0)}


def test_an_unusable_cache_folder_only_costs_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("BAGSMITH_CACHE_DIR", str(blocker / "cache"))
    regexcache.enable()
    try:
        re.purge()
        assert re.compile(r"a+b") == ORIGINAL(r"a+b", 0)
    finally:
        regexcache.disable()
        re.purge()


def test_the_file_name_follows_the_interpreter(monkeypatch: pytest.MonkeyPatch) -> None:
    name = regexcache.cache_file().name
    monkeypatch.setattr(sys, "version", sys.version + " (another build)")
    assert regexcache.cache_file().name != name


def _package(article: Path, out: Path, env: dict[str, str], *, as_program: bool = True) -> str:
    """`bagsmith package` as its own program (or through `main`, as a library caller would);
    the METS with its times blanked."""
    args = [
        "package",
        str(article / "article.txt"),
        "--images",
        str(article / "images"),
        "--output",
        str(out),
        "--info",
        "Source-Organization=Test",
    ]
    probe = "import sys; from bagsmith.cli import main; main(sys.argv[1:], prog_name='bagsmith')"
    cmd = [sys.executable, *(["-m", "bagsmith"] if as_program else ["-c", probe]), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    mets = (out / "data" / "mets.xml").read_text(encoding="utf-8")
    return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z", "T", mets)


def test_package_keeps_its_own_patterns_beside_parse(
    tmp_path: Path, schema_cache_dir: Path
) -> None:
    from tests.batch_helpers import make_article

    article = make_article(tmp_path / "art", 1, figures=2, sidecar=False)
    cache = tmp_path / "cache"
    env = {
        **os.environ,
        "BAGSMITH_CACHE_DIR": str(cache),
        "BAGSMITH_SCHEMA_DIR": str(schema_cache_dir),
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    first = _package(article, tmp_path / "bag1", env)
    [kept] = cache.glob("regex-package-*.marshal")
    patterns = regexcache.load(kept)
    assert any(isinstance(pattern, bytes) for pattern, _ in patterns)  # fido's signatures
    for (pattern, flags), entry in patterns.items():
        assert regexcache.make(pattern, entry) == ORIGINAL(pattern, flags), pattern
    stamp = kept.stat().st_mtime_ns
    # parse has its own file: neither cuts the other's to size nor rewrites it at every turn
    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    run_parse(page, cache)
    assert len(list(cache.glob("regex-parse-*.marshal"))) == 1
    assert _package(article, tmp_path / "bag2", env) == first
    assert kept.stat().st_mtime_ns == stamp  # all reused: nothing written again
    # the same METS as a library caller's process makes without the cache
    plain_env = {**env, "BAGSMITH_CACHE_DIR": str(tmp_path / "other")}
    assert _package(article, tmp_path / "bag3", plain_env, as_program=False) == first
    assert not list((tmp_path / "other").glob("regex-*"))
