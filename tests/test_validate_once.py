"""``package`` builds DC and METS once and runs the XSD once per document; the check of the
staged bag skips the XSD only for the very bytes this process validated (issue 16)."""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bagsmith import xmlschemas
from bagsmith.bagit.validate import BagValidation, Mode
from bagsmith.metadata.checks import MetsFacts
from bagsmith.pipeline import describing, package_steps
from bagsmith.pipeline.describing import Description, check_metadata_file, describe_article
from bagsmith.pipeline.packaging import PackageOptions, package_article
from bagsmith.problems import Report
from bagsmith.xmlschemas import stream

from .metadata_helpers import example_article
from .test_package_support import INFO, make_example

CREATED = "2026-11-27T09:30:00Z"


@pytest.fixture
def xsd_runs(monkeypatch: pytest.MonkeyPatch) -> Counter[tuple[str, bool]]:
    """Every parse of a document by the checker, whole or by sections: (display, whether the
    XSD ran)."""
    runs: Counter[tuple[str, bool]] = Counter()
    for name in ("_run", "_whole"):
        real = getattr(stream, name)

        def spy(source: Any, validator: Any, display: str, *args: Any, real: Any = real) -> Any:
            runs[display, validator is not None] += 1
            return real(source, validator, display, *args)

        monkeypatch.setattr(stream, name, spy)
    return runs


@pytest.fixture
def built(schema_cache: Path, tmp_path: Path) -> Description:
    article, files = example_article(tmp_path / "src")
    result = describe_article(article, files, created=CREATED)
    assert result.report.problems == [] and result.mets_proof and result.dc_proof
    return result


def test_package_builds_and_validates_each_document_once(
    tmp_path: Path,
    schema_cache: Path,
    monkeypatch: pytest.MonkeyPatch,
    xsd_runs: Counter[tuple[str, bool]],
) -> None:
    example = make_example(tmp_path / "src")
    builds: list[int] = []
    real_build = describing.build_mets

    def counting_build(data: Any) -> bytes:
        builds.append(1)
        return real_build(data)

    monkeypatch.setattr(describing, "build_mets", counting_build)
    hashed: list[str] = []
    real_hash = stream._sha256_of

    def spy_hash(source: Any) -> Any:
        hashed.append("data/" + str(source).split("/data/", 1)[1])
        return real_hash(source)

    monkeypatch.setattr(stream, "_sha256_of", spy_hash)
    written: list[bytes] = []

    class Hashlib:  # what write_generated hashes of the files it writes
        def new(self, name: str, data: bytes = b"") -> Any:
            written.append(data)
            return hashlib.new(name, data)

    monkeypatch.setattr(package_steps, "hashlib", Hashlib())
    result = package_article(
        example / "article" / "article.txt",
        tmp_path / "bag",
        PackageOptions(images=example / "article", info=INFO),
    )
    assert result.validation is not None and result.validation.valid
    assert builds == [1]
    # the XSD once per document, when it is built (the METS's semantic facts collected in
    # the same parse); the staged files are neither parsed nor hashed again: the full BagIt
    # check re-read them against the manifests, which hold the digests of the bytes validated
    assert xsd_runs == {("dc.xml", True): 1, ("mets.xml", True): 1}
    assert hashed == []
    # dc.xml and the METS were hashed when they were built (the proof's SHA-256 is one of
    # those digests), not again as they were written: only the record JSON was
    bag = tmp_path / "bag"
    assert set(written) == {(bag / "data/metadata/article.json").read_bytes()}
    for name, algorithm in (("data/mets.xml", "sha256"), ("data/metadata/dc.xml", "sha512")):
        manifest = (bag / f"manifest-{algorithm}.txt").read_text().splitlines()
        assert (
            f"{hashlib.new(algorithm, (bag / name).read_bytes()).hexdigest()}  {name}" in manifest
        )


def test_proven_bytes_skip_the_xsd_but_not_the_semantic_checks(
    built: Description, tmp_path: Path, xsd_runs: Counter[tuple[str, bool]]
) -> None:
    path = tmp_path / "mets.xml"
    path.write_bytes(built.mets_xml)
    assert check_metadata_file(path, "data/mets.xml", proof=built.mets_proof) == []
    assert xsd_runs == {("data/mets.xml", False): 1}
    # a digest the manifests disagree with is still found: only the XSD is skipped
    xsd_runs.clear()
    problems = check_metadata_file(
        path,
        "data/mets.xml",
        digests={"data/article.txt": {"sha256": "0" * 64}},
        proof=built.mets_proof,
    )
    assert [p.code for p in problems] == ["mets-checksum-mismatch"]
    assert xsd_runs == {("data/mets.xml", False): 1}


