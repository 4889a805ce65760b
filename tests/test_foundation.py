"""The foundation: errors, problems catalogue, fixity, tag files and manifest paths."""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bagsmith import errors, fixity, model
from bagsmith.bagit import manifest, tagfiles
from bagsmith.problems import CATALOGUE, Problem, Report, Severity

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def test_problem_code_docs_are_up_to_date() -> None:
    spec = importlib.util.spec_from_file_location("gen", ROOT / "scripts" / "gen_problem_codes.py")
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    current = (DOCS / "problem-codes.md").read_text(encoding="utf-8")
    assert current == gen.render(), "run: python scripts/gen_problem_codes.py"
    for code in CATALOGUE:
        assert f"| `{code}` |" in current


def test_every_error_code_is_documented_and_unique() -> None:
    infos = errors.catalogue()
    codes = [i.code for i in infos]
    assert len(codes) == len(set(codes))
    text = (DOCS / "problem-codes.md").read_text(encoding="utf-8")
    for code in codes:
        assert f"`{code}`" in text


def test_problem_rejects_unknown_code_and_report_counts() -> None:
    with pytest.raises(KeyError):
        Problem("no-such-code", "x")
    report = Report("bag")
    report.add("manifest-binary-marker", "star", "manifest-md5.txt", 3)
    assert report.valid
    report.add("payload-file-missing", "gone", "data/a")
    assert not report.valid
    assert report.to_dict()["errors"] == 1
    assert report.problems[0].severity is Severity.WARNING
    assert str(report.problems[0]) == ("warning[manifest-binary-marker] manifest-md5.txt:3: star")


def test_hash_file_one_pass_matches_hashlib(tmp_path: Path) -> None:
    small = tmp_path / "small"
    small.write_bytes(b"abc" * 1000)
    big = tmp_path / "big"
    big.write_bytes(bytes(range(256)) * 40000)  # > SMALL_FILE, goes through mmap
    for path in (small, big):
        data = path.read_bytes()
        digests, size = fixity.hash_file(path, ["md5", "sha256", "sha512"])
        assert size == len(data)
        for alg, value in digests.items():
            assert value == hashlib.new(alg, data).hexdigest()


def test_hash_many_parallel_keeps_order_and_reports_errors(tmp_path: Path) -> None:
    jobs = []
    for i in range(300):
        p = tmp_path / f"f{i}"
        p.write_bytes(str(i).encode() * (i + 1) * 100)
        jobs.append(fixity.HashJob(f"data/f{i}", str(p), p.stat().st_size))
    jobs.insert(7, fixity.HashJob("data/missing", str(tmp_path / "missing"), 0))
    results = list(fixity.hash_many(jobs, ["sha256"], processes=2, total_bytes=50_000_000))
    assert [r.key for r in results] == [j.key for j in jobs]
    assert results[7].digests is None and results[7].error
    assert results[0].digests == {"sha256": hashlib.sha256(b"0" * 100).hexdigest()}


def test_algorithm_names() -> None:
    assert fixity.parse_algorithms(["SHA-256", "sha512", "sha256"]) == ("sha256", "sha512")
    with pytest.raises(errors.UsageError):
        fixity.parse_algorithms(["crc32"])
    with pytest.raises(errors.UsageError):
        fixity.parse_algorithms(["sha384"])  # readable, not offered for writing


@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=1))
def test_manifest_path_encoding_round_trips(name: str) -> None:
    encoded = manifest.encode_path(name)
    assert "\n" not in encoded and "\r" not in encoded
    assert manifest.decode_path(encoded) == name


def test_manifest_percent_encoding_only_touches_cr_lf_percent() -> None:
    assert manifest.encode_path("data/100% a\nb\rc %20.txt") == ("data/100%25 a%0Ab%0Dc %2520.txt")
    assert manifest.decode_path("data/a%20b%0a%25") == "data/a%20b\n%"


def test_parse_manifest_lines() -> None:
    line = manifest.parse_line("ABC123\t ./data/my file.txt")
    assert line == manifest.ManifestLine("abc123", "data/my file.txt", False, dot_slash=True)
    star = manifest.parse_line("abc *data/x")
    assert isinstance(star, manifest.ManifestLine) and star.binary_marker
    assert isinstance(manifest.parse_line(" abc data/x"), manifest.LineProblem)
    assert isinstance(manifest.parse_line("abc"), manifest.LineProblem)
    bad = manifest.parse_line("abc\u00a0data/x")
    assert isinstance(bad, manifest.LineProblem) and bad.code == "manifest-whitespace-invalid"
    assert manifest.unsafe_reason("data/../../etc/passwd")
    assert manifest.unsafe_reason("/etc/passwd")
    assert manifest.unsafe_reason("~/x")
    assert manifest.unsafe_reason("data/a..b") is None


