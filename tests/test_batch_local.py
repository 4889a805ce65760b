"""bagsmith batch on the local process pool: bags, Bag-Count, the journal, failures, resume."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bagsmith.bagit.tagfiles import parse_tags
from bagsmith.bagit.validate import Mode, validate_bag
from bagsmith.cli import main
from bagsmith.cli.flags import flag_name
from bagsmith.errors import DestinationError, Interrupted
from bagsmith.pipeline.batch import BatchOptions, run_batch
from bagsmith.pipeline.journal import JOURNAL_NAME
from tests.batch_helpers import make_article, make_collection

ORG = (("Source-Organization", "Test Archive"),)


def _info(bag: Path) -> dict[str, str]:
    tags, errors = parse_tags((bag / "bag-info.txt").read_text(encoding="utf-8"))
    assert not errors
    return {t.label: t.value for t in tags}


def _journal(out: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (out / JOURNAL_NAME).read_text().splitlines()]


def _mtimes(out: Path) -> dict[str, int]:
    return {p.name: (p / "bag-info.txt").stat().st_mtime_ns for p in out.iterdir() if p.is_dir()}


@pytest.mark.slow
def test_batch_interrupted_then_resumed_without_redoing_work(
    tmp_path: Path, schema_cache: Path
) -> None:
    coll = make_collection(tmp_path / "coll", 5, broken=3)
    out = tmp_path / "bags"
    options = BatchOptions(workers=2, info=ORG, group_id="autumn-1956")
    seen: list[int] = []

    def stop_after_two(desc: str, total_bytes: int | None, *, items: int | None = None):  # type: ignore[no-untyped-def]
        from contextlib import nullcontext

        assert items == 5 and total_bytes

        def update(done: int, items: int) -> None:
            seen.append(items)
            if items == 2:
                raise KeyboardInterrupt

        return nullcontext(update)

    with pytest.raises(Interrupted) as info:
        run_batch(coll, out, options, progress=stop_after_two)
    assert "resume=True" in str(info.value) and "--resume" in info.value.text(flag_name)
    first = [r for r in _journal(out) if r["event"] == "article"]
    assert len(first) == 2 and not any(r["event"] == "end" for r in _journal(out))
    recorded = {str(r["name"]) for r in first if r["status"] == "packaged"}
    before = _mtimes(out)

    # without --resume the folder is refused; with it, recorded bags are kept as they are
    with pytest.raises(DestinationError, match="holds a batch already"):
        run_batch(coll, out, options)
    report = run_batch(coll, out, dataclasses.replace(options, resume=True, group_id=None))
    assert report.group == "autumn-1956"  # from the journal
    status = {o.name: o.status for o in report.outcomes}
    assert status["art-03"] == "failed"
    assert {n for n, s in status.items() if s == "skipped"} >= recorded
    assert {n for n, s in status.items() if s != "failed"} == {
        "art-01",
        "art-02",
        "art-04",
        "art-05",
    }
    after = _mtimes(out)
    assert all(after[name] == before[name] for name in before)  # nothing redone
    broken = next(o for o in report.outcomes if o.name == "art-03")
    assert broken.problems[0]["code"] == "input" and "01.jpg" in broken.problems[0]["path"]
    assert report.status == "failed"
    assert not (out / "art-03").exists()
    for n, name in enumerate(["art-01", "art-02", "art-03", "art-04", "art-05"], start=1):
        if name == "art-03":
            continue
        bag = out / name
        assert validate_bag(bag, mode=Mode.FULL).valid
        info_tags = _info(bag)
        assert info_tags["Bag-Group-Identifier"] == "autumn-1956"
        assert info_tags["Bag-Count"] == f"{n} of 5"
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no staging leftovers

    # a third run: everything good is skipped; nothing is rewritten
    again = run_batch(coll, out, dataclasses.replace(options, resume=True))
    assert again.count("skipped") == 4 and again.count("packaged") == 0
    assert _mtimes(out) == after
    runs = [r for r in _journal(out) if r["event"] == "run"]
    assert len(runs) == 3 and [r["resume"] for r in runs] == [False, True, True]


def test_resume_reports_a_bag_changed_since_the_journal(tmp_path: Path, schema_cache: Path) -> None:
    coll = make_collection(tmp_path / "coll", 2)
    out = tmp_path / "bags"
    options = BatchOptions(workers=1, info=ORG)
    assert run_batch(coll, out, options).status == "done"
    info = out / "art-02" / "bag-info.txt"
    info.write_text(info.read_text() + "Contact-Name: Someone\n")
    (out / "art-01" / "data" / "images" / "01.jpg").unlink()
    report = run_batch(coll, out, dataclasses.replace(options, resume=True))
    one, two = report.outcomes
    assert one.status == "invalid" and "is not valid" in one.problems[0]["message"]
    assert "payload-file-missing" in [p["code"] for p in one.problems]
    assert (
        two.status == "failed" and "differs from the one the journal" in two.problems[0]["message"]
    )
    assert (out / "art-01").is_dir() and (out / "art-02").is_dir()  # reported, never deleted
    # still reported on the next resume (the journal keeps the digest the bag was made with)
    third = run_batch(coll, out, dataclasses.replace(options, resume=True))
    assert [o.status for o in third.outcomes] == ["invalid", "failed"]
    # once the changed bag is removed, resume packages the article again; the staging folder
    # a killed worker left behind (its process is gone) is cleared by the writer
    shutil.rmtree(out / "art-02")
    stale = out / ".art-02.bagsmith-staging-999999999"
    (stale / "data").mkdir(parents=True)
    fourth = run_batch(coll, out, dataclasses.replace(options, resume=True))
    assert [o.status for o in fourth.outcomes] == ["invalid", "packaged"]
    assert validate_bag(out / "art-02", mode=Mode.FULL).valid
    assert not stale.exists()
    assert "stale-staging-removed" in [w["code"] for w in fourth.outcomes[1].warnings]


def test_resume_reports_a_bag_with_a_corrupted_payload_as_invalid(
    tmp_path: Path, schema_cache: Path
) -> None:
    coll = make_collection(tmp_path / "coll", 3)
    out = tmp_path / "bags"
    args = ["batch", str(coll), "-o", str(out), "-w", "1", "-i", "Source-Organization=A"]
    assert CliRunner().invoke(main, args).exit_code == 0
    image = out / "art-02" / "data" / "images" / "01.jpg"
    data = bytearray(image.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one byte changed, same size: a completeness check passes
    image.write_bytes(bytes(data))
    assert validate_bag(out / "art-02", mode=Mode.COMPLETENESS).valid
    before = _mtimes(out)

    result = CliRunner().invoke(main, [*args, "--resume", "--json"])
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    assert (doc["packaged"], doc["skipped"], doc["invalid"], doc["failed"]) == (0, 2, 1, 1)
    one, two, three = doc["outcomes"]
    assert one["status"] == three["status"] == "skipped" and one["valid"] and three["valid"]
    assert two["status"] == "invalid" and not two["valid"]
    codes = [p["code"] for p in two["problems"]]
    assert "payload-digest-mismatch" in codes
    assert any(p["path"] and p["path"].endswith("data/images/01.jpg") for p in two["problems"])
    assert "move it away" in two["problems"][0]["hint"]
    assert image.read_bytes() == bytes(data) and _mtimes(out) == before  # left as it was
    journal = [r for r in _journal(out) if r.get("name") == "art-02"]
    assert [r["status"] for r in journal] == ["packaged", "invalid"]

    text = CliRunner().invoke(main, [*args, "--resume"])
    assert text.exit_code == 1
    assert "error[payload-digest-mismatch] art-02:" in text.stderr
    assert "art-02: FAILED" in text.stdout and "2 already done, 1 failed" in text.stdout

    # moved away, the article is packaged again on the next resume
    shutil.move(str(out / "art-02"), str(tmp_path / "art-02.damaged"))
    redo = CliRunner().invoke(main, [*args, "--resume", "--json"])
    assert redo.exit_code == 0, redo.output
    assert [o["status"] for o in json.loads(redo.stdout)["outcomes"]] == [
        "skipped",
        "packaged",
        "skipped",
    ]
    assert validate_bag(out / "art-02", mode=Mode.FULL).valid


def test_cli_manifest_batch_serialised_with_a_bad_sidecar(
    tmp_path: Path, schema_cache: Path
) -> None:
    src = tmp_path / "src"
    for n in (1, 2, 3):
        make_article(src / f"a{n}", n)
    (src / "a2" / "metadata.yaml").write_text("title: [not, a, string]\n")
    manifest = tmp_path / "list.csv"
    manifest.write_text(
        "name,article,images,metadata,info:Internal-Sender-Identifier\n"
        + "".join(
            f"item-{n},src/a{n}/article.txt,src/a{n}/images,src/a{n}/metadata.yaml,ID-{n}\n"
            for n in (1, 2, 3)
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    args = [
        "batch",
        str(manifest),
        "-o",
        str(out),
        "-w",
        "2",
        "--serialize",
        "zip",
        "-i",
        "Source-Organization=Test Archive",
        "--group-id",
        "G-1",
        "--json",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    assert (doc["articles"], doc["packaged"], doc["failed"]) == (3, 2, 1)
    bad = doc["outcomes"][1]
    assert bad["name"] == "item-2" and bad["status"] == "failed"
    assert bad["problems"][0]["code"] == "metadata"
    assert "metadata.yaml" in (bad["problems"][0]["path"] or "")
    for n in (1, 3):
        archive = out / f"item-{n}.zip"
        check = validate_bag(archive, mode=Mode.FULL)
        assert check.valid and doc["outcomes"][n - 1]["path"] == str(archive)
    assert not (out / "item-2.zip").exists()
    assert result.stderr == ""  # --json, not a terminal: no progress, the document says all

    # resume: the archives are checked (digest + completeness), not rewritten
    stamp = (out / "item-1.zip").stat().st_mtime_ns
    again = CliRunner().invoke(main, [*args[:-1], "--resume"])
    assert again.exit_code == 1
    assert "3 articles: 0 packaged, 2 already done, 1 failed" in again.stdout
    assert "error[metadata] item-2:" in again.stderr
    assert (out / "item-1.zip").stat().st_mtime_ns == stamp


def test_cli_refuses_bad_input_without_writing(tmp_path: Path) -> None:
    coll = make_collection(tmp_path / "coll", 1)
    inside = CliRunner().invoke(main, ["batch", str(coll), "-o", str(coll / "out")])
    assert inside.exit_code == 2 and "inside the collection folder" in inside.stderr
    assert not (coll / "out").exists()
    bad = tmp_path / "bad.csv"
    bad.write_text("article,imagse\nx.txt,y\n")
    result = CliRunner().invoke(main, ["batch", str(bad), "-o", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert f"{bad}:1 (field imagse): unknown column" in result.stderr
    assert not (tmp_path / "o").exists()
    both = CliRunner().invoke(
        main, ["batch", str(coll), "-o", str(tmp_path / "o"), "-w", "1", "--scheduler", "x:1"]
    )
    assert both.exit_code == 2 and "cannot be used together" in both.stderr
    assert os.listdir(tmp_path) == sorted(os.listdir(tmp_path))  # nothing else appeared
    assert sorted(os.listdir(tmp_path)) == ["bad.csv", "coll"]


def test_resume_rechecks_mets_of_a_bag_whose_journal_entry_was_lost(
    tmp_path: Path, schema_cache: Path
) -> None:
    """A bag with no journal record is adopted only if it passes package's checks, METS
    included: here its METS gives a wrong CHECKSUM for an image, while BagIt is satisfied."""
    from bagsmith.pipeline.bagging import UpdateOptions, update_bag

    coll = make_collection(tmp_path / "coll", 2)
    out = tmp_path / "bags"
    options = BatchOptions(workers=1, info=ORG)
    assert run_batch(coll, out, options).status == "done"
    # the journal line of art-02 is lost (the batch died between rename and journal write)
    journal = out / JOURNAL_NAME
    kept = [line for line in journal.read_text().splitlines() if '"art-02"' not in line]
    assert len(kept) < len(journal.read_text().splitlines())
    journal.write_text("".join(line + "\n" for line in kept))
    # the METS checksum of one image is edited, and the bag's manifests updated to match
    mets = out / "art-02" / "data" / "mets.xml"
    text = mets.read_text(encoding="utf-8")
    found = text.split('CHECKSUM="')[1:]
    assert found, "the METS has no CHECKSUM attribute to edit"
    old = found[0].split('"', 1)[0]
    new = ("0" if old[0] != "0" else "1") + old[1:]
    mets.write_text(text.replace(f'CHECKSUM="{old}"', f'CHECKSUM="{new}"', 1), encoding="utf-8")
    update_bag(out / "art-02", UpdateOptions(processes=1))
    assert validate_bag(out / "art-02", mode=Mode.FULL).valid  # BagIt alone sees nothing wrong

    report = run_batch(coll, out, dataclasses.replace(options, resume=True))
    one, two = report.outcomes
    assert one.status == "skipped" and one.valid
    assert two.status == "invalid" and not two.valid
    assert "mets-checksum-mismatch" in [p["code"] for p in two.problems]
    assert mets.read_text(encoding="utf-8").count(f'CHECKSUM="{new}"') == 1  # left as it is