def test_known_facts_are_checked_against_the_bag_without_a_parse(
    built: Description, tmp_path: Path, xsd_runs: Counter[tuple[str, bool]]
) -> None:
    assert built.mets_facts is not None
    path = tmp_path / "mets.xml"
    path.write_bytes(built.mets_xml)
    kwargs: dict[str, Any] = {"proof": built.mets_proof, "facts": built.mets_facts}
    assert check_metadata_file(path, "data/mets.xml", **kwargs) == []
    wrong = {"data/article.txt": {"sha256": "0" * 64}}
    problems = check_metadata_file(path, "data/mets.xml", digests=wrong, **kwargs)
    assert [p.code for p in problems] == ["mets-checksum-mismatch"]
    assert problems[0].path == "data/mets.xml" and problems[0].line
    assert xsd_runs == {}  # neither parsed nor validated: hashed
    # the facts given are copied, never resolved themselves: they serve again
    assert not built.mets_facts.resolved
    assert check_metadata_file(path, "data/mets.xml", **kwargs) == []


def test_a_verified_digest_is_used_only_when_it_is_the_proven_one(
    built: Description, tmp_path: Path, xsd_runs: Counter[tuple[str, bool]]
) -> None:
    """The SHA-256 the caller has just verified the file has (the full BagIt check of the
    staged bag) stands for hashing it; a digest that is not the proof's means other bytes:
    checked in full."""
    assert built.mets_proof is not None and built.mets_facts is not None
    path = tmp_path / "mets.xml"
    path.write_bytes(built.mets_xml)
    kwargs: dict[str, Any] = {"proof": built.mets_proof, "facts": built.mets_facts}
    verified = built.mets_proof.sha256
    assert check_metadata_file(path, "data/mets.xml", sha256=verified, **kwargs) == []
    assert xsd_runs == {}
    assert check_metadata_file(path, "data/mets.xml", sha256="0" * 64, **kwargs) == []
    assert xsd_runs == {("data/mets.xml", True): 1}


@pytest.mark.parametrize(
    ("mode", "error", "known"),
    [("full", False, True), ("full", True, False), ("fast", False, False)],
    ids=["clean-full-check", "any-error", "digests-not-read"],
)
def test_a_staged_file_digest_is_known_only_from_a_clean_full_check(
    mode: str, error: bool, known: bool
) -> None:
    report = Report("bag")
    if error:
        report.add("payload-digest-mismatch", "data/other.jpg differs", "data/other.jpg")
    validation = BagValidation("bag", "directory", Mode(mode), report)
    digests = {"data/mets.xml": {"sha256": "ab" * 32, "sha512": "cd" * 64}}
    found = package_steps.verified_sha256(validation, digests, "data/mets.xml")
    assert found == ("ab" * 32 if known else None)
    assert package_steps.verified_sha256(validation, {}, "data/mets.xml") is None


def test_known_facts_are_not_used_for_changed_bytes(
    built: Description, tmp_path: Path, xsd_runs: Counter[tuple[str, bool]]
) -> None:
    """Schema-valid bytes that are not the proven ones: parsed, validated, and checked on
    their own facts (a CHECKSUM changed on disk no longer matches the manifests)."""
    article = next(iter(built.mets_facts.files if built.mets_facts else ()))
    assert article.checksum is not None
    attribute = f'CHECKSUM="{article.checksum}"'.encode()
    assert attribute in built.mets_xml
    changed = built.mets_xml.replace(attribute, b'CHECKSUM="' + b"0" * 64 + b'"', 1)
    path = tmp_path / "mets.xml"
    path.write_bytes(changed)
    assert article.href is not None and article.checksum_type == "SHA-256"
    digests = {f"data/{article.href}": {"sha256": article.checksum}}
    problems = check_metadata_file(
        path,
        "data/mets.xml",
        digests=digests,
        proof=built.mets_proof,
        facts=built.mets_facts,
    )
    assert [p.code for p in problems] == ["mets-checksum-mismatch"]
    assert xsd_runs == {("data/mets.xml", True): 1}


def test_a_mets_changed_on_disk_after_validation_is_checked_in_full(
    built: Description, tmp_path: Path, xsd_runs: Counter[tuple[str, bool]]
) -> None:
    """The proof is for the bytes validated in memory; the file read from disk is hashed as it
    is parsed, and bytes that differ are run through the XSD (and their errors reported)."""
    changed = built.mets_xml.replace(b"<premis:size>", b"<premis:size>twelve kB ", 1)
    assert changed != built.mets_xml
    path = tmp_path / "mets.xml"
    path.write_bytes(changed)
    problems = check_metadata_file(path, "data/mets.xml", proof=built.mets_proof)
    assert {p.code for p in problems} == {"xml-schema-invalid"}
    assert any("twelve kB" in p.message for p in problems)
    # not parsed for the proof (its digest differs), then checked whole, then by sections
    # for the report with lines
    assert xsd_runs == {("data/mets.xml", True): 2}
    # the same bytes in memory (no file) likewise
    problems = check_metadata_file(changed, "data/mets.xml", proof=built.mets_proof)
    assert {p.code for p in problems} == {"xml-schema-invalid"}