def test_tag_folding_round_trips_and_keeps_colons() -> None:
    value = "Ein langer Wert: mit Doppelpunkt, Umlauten äöü und " + "Wörtern " * 30
    value = value.strip()
    text = tagfiles.format_tags([("External-Description", value), ("Source", "http://x/y:1")])
    assert all(len(line) <= 79 for line in text.splitlines())
    tags, bad = tagfiles.parse_tags(text)
    assert not bad
    assert [(t.label, t.value) for t in tags] == [
        ("External-Description", value),
        ("Source", "http://x/y:1"),
    ]


def test_info_option_parsing() -> None:
    from bagsmith.cli.options import parse_info_option

    assert parse_info_option("Contact-Name=Ada: Lovelace=1") == ("Contact-Name", "Ada: Lovelace=1")
    with pytest.raises(errors.UsageError) as caught:
        parse_info_option("no-equals")
    assert caught.value.field == "--info"  # the CLI names its flag
    with pytest.raises(errors.UsageError) as caught:
        tagfiles.checked_tag("Bad:Label", "x")  # the library names the label
    assert "--" not in caught.value.message


def test_tag_parsing_keeps_repeats_and_flags_odd_separators() -> None:
    tags, bad = tagfiles.parse_tags("A: 1\nA: 2\nB:3\nC : 4\n  continued\nnot a tag\n")
    assert [(t.label, t.value) for t in tags] == [
        ("A", "1"),
        ("A", "2"),
        ("B", "3"),
        ("C", "4 continued"),
    ]
    assert [t.unusual_separator for t in tags] == [False, False, True, True]
    assert [b.line for b in bad] == [6]


def _asdict_reference(value: object) -> object:
    """What Article.to_dict gave when it was ``asdict`` with tuples turned into lists."""
    import dataclasses

    def lists(v: object) -> object:
        if isinstance(v, dict):
            return {k: lists(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [lists(x) for x in v]
        return v

    return lists(dataclasses.asdict(value))  # type: ignore[call-overload]


_text = st.text(max_size=8)
_maybe = st.none() | _text
_image = st.builds(
    model.ImageInfo,
    path=_text, format=_text, mime_type=_text, width=st.integers(0, 9), height=st.integers(0, 9),
    mode=_text, bits_per_sample=st.lists(st.integers(1, 16), max_size=4),
    icc_profile=_maybe, dpi=st.none() | st.tuples(st.floats(0, 600), st.floats(0, 600)),
    exif=st.dictionaries(_text, _text, max_size=3), sha256=_text, size=st.integers(0, 9),
    problems=st.lists(_text, max_size=2).map(tuple),
    iptc=st.dictionaries(_text, _text, max_size=2), xmp=st.dictionaries(_text, _text, max_size=2),
)  # fmt: skip
_figure = st.builds(
    model.Figure,
    number=st.none() | st.integers(0, 99), caption=_text, description=_maybe, date=_maybe,
    places=st.lists(_text, max_size=2).map(tuple), image=st.none() | _image,
    section=st.none() | st.integers(0, 3),
)  # fmt: skip
_article = st.builds(
    model.Article,
    title=_text, creators=st.lists(_text, max_size=2).map(tuple), date_published=_maybe,
    sections=st.lists(
        st.builds(model.Section, heading=_maybe, paragraphs=st.lists(_text, max_size=3).map(tuple)),
        max_size=3,
    ).map(tuple),
    figures=st.lists(_figure, max_size=3).map(tuple), warnings=st.lists(_text, max_size=2).map(tuple),
)  # fmt: skip


@given(_article)
def test_article_record_is_what_asdict_gives(article: model.Article) -> None:
    """to_dict walks the dataclasses itself (asdict's copies cost most of the record's JSON);
    the record is the same: every field in order, tuples as lists, nested figures and images."""
    record = article.to_dict()
    assert record == _asdict_reference(article)
    assert list(record) == [f.name for f in dataclasses.fields(model.Article)]
    for got, figure in zip(record["figures"], article.figures, strict=True):
        assert list(got) == [f.name for f in dataclasses.fields(model.Figure)]
        if figure.image is not None:
            assert type(got["image"]["dpi"]) is (list if figure.image.dpi else type(None))
