"""Every way `package` can fail leaves no bag, no staging folder, and the sources untouched."""

from __future__ import annotations

import errno
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bagsmith.bagit.serialize import ArchiveFormat
from bagsmith.cli.exits import error_exit
from bagsmith.cli.flags import flag_name
from bagsmith.errors import (
    BagError,
    BagsmithError,
    DestinationError,
    InputError,
    Interrupted,
    MetadataError,
    ProfileError,
    SchemaCacheError,
    SourceConflictError,
    UsageError,
)
from bagsmith.pipeline import describing, packaging
from bagsmith.pipeline.packaging import PackageOptions, package_article
from tests.test_package_support import INFO, leftovers, make_example, record, tree_state


@pytest.fixture
def example(tmp_path: Path) -> Path:
    return make_example(tmp_path / "src")


def run_failing(
    example: Path,
    out: Path,
    error: type[BagsmithError],
    options: PackageOptions,
    article: Path | None = None,
) -> BagsmithError:
    """Package, expect ``error``, and check that nothing was left anywhere."""
    before = tree_state(example)
    out.mkdir(exist_ok=True)
    dest = out / "bag"
    with pytest.raises(error) as caught:
        package_article(article or example / "article" / "article.txt", dest, options)
    assert not dest.exists() and not (out / "bag.zip").exists()
    assert leftovers(out) == []
    assert sorted(p.name for p in out.iterdir()) == []
    assert tree_state(example) == before
    return caught.value


def images_options(example: Path, **kwargs: Any) -> PackageOptions:
    return PackageOptions(images=example / "article", info=INFO, **kwargs)


def test_bad_sidecar(example: Path, tmp_path: Path, schema_cache: Path) -> None:
    sidecar = example / "bad.yaml"
    sidecar.write_text("title: Ferry\nfigures:\n  - number: 1\n    date: 1956-13\n")
    exc = run_failing(
        example, tmp_path / "out", MetadataError, images_options(example, metadata=sidecar)
    )
    assert exc.path == str(sidecar) and exc.line == 4 and "figures[0].date" in str(exc)


def test_broken_image_stops_before_writing(
    example: Path, tmp_path: Path, schema_cache: Path
) -> None:
    photo = example / "article" / "02.jpg"
    photo.write_bytes(photo.read_bytes()[:2000])  # truncated
    exc = run_failing(example, tmp_path / "out", InputError, images_options(example))
    assert "02.jpg" in str(exc) and "--allow-broken-images" in exc.text(flag_name)


def test_broken_image_allowed_is_packaged_as_it_is(
    example: Path, tmp_path: Path, schema_cache: Path
) -> None:
    photo = example / "article" / "02.jpg"
    photo.write_bytes(photo.read_bytes()[:2000])
    dest = tmp_path / "out" / "bag"
    result = package_article(
        example / "article" / "article.txt",
        dest,
        images_options(example, allow_broken_images=True),
    )
    assert (dest / "data/images/02.jpg").read_bytes() == photo.read_bytes()
    assert "image-corrupt" in [w.code for w in result.warnings]
    figure = next(f for f in record(dest)["figures"] if f["number"] == 2)
    assert figure["image"]["problems"]  # the record says what is wrong with it
    assert result.validation is not None and result.validation.valid


