"""The batch journal: durable JSON lines, a torn last line, a damaged one, bag digests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bagsmith.errors import InputError
from bagsmith.pipeline.journal import Journal, bag_digest, read_journal
from tests.servers import sample_bag


def _article(name: str, status: str, valid: bool, digest: str | None) -> dict[str, object]:
    return {"event": "article", "name": name, "status": status, "valid": valid, "digest": digest}


def test_journal_round_trip_and_a_torn_last_line(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    with Journal(path) as journal:
        journal.write({"event": "run", "group": "G", "total": 3})
        journal.write(_article("a", "packaged", True, "sha256:1"))
        journal.write(_article("b", "failed", False, None))
        journal.write(_article("c", "packaged", True, "sha256:3"))
        journal.write({"event": "run", "group": "G", "total": 3})
        journal.write(_article("c", "failed", False, None))  # changed later: the digest stays
        journal.write(_article("b", "packaged", True, "sha256:2"))
    with open(path, "a", encoding="utf-8") as fh:
        fh.write('{"event": "article", "name": "d", "sta')  # a crash mid-line
    state = read_journal(path)
    assert (state.group, state.total, state.runs) == ("G", 3, 2)
    assert {k: v["digest"] for k, v in state.finished.items()} == {
        "a": "sha256:1",
        "b": "sha256:2",
        "c": "sha256:3",
    }
    assert all(json.loads(line) for line in path.read_text().splitlines()[:-1])
    assert read_journal(tmp_path / "absent.jsonl").runs == 0


def test_a_damaged_line_is_an_error_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    path.write_text('{"event": "run"}\nnot json\n{"event": "end"}\n')
    with pytest.raises(InputError) as info:
        read_journal(path)
    assert (info.value.path, info.value.line) == (str(path), 2)


def test_bag_digest_follows_bag_info_and_tag_manifests(tmp_path: Path) -> None:
    bag = sample_bag(tmp_path)
    first = bag_digest(bag)
    assert first.startswith("sha256:") and bag_digest(bag) == first
    (bag / "data" / "article.txt").write_text("payload changes are the manifests' business\n")
    assert bag_digest(bag) == first
    info = bag / "bag-info.txt"
    info.write_text(info.read_text() + "Contact-Name: X\n")
    assert bag_digest(bag) != first
    archive = tmp_path / "bag.zip"
    archive.write_bytes(b"PK\x05\x06" + bytes(18))
    assert bag_digest(archive) == bag_digest(archive) != bag_digest(bag)
