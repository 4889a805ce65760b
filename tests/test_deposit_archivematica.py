"""`deposit --for archivematica`: metadata.csv and rights.csv in a deposit-time variant.

The oracle is Archivematica's documented format: metadata.csv has a ``filename`` column
(``objects`` or ``objects/PATH``, the bag's data/ being the transfer's objects/) and only
``dc.*`` columns of simple Dublin Core; rights.csv has the documented PREMIS columns. bagit-python
validates the deposited bag; the source bag stays byte-identical.
"""

from __future__ import annotations

import csv
import hashlib
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import bagit
import pytest
from click.testing import CliRunner

from bagsmith.cli import main
from bagsmith.errors import BagError
from bagsmith.pipeline.archivematica import DC_ELEMENTS, RIGHTS_COLUMNS
from bagsmith.pipeline.depositing import deposit_bag
from tests.conftest import ROOT
from tests.servers import deposit_env, records, sample_bag

__all__ = ["deposit_env"]

#: Archivematica's documented metadata.csv columns ("Import metadata": filename + simple DC).
DOCUMENTED = {"filename", *(f"dc.{e}" for e in DC_ELEMENTS)}


def _fingerprint(top: Path) -> dict[str, tuple[str, int]]:
    return {
        p.relative_to(top).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_ino)
        for p in sorted(top.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def article_bag(tmp_path: Path, schema_cache: Path) -> Path:
    """The README's example article, packaged by bagsmith (METS and DC in data/metadata/)."""
    example = tmp_path / "example"
    subprocess.run(
        [sys.executable, str(ROOT / "examples" / "make_example.py"), str(example)], check=True
    )
    out = tmp_path / "article-bag"
    res = CliRunner().invoke(
        main,
        [
            "package",
            str(example / "article" / "article.txt"),
            "--images",
            str(example / "article"),
            "--metadata",
            str(example / "metadata.yaml"),
            "--output",
            str(out),
            "--info",
            "Source-Organization=Example Community Archive",
            "--info",
            "Contact-Name=Ann Archivist",
            "--info",
            "Contact-Email=ann@example.org",
            "-q",
        ],
    )
    assert res.exit_code == 0, res.output
    return out


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"))))


def test_archivematica_variant_is_deposited_and_the_source_is_unchanged(
    tmp_path: Path, article_bag: Path, deposit_env: Path
) -> None:
    before = _fingerprint(article_bag)
    dest = tmp_path / "transfer-source"
    dest.mkdir()
    res = CliRunner().invoke(
        main, ["deposit", str(article_bag), "--to", dest.as_uri(), "--for", "archivematica"]
    )
    assert res.exit_code == 0, res.output
    assert "archivematica variant" in res.output
    assert _fingerprint(article_bag) == before  # same bytes, same files (inodes)
    deposited = dest / article_bag.name
    bagit.Bag(str(deposited)).validate()  # every manifest regenerated correctly
    assert CliRunner().invoke(main, ["validate", str(deposited)]).exit_code == 0

    rows = _rows((deposited / "data" / "metadata" / "metadata.csv").read_bytes())
    header, body = rows[0], rows[1:]
    assert header[0] == "filename" and set(header) <= DOCUMENTED
    by_name = {r[0]: r for r in body}
    # the transfer row carries the article, each image row its figure
    assert by_name["objects"][header.index("dc.title")] == "The Ferry That Held a Town Together"
    images = sorted(
        p.relative_to(deposited / "data").as_posix()
        for p in (deposited / "data" / "images").iterdir()
    )
    assert sorted(n for n in by_name if n != "objects") == [f"objects/{p}" for p in images]
    for name in by_name:
        if name != "objects":
            assert (deposited / "data" / name[len("objects/") :]).is_file()
    first = by_name["objects/images/01.jpg"]
    assert first[header.index("dc.description")].startswith("The ferry loaded with a hay cart")
    assert first[header.index("dc.type")] == "StillImage"
    subjects = [v for h, v in zip(header, by_name["objects"], strict=True) if h == "dc.subject"]
    assert subjects == ["Eastmoor", "River Wend", "ferries"]  # a repeated element repeats

    rights = _rows((deposited / "data" / "metadata" / "rights.csv").read_bytes())
    assert tuple(rights[0]) == RIGHTS_COLUMNS
    assert {r[0] for r in rights[1:]} == {f"objects/{p}" for p in images}
    assert all(r[1] == "copyright" and r[7] for r in rights[1:])

    # the same bag again: the variant is the same bytes, so it is recognised
    again = deposit_bag(article_bag, dest.as_uri(), for_system="archivematica")
    assert again.outcome == "already-present"
    assert [e["outcome"] for e in records(deposit_env)] == ["deposited", "already-present"]
    assert _fingerprint(article_bag) == before


def test_archivematica_variant_as_a_zip_on_an_object_store_shape(
    tmp_path: Path, article_bag: Path, deposit_env: Path
) -> None:
    """What an S3/Azure transfer source gets (here through the same serialiser): a .zip that
    Archivematica accepts, holding one bag folder with the two CSV files."""
    from bagsmith.pipeline.archivematica import archivematica_variant
    from bagsmith.pipeline.depositing import serialise_for_deposit

    (tmp_path / "v").mkdir()
    variant = archivematica_variant(article_bag, tmp_path / "v")
    archive = serialise_for_deposit(variant, tmp_path, "zip")
    assert archive.name.endswith(".zip")
    with zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
        zf.extractall(tmp_path / "out")
    assert f"{article_bag.name}/data/metadata/metadata.csv" in names
    bagit.Bag(str(tmp_path / "out" / article_bag.name)).validate()


def test_refused_without_dublin_core_or_for_an_archive_or_when_csv_exists(
    tmp_path: Path, deposit_env: Path
) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    plain = sample_bag(tmp_path)
    with pytest.raises(BagError, match="no Dublin Core"):
        deposit_bag(plain, dest.as_uri(), for_system="archivematica")
    res = CliRunner().invoke(main, ["deposit", str(plain), "--to", dest.as_uri(), "--for", "x"])
    assert res.exit_code == 2
    assert list(dest.iterdir()) == []


def test_the_target_setting_asks_for_the_variant_too(
    tmp_path: Path, article_bag: Path, deposit_env: Path
) -> None:
    dest = tmp_path / "share"
    dest.mkdir()
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[targets.am]\nurl = "{dest.as_uri()}"\nfor = "archivematica"\n')
    result = deposit_bag(article_bag, "am", config=cfg)
    assert result.outcome == "deposited"
    assert (dest / article_bag.name / "data" / "metadata" / "metadata.csv").is_file()
    cfg.write_text(f'[targets.am]\nurl = "{dest.as_uri()}"\nfor = "dspace"\n')
    res = CliRunner().invoke(
        main, ["deposit", str(article_bag), "--to", "am", "--config", str(cfg)]
    )
    assert res.exit_code == 2 and "unknown receiving system 'dspace'" in res.output
