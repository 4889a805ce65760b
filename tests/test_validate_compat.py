"""Reading bags of every BagIt version and dialect, and bags made by bagit-python."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import bagit
import pytest

from bagsmith.bagit.validate import Mode, validate_bag
from tests.validate_helpers import codes, errors, manifest_text, retag, tree_fingerprint, write_bag

PAYLOAD = {"a.txt": b"alpha\n", "dir with space/b c.txt": b"bravo\n"}


@pytest.mark.parametrize("version", ["0.93", "0.94", "0.95", "0.96", "0.97", "1.0"])
def test_every_version_is_read(tmp_path: Path, version: str) -> None:
    name = "package-info.txt" if version < "0.96" else "bag-info.txt"
    bag = write_bag(tmp_path / "b", PAYLOAD, version=version, bag_info_name=name)
    result = validate_bag(bag, processes=1)
    assert result.valid, codes(result)
    assert result.bagit_version == version


@pytest.mark.parametrize("encoding", ["UTF-8", "ISO-8859-1", "UTF-16"])
def test_tag_file_encodings(tmp_path: Path, encoding: str) -> None:
    payload = {"caf\u00e9.txt": b"coffee", "plain.txt": b"p"}
    info = [("Contact-Name", "J\u00f3zsef K\u00e1roly"), ("External-Description", "na\u00efve")]
    bag = write_bag(tmp_path / "b", payload, encoding=encoding, info=info)
    result = validate_bag(bag, processes=1)
    assert result.valid, [str(p) for p in result.report]
    assert result.tag_encoding == encoding


def test_tag_file_not_in_declared_encoding(tmp_path: Path) -> None:
    bag = write_bag(tmp_path / "b", PAYLOAD)
    (bag / "bag-info.txt").write_bytes(b"Contact-Name: J\xf3zsef\n")  # latin-1 bytes, says UTF-8
    result = validate_bag(bag, processes=1)
    found = [p for p in result.report if p.code == "tag-file-undecodable"]
    assert found and found[0].path == "bag-info.txt" and found[0].line == 1


def test_dot_slash_prefix_tabs_and_crlf(tmp_path: Path) -> None:
    bag = write_bag(tmp_path / "b", PAYLOAD, tag_manifests=False)
    files = {f"data/{k}": v for k, v in PAYLOAD.items()}
    text = manifest_text(files, "sha256", prefix="./", sep="\t").replace("\n", "\r\n")
    (bag / "manifest-sha256.txt").write_text(text, newline="")
    assert validate_bag(bag, processes=1).valid


def test_percent_encoded_names(tmp_path: Path) -> None:
    payload = {"100%.txt": b"full", "line\nbreak.txt": b"odd", "cr\rname": b"odd too"}
    bag = write_bag(tmp_path / "b", payload)
    text = (bag / "manifest-sha256.txt").read_text()
    assert "100%25.txt" in text and "line%0Abreak" in text and "cr%0Dname" in text
    result = validate_bag(bag, processes=1)
    assert result.valid and codes(result) == []


def test_holey_bag_with_fetch_txt(tmp_path: Path) -> None:
    payload = {"here.txt": b"present", "remote/big.bin": b"x" * 1000, "remote/c.bin": b"yy"}
    fetch = (
        "https://example.org/big.bin 1000 data/remote/big.bin\n"
        "https://example.org/c.bin - data/remote/c.bin\n"
    )
    bag = write_bag(tmp_path / "b", payload, extra_tags={"fetch.txt": fetch.encode()})
    (bag / "data/remote/big.bin").unlink()
    (bag / "data/remote/c.bin").unlink()
    # incomplete, so invalid (RFC 8493 §3); each file to fetch is named with its URL
    result = validate_bag(bag, processes=1)
    assert not result.valid
    assert errors(result) == ["fetch-file-pending", "fetch-file-pending"]
    pending = [(p.path, p.message) for p in result.report.errors]
    assert pending[0][0] == "data/remote/big.bin"
    assert "https://example.org/big.bin" in pending[0][1] and "line 1" in pending[0][1]
    assert pending[1][0] == "data/remote/c.bin"
    assert result.fetch_pending == 2
    # --allow-holey: everything else is checked, the files to fetch are info
    holey = validate_bag(bag, processes=1, allow_holey=True)
    assert holey.valid, [str(p) for p in holey.report]
    infos = [p.path for p in holey.report if p.code == "fetch-file-pending"]
    assert infos == ["data/remote/big.bin", "data/remote/c.bin"]
    assert all(p.level.value == "info" for p in holey.report if p.code == "fetch-file-pending")
    # a missing file that fetch.txt does not mention is still an error
    (bag / "data/here.txt").unlink()
    assert "payload-file-missing" in errors(validate_bag(bag, processes=1, allow_holey=True))


def test_fetch_txt_problems(tmp_path: Path) -> None:
    fetch = (
        "https://example.org/x 1 ../../etc/passwd\n"
        "https://example.org/y 1 /abs/path\n"
        "not a fetch line\n"
        "https://example.org/z 5 data/unlisted.bin\n"
    )
    bag = write_bag(tmp_path / "b", PAYLOAD, extra_tags={"fetch.txt": fetch.encode()})
    result = validate_bag(bag, processes=1)
    found = [(p.code, p.line) for p in result.report if p.path == "fetch.txt"]
    assert ("manifest-path-unsafe", 1) in found and ("manifest-path-unsafe", 2) in found
    assert ("fetch-line-invalid", 3) in found and ("fetch-file-unlisted", 4) in found


def test_bag_in_a_bag_is_payload(tmp_path: Path) -> None:
    inner = write_bag(tmp_path / "inner", {"x.txt": b"inner payload"})
    payload = {
        f"inner/{p.relative_to(inner).as_posix()}": p.read_bytes()
        for p in inner.rglob("*")
        if p.is_file()
    }
    payload["outer.txt"] = b"outer"
    bag = write_bag(tmp_path / "outer", payload)
    result = validate_bag(bag, processes=1)
    assert result.valid and result.payload_files == len(payload)


def test_repeated_tags_and_unusual_separators(tmp_path: Path) -> None:
    bag = write_bag(tmp_path / "b", PAYLOAD)
    oxum = f"{sum(map(len, PAYLOAD.values()))}.{len(PAYLOAD)}"
    (bag / "bag-info.txt").write_text(
        "Contact-Name: One\nContact-Name: Two\nExternal-Identifier:no-space\n"
        f"Source-Organization : Spaced\nPayload-Oxum: {oxum}\n"
        "External-Description: a long value\n  continued here\n"
    )
    retag(bag)
    result = validate_bag(bag, processes=1)
    assert result.valid, [str(p) for p in result.report]
    assert codes(result).count("label-separator-unusual") == 2
    assert "bag-info-repeated-tag" in codes(result)


def test_invalid_tag_line(tmp_path: Path) -> None:
    bag = write_bag(tmp_path / "b", PAYLOAD)
    (bag / "bag-info.txt").write_text("Contact-Name: x\nno colon here\n")
    result = validate_bag(bag, processes=1)
    found = [p for p in result.report if p.code == "tag-line-invalid"]
    assert found and found[0].line == 2


# --- bagit-python as an independent oracle ---------------------------------------------------


def _source(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    for rel, data in {
        "a.txt": b"alpha",
        "deep/er/b.bin": bytes(range(256)) * 10,
        "na\u00efve \u00e9t\u00e9.txt": b"unicode",
        "sp ace/c.txt": b"space",
        "pct%41.txt": b"percent",
        "pct%25.txt": b"bagit-python writes this name unencoded",
    }.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes(data)
    return src


@pytest.mark.parametrize(
    "algorithms", [["md5"], ["sha256"], ["sha512"], ["sha256", "sha512", "md5"]]
)
def test_bags_made_by_bagit_python_are_valid(tmp_path: Path, algorithms: list[str]) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(_source(tmp_path), copy)
    bagit.make_bag(str(copy), {"Contact-Name": "Tester"}, checksums=algorithms)
    before = tree_fingerprint(copy)
    for mode in Mode:
        result = validate_bag(copy, mode=mode, processes=2)
        assert result.valid, [str(p) for p in result.report]
        assert set(codes(result)) - {"manifest-algorithm-weak"} == {"manifest-percent-unencoded"}
    assert tree_fingerprint(copy) == before
    assert bagit.Bag(str(copy)).is_valid()


def test_bagit_python_bag_with_fetch_txt(tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(_source(tmp_path), copy)
    bag = bagit.make_bag(str(copy), checksums=["sha256"])
    size = (copy / "data/a.txt").stat().st_size
    (copy / "data/a.txt").unlink()
    (copy / "fetch.txt").write_text(f"https://example.org/a.txt {size} data/a.txt\n")
    bag.save(manifests=False)  # rewrites the tag manifest to cover fetch.txt
    # bagit-python calls a bag with files still to fetch invalid; so do we
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(copy)).validate()
    assert errors(validate_bag(copy, processes=1)) == ["fetch-file-pending"]
    result = validate_bag(copy, processes=1, allow_holey=True)
    assert result.valid, [str(p) for p in result.report]
    assert "fetch-file-pending" in codes(result)


def test_bagit_python_detects_what_we_detect(tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(_source(tmp_path), copy)
    bagit.make_bag(str(copy), checksums=["sha256"])
    (copy / "data/a.txt").write_bytes(b"ALPHA")
    result = validate_bag(copy, processes=1)
    assert errors(result) == ["payload-digest-mismatch"]
    assert hashlib.sha256(b"ALPHA").hexdigest() in result.report.errors[0].message
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(copy)).validate()


def test_cr_only_line_endings_and_decode_error_line_numbers(tmp_path: Path) -> None:
    bag = write_bag(tmp_path / "b", PAYLOAD, tag_manifests=False)
    files = {f"data/{k}": v for k, v in PAYLOAD.items()}
    (bag / "manifest-sha256.txt").write_text(
        manifest_text(files, "sha256").replace("\n", "\r"), newline=""
    )
    assert validate_bag(bag, processes=1).valid
    (bag / "bag-info.txt").write_bytes(b"A: 1\nB: 2\nC: caf\xe9\nD: 4\n")
    found = [p for p in validate_bag(bag, processes=1).report if p.code == "tag-file-undecodable"]
    assert [(p.path, p.line) for p in found] == [("bag-info.txt", 3)]


def test_utf16_tag_files_without_a_bom_are_a_problem_not_a_crash(tmp_path: Path) -> None:
    bag = write_bag(tmp_path / "b", PAYLOAD)
    (bag / "bagit.txt").write_bytes(b"BagIt-Version: 0.97\nTag-File-Character-Encoding: UTF-16\n")
    manifest = (bag / "manifest-sha256.txt").read_text(encoding="utf-8")
    (bag / "manifest-sha256.txt").write_bytes(manifest.encode("utf-16-be"))  # no BOM
    (bag / "bag-info.txt").write_bytes("Contact-Name: Ann\n".encode("utf-16"))
    result = validate_bag(bag, processes=1)
    assert not result.valid
    found = [p for p in result.report if p.code == "tag-file-undecodable"]
    assert found and found[0].path == "manifest-sha256.txt", [str(p) for p in result.report]


@pytest.mark.parametrize("codec", ["rot13", "base64", "zlib", "no-such-codec"])
def test_an_encoding_that_is_not_a_character_set_is_reported(tmp_path: Path, codec: str) -> None:
    bag = write_bag(tmp_path / "b", PAYLOAD)
    (bag / "bagit.txt").write_bytes(
        f"BagIt-Version: 1.0\nTag-File-Character-Encoding: {codec}\n".encode()
    )
    result = validate_bag(bag, processes=1)
    found = [p for p in result.report if p.code == "tag-encoding-unsupported"]
    assert found and found[0].path == "bagit.txt" and found[0].line == 2
