"""`bagsmith report`: writing atomically, never into the bag, deposit history, exit codes."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import lxml.html
import pytest
from click.testing import CliRunner

from bagsmith.bagit.validate import validate_bag
from bagsmith.cli import main
from bagsmith.deposit import record
from bagsmith.deposit.base import DepositResult
from bagsmith.errors import DestinationError, UsageError
from bagsmith.pipeline import reporting
from bagsmith.pipeline.reporting import write_report
from tests.report_helpers import damage, plain_bag


def _tree(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        p.relative_to(folder).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
    }


def _text(el: lxml.html.HtmlElement) -> str:
    return re.sub(r"\s+", " ", " ".join(el.itertext())).strip()


def test_cli_writes_the_report_and_leaves_the_bag_alone(tmp_path: Path) -> None:
    bag = plain_bag(tmp_path)
    before = _tree(bag)
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", str(bag), "--html", str(out), "--no-deposits"])
    assert result.exit_code == 0, result.output
    assert "valid, 0 errors, 0 warnings" in result.output and "8 files" in result.output
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert _tree(bag) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_cli_json_and_invalid_bag_exits_one_with_the_page_written(tmp_path: Path) -> None:
    bag = plain_bag(tmp_path)
    damage(bag, "data/notes/blob-0.bin")
    out = tmp_path / "report.html"
    result = CliRunner().invoke(
        main, ["report", str(bag), "--html", str(out), "--json", "--no-deposits"]
    )
    assert result.exit_code == 1, result.output  # like `bagsmith validate`
    data = json.loads(result.stdout)
    # one digest mismatch per payload manifest (bagit-python writes sha256 and sha512)
    assert data["valid"] is False and data["counts"]["error"] == 2
    assert data["files"] == 8 and data["figures"] is None and data["thumbnails"] == 3
    assert data["bytes"] == out.stat().st_size and data["html"] == str(out)
    # --fast does not hash, so it does not see the damage: valid, exit 0, nothing printed
    out.unlink()
    result = CliRunner().invoke(main, ["report", str(bag), "--html", str(out), "--fast", "-q"])
    assert result.exit_code == 0 and result.output == "" and out.is_file()
    # the human summary says INVALID and that the page was written; exit 1
    out.unlink()
    result = CliRunner().invoke(main, ["report", str(bag), "--html", str(out), "--no-deposits"])
    assert result.exit_code == 1 and out.is_file()
    assert "INVALID, 2 errors" in result.stdout
    assert f"the bag is INVALID; the report {out} was written" in result.stderr
    # --no-validate: the page is all that was asked for
    result = CliRunner().invoke(main, ["report", str(bag), "--html", str(out), "--no-validate"])
    assert result.exit_code == 0 and "not validated" in result.stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["missing-bag", "--html", "{tmp}/r.html"], 2, "cannot read"),
        (["{bag}", "--html", "{tmp}/no-such-folder/r.html"], 2, "does not exist"),
        (["{bag}", "--html", "{bag}/data/r.html"], 2, "inside the bag"),
        (["{bag}", "--html", "{tmp}/r.html", "--fast", "--no-validate"], 2, "cannot be used"),
    ],
)
def test_cli_errors_are_clear_and_write_nothing(
    tmp_path: Path, args: list[str], code: int, message: str
) -> None:
    bag = plain_bag(tmp_path)
    before = _tree(bag)
    filled = [a.format(tmp=tmp_path, bag=bag) for a in args]
    result = CliRunner().invoke(main, ["report", *filled])
    assert result.exit_code == code
    assert message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "r.html").exists()
    assert _tree(bag) == before
    assert validate_bag(bag).valid


def test_a_failed_render_leaves_the_old_report_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bag = plain_bag(tmp_path)
    out = tmp_path / "out" / "report.html"
    out.parent.mkdir()
    out.write_text("old report", encoding="utf-8")

    def explode(_data: object) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(reporting, "render_html", explode)
    with pytest.raises(KeyboardInterrupt):
        write_report(bag, out, deposits=False)
    monkeypatch.undo()
    assert out.read_text(encoding="utf-8") == "old report"

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(DestinationError, match="No space left"):
        write_report(bag, out, deposits=False)
    monkeypatch.undo()
    assert out.read_text(encoding="utf-8") == "old report"
    assert [p.name for p in out.parent.iterdir()] == ["report.html"]
    write_report(bag, out, deposits=False)
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert oct(out.stat().st_mode & 0o777) == "0o644"
    with pytest.raises(UsageError, match="inside the bag"):
        write_report(bag, bag / "report.html")
    with pytest.raises(DestinationError, match="is a folder"):
        write_report(bag, tmp_path)


def test_deposit_history_of_this_bag_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bag = plain_bag(tmp_path)
    other = plain_bag(tmp_path, "other-bag")
    data_dir = tmp_path / "data-dir"
    ok = DepositResult(
        target="file:///archive", bag=str(bag.resolve()), outcome="deposited", verified=True,
        location="file:///archive/plain-bag", identifiers={"External-Identifier": "<i>x</i>"},
        started="2026-01-02T10:00:00Z", finished="2026-01-02T10:00:05Z",
    )  # fmt: skip
    failed = DepositResult(
        target="sftp://store.example/bags", bag=str(bag.resolve()), outcome="failed",
        error={"message": "permission denied"}, started="2026-01-01T09:00:00Z",
    )  # fmt: skip
    record.append(failed, data_dir)
    record.append(ok, data_dir)
    record.append(DepositResult(target="s3://b", bag=str(other.resolve())), data_dir)
    monkeypatch.setenv("BAGSMITH_DATA_DIR", str(data_dir))
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", str(bag), "--html", str(out), "--no-validate"])
    assert result.exit_code == 0, result.output
    page = lxml.html.document_fromstring(out.read_text(encoding="utf-8"))
    rows = page.xpath("//table[contains(@class,'deposits')]/tbody/tr")
    cells = [[_text(td) for td in row.xpath("./td")] for row in rows]
    assert cells == [
        ["2026-01-01T09:00:00Z", "sftp://store.example/bags", "failed: permission denied", "no", ""],
        [
            "2026-01-02T10:00:00Z to 2026-01-02T10:00:05Z", "file:///archive", "deposited",
            "yes", "file:///archive/plain-bag External-Identifier: <i>x</i>",
        ],
    ]  # fmt: skip
    assert page.xpath("//i") == []
    with (data_dir / "deposits.jsonl").open("a", encoding="utf-8") as fh:
        fh.write("{damaged\n")
    result = CliRunner().invoke(main, ["report", str(bag), "--html", str(out), "--no-validate"])
    assert result.exit_code == 0
    assert "the deposit record cannot be read" in result.output
    page = lxml.html.document_fromstring(out.read_text(encoding="utf-8"))
    assert "deposits.jsonl:4" in _text(page.xpath("//section[contains(@class,'notes')]")[0])
    assert "was not read" in _text(page.xpath("//section[@id='deposits']")[0])
