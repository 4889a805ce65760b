"""What `batch` makes once before its local pool forks (fido's plans, the schemas): the forked
workers start with it, the answers are those made on first use, and a failure there (no
schemas) is left for each article to report."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from bagsmith import xmlschemas
from bagsmith.ingest.formats import FormatIdentifier, identifier
from bagsmith.pipeline.batch import COMMON_FIRST_BYTES, BatchOptions, prepare_workers, run_batch
from bagsmith.pipeline.executors import LocalExecutor
from tests.batch_helpers import make_collection

ORG = (("Source-Organization", "Test Archive"),)


def planned(_: object) -> list[int]:
    """In a worker: the first bytes whose plans it has before identifying anything."""
    return sorted(identifier()._signatures._plans)


def test_forked_workers_start_with_the_plans_made_before_the_fork(schema_cache: Path) -> None:
    identifier()._signatures._plans.clear()  # as in a process that identified nothing yet
    prepare_workers(BatchOptions())
    executor = LocalExecutor(2)
    try:
        results = [result for _, result in executor.run(planned, [1, 2, 3, 4])]
    finally:
        executor.close()
    assert all(set(COMMON_FIRST_BYTES) <= set(r) for r in results), results
    assert xmlschemas.validate._compiled.cache_info().currsize >= 1


def test_a_plan_made_ahead_gives_the_answers_of_one_made_on_first_use(tmp_path: Path) -> None:
    files = {}
    for name, fmt in (("a.jpg", "JPEG"), ("b.png", "PNG"), ("c.gif", "GIF"), ("d.tif", "TIFF")):
        buffer = io.BytesIO()
        Image.new("RGB", (9, 7), (200, 30, 60)).save(buffer, fmt)
        files[name] = tmp_path / name
        files[name].write_bytes(buffer.getvalue())
    (tmp_path / "e.xml").write_text('<?xml version="1.0"?><mets xmlns="http://www.loc.gov/METS/"/>')
    (tmp_path / "f.json").write_text('{"title": "x"}')
    files.update({"e.xml": tmp_path / "e.xml", "f.json": tmp_path / "f.json"})
    ahead = FormatIdentifier()
    ahead.prepare(b"\xff\x89GI<{")
    fresh = identifier()  # plans made as files come (or by other tests: either way the same)
    for name, path in files.items():
        assert ahead.identify(path) == fresh.identify(path), name


@pytest.mark.slow
def test_without_schemas_every_article_reports_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "no-schemas"
    empty.mkdir()
    monkeypatch.setenv("BAGSMITH_SCHEMA_DIR", str(empty))
    prepare_workers(BatchOptions())  # does not raise: left to the articles
    coll = make_collection(tmp_path / "coll", 2)
    report = run_batch(coll, tmp_path / "bags", BatchOptions(workers=2, info=ORG))
    assert [o.status for o in report.outcomes] == ["failed", "failed"]
    assert all(o.problems[0]["code"] == "schema-cache" for o in report.outcomes), report.outcomes
    assert sorted(p.name for p in (tmp_path / "bags").iterdir()) == ["bagsmith-batch.jsonl"]
