"""The batch's profile: loaded once, before anything is written, and handed to the workers
loaded; a profile that names nothing usable is one usage error (exit 2), not one failure per
article."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bagsmith.bagit import profiles
from bagsmith.bagit.validate import Mode
from bagsmith.cli import main
from bagsmith.errors import ProfileError
from bagsmith.pipeline.batch import BatchOptions, run_batch
from bagsmith.pipeline.validation import validate_one
from tests.batch_helpers import Inline, make_collection

INFO = (("Source-Organization", "Test Archive"),)


def test_an_unknown_profile_is_one_usage_error_and_nothing_is_written(tmp_path: Path) -> None:
    coll = make_collection(tmp_path / "coll", 3, figures=1)
    out = tmp_path / "bags"
    args = ["batch", str(coll), "-o", str(out), "-w", "1", "--profile", "no-such-profile"]
    result = CliRunner().invoke(main, [*args, "-i", "Source-Organization=A"])
    assert result.exit_code == 2
    assert result.output.count("error[") == 1  # once, not once per article
    assert "error[usage]: --profile no-such-profile: no profile named" in result.output
    assert not out.exists()


def test_run_batch_refuses_an_unknown_profile_before_it_writes(tmp_path: Path) -> None:
    coll = make_collection(tmp_path / "coll", 2, figures=1)
    out = tmp_path / "bags"
    with pytest.raises(ProfileError, match="no-such-profile"):
        run_batch(coll, out, BatchOptions(workers=1, profile="no-such-profile", info=INFO))
    assert not out.exists()


def test_the_profile_is_read_once_per_batch(
    tmp_path: Path, schema_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    coll = make_collection(tmp_path / "coll", 4, figures=1)
    out = tmp_path / "bags"
    read: list[Path] = []
    real = profiles.load_profile_file

    def load_profile_file(path: Path, *args: object, **kwargs: object) -> profiles.Profile:
        read.append(Path(path))
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(profiles, "load_profile_file", load_profile_file)
    report = run_batch(coll, out, BatchOptions(workers=1, info=INFO), executor=Inline())
    assert report.count("packaged") == 4
    assert [p.name for p in read] == ["bagsmith-article-v1.json"]
    # every bag was still made with it: each conforms
    for n in range(1, 5):
        bag = validate_one(out / f"art-0{n}", mode=Mode.FULL, profile="bagsmith-article-v1")
        assert bag.valid and [p["conforms"] for p in bag.profiles] == [True]