def test_missing_required_tags_are_all_listed_before_any_hashing(
    example: Path, tmp_path: Path, schema_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = json.loads(
        (Path(packaging.__file__).parents[3] / "profiles" / "bagsmith-article-v1.json").read_text()
    )
    doc["BagIt-Profile-Info"]["BagIt-Profile-Identifier"] = "urn:example:profile:strict"
    doc["Bag-Info"]["Contact-Email"] = {"required": True}
    doc["Bag-Info"]["Access"] = {"required": True, "values": ["open", "closed"]}
    profile = tmp_path / "strict.json"
    profile.write_text(json.dumps(doc), encoding="utf-8")

    def no_copy(*args: object, **kwargs: object) -> None:
        raise AssertionError("nothing may be copied or hashed")

    monkeypatch.setattr(packaging, "copy_payload", no_copy)
    exc = run_failing(
        example,
        tmp_path / "out",
        ProfileError,
        PackageOptions(info=(("Access", "secret"),), profile=str(profile)),
    )
    message = str(exc)
    for tag in ("Source-Organization", "Contact-Email", "Access"):
        assert tag in message
    assert "(3 problems)" in message and "'open', 'closed'" in message
    assert "strict (urn:example:profile:strict)" in message
    assert 'info="LABEL=VALUE"' in message  # the setting, as the library names it
    assert "give bag-info tags with --info LABEL=VALUE" in exc.text(flag_name)  # the CLI


def test_profile_rules_beyond_tags_are_checked_before_writing(
    example: Path, tmp_path: Path, schema_cache: Path
) -> None:
    """aptrust-style: tar only, a required aptrust-info.txt, md5 manifests."""
    exc = run_failing(
        example,
        tmp_path / "out",
        ProfileError,
        images_options(example, profile="aptrust-style-v2.2", serialize=ArchiveFormat.ZIP),
    )
    message = str(exc)
    for code in (
        "profile-serialization-not-accepted",
        "profile-tag-file-required",
        "profile-manifest-required",
    ):
        assert code in message


def test_schema_cache_missing(
    example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "no-schemas"
    empty.mkdir()
    monkeypatch.setenv("BAGSMITH_SCHEMA_DIR", str(empty))
    exc = run_failing(example, tmp_path / "out", SchemaCacheError, images_options(example))
    assert "bagsmith schemas install" in str(exc)


def test_interrupt_while_copying(
    example: Path, tmp_path: Path, schema_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = packaging.copy_payload
    seen: list[Path] = []

    def copy_then_interrupt(root: Path, *args: Any, **kwargs: Any) -> object:
        real(root, *args, **kwargs)
        seen.append(root)
        assert (root / "data/images/01.jpg").is_file()  # the copy was under way
        raise KeyboardInterrupt

    monkeypatch.setattr(packaging, "copy_payload", copy_then_interrupt)
    run_failing(example, tmp_path / "out", Interrupted, images_options(example, processes=2))
    assert seen and not seen[0].exists()


def test_a_staged_bag_that_does_not_validate_is_not_moved_into_place(
    example: Path, tmp_path: Path, schema_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = packaging.write_tag_files

    def write_then_damage(root: Path, *args: Any, **kwargs: Any) -> None:
        real(root, *args, **kwargs)
        (root / "data/images/01.jpg").write_bytes(b"changed after hashing")

    monkeypatch.setattr(packaging, "write_tag_files", write_then_damage)
    exc = run_failing(example, tmp_path / "out", BagError, images_options(example))
    assert "payload-digest-mismatch" in str(exc) and "data/images/01.jpg" in str(exc)


def test_report_failure_removes_the_package(
    example: Path, tmp_path: Path, schema_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(packaging, "write_report", full_disk)
    run_failing(
        example,
        tmp_path / "out",
        DestinationError,
        images_options(example, report=tmp_path / "report.html", serialize=ArchiveFormat.ZIP),
    )
    assert not (tmp_path / "report.html").exists()


CASES: list[tuple[str, type[BagsmithError], Callable[[Path, Path], PackageOptions]]] = [
    (
        "report inside the bag",
        UsageError,
        lambda ex, out: images_options(ex, report=out / "bag" / "r.html"),
    ),
    (
        "report folder missing",
        DestinationError,
        lambda ex, out: images_options(ex, report=out / "nowhere" / "r.html"),
    ),
    ("bad --created", UsageError, lambda ex, out: images_options(ex, created="yesterday")),
    ("unknown profile", ProfileError, lambda ex, out: images_options(ex, profile="no-such")),
    ("bad algorithm", UsageError, lambda ex, out: images_options(ex, algorithms=("crc32",))),
    ("bad --processes", UsageError, lambda ex, out: images_options(ex, processes=0)),
    ("computed tag", UsageError, lambda ex, out: PackageOptions(info=(("Payload-Oxum", "1.1"),))),
    ("bad bag group", UsageError, lambda ex, out: images_options(ex, bag_group=("g", 3, 2))),
]


@pytest.mark.parametrize(("name", "error", "make"), CASES, ids=[c[0] for c in CASES])
def test_bad_options(
    example: Path,
    tmp_path: Path,
    schema_cache: Path,
    name: str,
    error: type[BagsmithError],
    make: Callable[[Path, Path], PackageOptions],
) -> None:
    out = tmp_path / "out"
    run_failing(example, out, error, make(example, out))


def test_sidecar_named_like_generated_metadata(
    example: Path, tmp_path: Path, schema_cache: Path
) -> None:
    sidecar = example / "dc.xml"
    sidecar.write_text("{}", encoding="utf-8")
    exc = run_failing(
        example, tmp_path / "out", UsageError, images_options(example, metadata=sidecar)
    )
    assert "rename" in (exc.hint or "")


def test_missing_article(example: Path, tmp_path: Path, schema_cache: Path) -> None:
    run_failing(
        example, tmp_path / "out", InputError, images_options(example), example / "nope.txt"
    )


def test_output_inside_the_images_folder(example: Path, schema_cache: Path) -> None:
    before = tree_state(example)
    with pytest.raises(SourceConflictError):
        package_article(
            example / "article" / "article.txt",
            example / "article" / "bag",
            images_options(example),
        )
    assert tree_state(example) == before


def test_existing_destination_is_left_alone(
    example: Path, tmp_path: Path, schema_cache: Path
) -> None:
    dest = tmp_path / "bag"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(DestinationError):
        package_article(example / "article" / "article.txt", dest, images_options(example))
    assert [p.name for p in dest.iterdir()] == ["keep.txt"]
    assert leftovers(tmp_path) == []


def test_an_image_changed_after_it_was_characterised(
    example: Path, tmp_path: Path, schema_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = packaging.copy_payload
    photo = example / "article" / "04.jpg"

    def change_then_copy(*args: Any, **kwargs: Any) -> object:
        photo.write_bytes(photo.read_bytes() + b"\0")  # someone edits the file meanwhile
        return real(*args, **kwargs)

    monkeypatch.setattr(packaging, "copy_payload", change_then_copy)
    out = tmp_path / "out"
    with pytest.raises(InputError, match="changed while it was being packaged") as caught:
        package_article(example / "article" / "article.txt", out / "bag", images_options(example))
    assert caught.value.path == str(photo)
    assert list(out.iterdir()) == []


def test_schema_invalid_mets_stops_the_package(
    example: Path,
    tmp_path: Path,
    schema_cache: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The real XSD validation (no mock of the validator) refuses a METS whose PREMIS size is
    not a number: MetadataError naming mets.xml and the line, nothing written. The METS is
    built once, in staging (with the digests of the copies); the refusal removes the staging
    folder."""
    real_build = describing.build_mets
    calls: list[int] = []

    def build_with_bad_size(data: Any) -> bytes:
        calls.append(1)
        mets = real_build(data)
        assert b"<premis:size>" in mets
        return mets.replace(b"<premis:size>", b"<premis:size>twelve kB ", 1)

    monkeypatch.setattr(describing, "build_mets", build_with_bad_size)
    copied: list[int] = []
    real_copy = packaging.copy_payload

    def counting_copy(*args: Any, **kwargs: Any) -> Any:
        copied.append(1)
        return real_copy(*args, **kwargs)

    monkeypatch.setattr(packaging, "copy_payload", counting_copy)
    exc = run_failing(example, tmp_path / "out", MetadataError, images_options(example))
    assert error_exit(exc) == 1 and calls == [1] and copied == [1]
    assert exc.path == "mets.xml" and exc.line is not None and exc.line > 1
    assert str(exc).startswith(f"mets.xml:{exc.line}: the generated Dublin Core / METS")
    assert "twelve kB" in str(exc) and "nothing was written" in str(exc)
    assert exc.problems and all(p.path == "mets.xml" for p in exc.problems)
    assert {p.code for p in exc.problems} == {"xml-schema-invalid"}
    assert exc.to_dict()["problems"][0]["line"] == exc.line