def test_a_change_that_keeps_the_xml_valid_is_still_read_in_full(
    built: Description, tmp_path: Path, xsd_runs: Counter[tuple[str, bool]]
) -> None:
    """A byte changed in a comment-free text node: still schema-valid, but not the proven
    bytes, so the full check runs (and the semantic checks run on what is on disk)."""
    changed = built.mets_xml.replace(b'LABEL="', b'LABEL="X', 1)
    path = tmp_path / "mets.xml"
    path.write_bytes(changed)
    assert check_metadata_file(path, "data/mets.xml", proof=built.mets_proof) == []
    assert xsd_runs[("data/mets.xml", True)] == 1


@pytest.mark.parametrize("change", ["schemas", "kind"])
def test_a_proof_for_other_schemas_or_another_kind_is_not_used(
    built: Description, tmp_path: Path, xsd_runs: Counter[tuple[str, bool]], change: str
) -> None:
    assert built.mets_proof is not None
    proof = (
        dataclasses.replace(built.mets_proof, schemas=("elsewhere", (("mets.xsd", "0"),)))
        if change == "schemas"
        else built.dc_proof
    )
    path = tmp_path / "mets.xml"
    path.write_bytes(built.mets_xml)
    assert check_metadata_file(path, "data/mets.xml", proof=proof) == []
    assert xsd_runs == {("data/mets.xml", True): 1}


def test_no_proof_for_invalid_bytes(
    schema_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_build = describing.build_mets

    def bad_size(data: Any) -> bytes:
        return real_build(data).replace(b"<premis:size>", b"<premis:size>twelve kB ", 1)

    monkeypatch.setattr(describing, "build_mets", bad_size)
    article, files = example_article(tmp_path / "src")
    result = describe_article(article, files, created=CREATED)
    assert result.report.errors and result.mets_proof is None and result.dc_proof is not None


def _facts_and_problems(data: bytes, display: str) -> tuple[MetsFacts, list[Any]]:
    facts = MetsFacts(display)
    problems = xmlschemas.validate_stream(
        data, xmlschemas.validator(), display, expect="mets", visit=facts.visit
    )
    return facts, problems


@pytest.mark.parametrize(
    "change",
    [
        (b"", b""),
        (b"<premis:size>", b"<premis:size>twelve kB "),  # schema-invalid
        (b"</mets:metsHdr>", b"</mets:metsHdr><mets:bogus/>"),  # misplaced section
        (b"<mets:fileSec", b"<mets:fileSec <"),  # not well-formed
        (b'<?xml version="1.0" encoding="UTF-8"?>', b'<?xml version="1.0"?><!DOCTYPE x>'),
    ],
    ids=["valid", "invalid", "misplaced", "malformed", "dtd"],
)
def test_whole_and_by_sections_find_the_same(
    built: Description, monkeypatch: pytest.MonkeyPatch, change: tuple[bytes, bytes]
) -> None:
    """A small document is parsed whole (one XSD run); by sections (a large one, or for the
    report of any problem) the problems and the facts of the semantic checks are the same."""
    data = built.mets_xml.replace(*change, 1) if change[0] else built.mets_xml
    assert change[0] in built.mets_xml
    whole = _facts_and_problems(data, "data/mets.xml")
    monkeypatch.setattr(stream, "WHOLE_MAX_BYTES", 0)
    sections = _facts_and_problems(data, "data/mets.xml")
    assert whole == sections
    assert (whole[1] == []) is (change[0] == b"")
    if not whole[1]:
        assert whole[0].files and whole[0].ids and whole[0].mix


def test_batch_runs_the_xsd_once_per_document_of_each_article(
    tmp_path: Path, schema_cache: Path, xsd_runs: Counter[tuple[str, bool]]
) -> None:
    """``run_batch`` (in this process): per article, DC and METS through the XSD once each."""
    from PIL import Image

    from bagsmith.pipeline.batch import BatchOptions, run_batch
    from tests.batch_helpers import Inline

    collection = tmp_path / "collection"
    for number in (1, 2, 3):
        folder = collection / f"article-{number}"
        (folder / "images").mkdir(parents=True)
        (folder / "article.txt").write_text(
            f"Harbour {number}\n\nPhotographs of the harbour.\n\n#1 Docks\n\n#2 Ships\n",
            encoding="utf-8",
        )
        for figure in (1, 2):
            Image.new("RGB", (16, 12), (number * 40, figure * 60, 90)).save(
                folder / "images" / f"{figure:02d}.jpg"
            )
    options = BatchOptions(workers=1, info=INFO)
    report = run_batch(collection, tmp_path / "bags", options, executor=Inline())
    assert [o.status for o in report.outcomes] == ["packaged"] * 3 and not report.failed
    assert xsd_runs == {("dc.xml", True): 3, ("mets.xml", True): 3}
