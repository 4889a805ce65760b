"""file:// deposits, the deposit record, dry runs, the CLI and the config file."""

from __future__ import annotations

import errno
import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from bagsmith.cli import main
from bagsmith.cli.flags import flag_name
from bagsmith.deposit import directory
from bagsmith.deposit.base import RetryPolicy, TransientError, reason_of, retry
from bagsmith.errors import BagError, DepositError, UsageError
from bagsmith.pipeline.depositing import deposit_bag, list_deposits
from tests.servers import (
    FAST_RETRY,
    ShownProgress,
    as_unprivileged,
    bytes_bag,
    deposit_command,
    deposit_env,
    records,
    sample_bag,
    tar_bag,
    tiny_fs,
    zip_bag,
)

__all__ = ["deposit_env", "tiny_fs"]


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    d = tmp_path / "share"
    d.mkdir()
    return d


def test_folder_deposit_is_copied_verified_renamed_and_recorded(
    tmp_path: Path, dest: Path, deposit_env: Path
) -> None:
    bag = sample_bag(tmp_path, External_Identifier="urn:x:1")
    before = _tree(bag)
    result = deposit_bag(bag, dest.as_uri(), retry_policy=FAST_RETRY)
    assert result.outcome == "deposited" and result.verified
    assert sorted(p.name for p in dest.iterdir()) == ["bag"]  # no temporary left over
    assert _tree(dest / "bag") == before
    assert _tree(bag) == before  # the source is untouched
    assert result.location == (dest / "bag").as_uri()
    assert result.files == len(before) and result.bytes == sum(map(len, before.values()))
    assert result.identifiers == {"External-Identifier": "urn:x:1"}
    [entry] = records(deposit_env)
    assert entry["outcome"] == "deposited" and entry["verified"] is True
    assert entry["checksums"] == {"bag-sha256": result.checksums["bag-sha256"]}
    assert entry["target"] == dest.as_uri() and entry["finished"]


def test_the_bytes_copied_are_shown_up_to_the_bag_or_the_archive_size(
    tmp_path: Path, dest: Path, deposit_env: Path
) -> None:
    bag = sample_bag(tmp_path)
    size = sum(p.stat().st_size for p in bag.rglob("*") if p.is_file())
    shown = ShownProgress()
    deposit_bag(bag, dest.as_uri(), progress=shown)
    assert shown.reached(size) and len(shown.sent) > 2, (size, shown.phases, shown.sent)
    archive = zip_bag(bag, tmp_path / "bag.zip")
    shown = ShownProgress()
    deposit_bag(archive, dest.as_uri(), name="z.zip", progress=shown)
    assert shown.reached(archive.stat().st_size), shown.phases


def test_identical_redeposit_is_verified_not_duplicated(
    tmp_path: Path, dest: Path, deposit_env: Path
) -> None:
    bag = sample_bag(tmp_path)
    deposit_bag(bag, dest.as_uri())
    again = deposit_bag(bag, dest.as_uri())
    assert again.outcome == "already-present" and again.verified
    assert sorted(p.name for p in dest.iterdir()) == ["bag"]
    assert [e["outcome"] for e in records(deposit_env)] == ["deposited", "already-present"]


def test_different_bag_with_same_name_is_refused_unless_renamed(
    tmp_path: Path, dest: Path, deposit_env: Path
) -> None:
    deposit_bag(sample_bag(tmp_path / "a"), dest.as_uri())
    other = sample_bag(tmp_path / "b", variant="two")
    with pytest.raises(DepositError) as err:
        deposit_bag(other, dest.as_uri())
    assert reason_of(err.value) == "conflict" and "another name (--name)" in err.value.text(
        flag_name
    )
    assert _tree(dest / "bag") != _tree(other)
    renamed = deposit_bag(other, dest.as_uri(), name="bag-v2")
    assert renamed.outcome == "deposited" and _tree(dest / "bag-v2") == _tree(other)
    assert [e["outcome"] for e in records(deposit_env)] == ["deposited", "failed", "deposited"]


def test_dry_run_sends_and_records_nothing(tmp_path: Path, dest: Path, deposit_env: Path) -> None:
    result = deposit_bag(sample_bag(tmp_path), dest.as_uri(), dry_run=True)
    assert result.outcome == "dry-run" and "would copy 9 file(s)" in result.details[0]
    assert list(dest.iterdir()) == [] and records(deposit_env) == []


@pytest.mark.parametrize("suffix", [".zip", ".tar", ".tgz"])
def test_serialised_bag_is_deposited_as_one_verified_file(
    tmp_path: Path, dest: Path, deposit_env: Path, suffix: str
) -> None:
    bag = sample_bag(tmp_path)
    archive = tmp_path / f"bag{suffix}"
    (zip_bag if suffix == ".zip" else tar_bag)(bag, archive)
    result = deposit_bag(archive, dest.as_uri())
    assert result.outcome == "deposited"
    assert (dest / archive.name).read_bytes() == archive.read_bytes()
    assert set(result.checksums) == {"md5", "sha256"}
    assert [p.name for p in dest.iterdir()] == [archive.name]
    assert deposit_bag(archive, dest.as_uri()).outcome == "already-present"


def test_corruption_during_copy_is_caught_and_nothing_is_published(
    tmp_path: Path, dest: Path, deposit_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = directory.copy_file

    def corrupting(src: Path, target: Path, sent: object = None) -> None:
        real(src, target)
        if target.name == "article.txt":
            target.write_bytes(b"flipped bits\n")

    monkeypatch.setattr(directory, "copy_file", corrupting)
    with pytest.raises(DepositError) as err:
        deposit_bag(sample_bag(tmp_path), dest.as_uri(), retry_policy=FAST_RETRY)
    assert reason_of(err.value) == "checksum-mismatch"
    assert "data/article.txt" in str(err.value)
    assert list(dest.iterdir()) == []
    [entry] = records(deposit_env)
    assert entry["outcome"] == "failed" and entry["verified"] is False
    assert entry["error"]["reason"] == "checksum-mismatch"  # type: ignore[index]


def test_a_damaged_local_bag_is_not_deposited(
    tmp_path: Path, dest: Path, deposit_env: Path
) -> None:
    bag = sample_bag(tmp_path)
    (bag / "data" / "article.txt").write_text("changed after bagging\n")
    with pytest.raises(BagError, match="the bag is not valid") as err:
        deposit_bag(bag, dest.as_uri())
    assert "data/article.txt: sha256 expected" in str(err.value)
    assert "[payload-digest-mismatch]" in str(err.value)
    assert list(dest.iterdir()) == [] and records(deposit_env) == []


def test_transient_failure_is_retried(
    tmp_path: Path, dest: Path, deposit_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = directory.copy_file
    calls = {"n": 0}

    def flaky(src: Path, target: Path, sent: object = None) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(errno.EIO, "Input/output error")
        real(src, target)

    monkeypatch.setattr(directory, "copy_file", flaky)
    result = deposit_bag(sample_bag(tmp_path), dest.as_uri(), retry_policy=FAST_RETRY)
    assert result.outcome == "deposited" and result.attempts == 2
    assert "attempt 1 failed: Input/output error" in result.details[0]
    assert sorted(p.name for p in dest.iterdir()) == ["bag"]


def test_full_destination_is_a_permanent_error(
    tmp_path: Path, dest: Path, deposit_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(src: Path, target: Path, sent: object = None) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(directory, "copy_file", full)
    with pytest.raises(DepositError) as err:
        deposit_bag(sample_bag(tmp_path), dest.as_uri(), retry_policy=FAST_RETRY)
    assert reason_of(err.value) == "no-space"
    assert records(deposit_env)[0]["attempts"] == 1
    assert list(dest.iterdir()) == []


def test_unwritable_destination_is_a_permission_error(tmp_path: Path, deposit_env: Path) -> None:
    target = Path("/sys/fs")  # a kernel file system nobody, not even root, can create files in
    if not target.is_dir():
        pytest.skip("/sys/fs is not available")
    with pytest.raises(DepositError) as err:
        deposit_bag(sample_bag(tmp_path), target.as_uri(), retry_policy=FAST_RETRY)
    assert reason_of(err.value) == "permission"


def test_really_full_destination_fails_cleanly(
    tmp_path: Path, tiny_fs: Path, deposit_env: Path
) -> None:
    """A real 1 MiB file system and a 2 MiB bag: no-space, not retried, no partial left."""
    bag = bytes_bag(tmp_path, 2 * 1024 * 1024)
    with pytest.raises(DepositError, match="No space left") as err:
        deposit_bag(bag, tiny_fs.as_uri(), retry_policy=FAST_RETRY)
    assert reason_of(err.value) == "no-space"
    assert list(tiny_fs.iterdir()) == []  # the temporary copy is gone, nothing published
    [entry] = records(deposit_env)
    assert entry["outcome"] == "failed" and entry["verified"] is False
    assert entry["attempts"] == 1 and entry["error"]["reason"] == "no-space"  # type: ignore[index]
    small = sample_bag(tmp_path)  # the file system still works: a bag that fits goes in
    assert deposit_bag(small, tiny_fs.as_uri()).outcome == "deposited"


def test_read_only_destination_folder_is_a_permission_error(
    tmp_path: Path, dest: Path, deposit_env: Path
) -> None:
    """A folder with mode 0555; as root the deposit runs without CAP_DAC_OVERRIDE."""
    bag = sample_bag(tmp_path)
    dest.chmod(0o555)
    try:
        peek = subprocess.run([*as_unprivileged(), "mkdir", str(dest / "probe")], check=False)
        assert peek.returncode != 0, "the folder is still writable: the test would prove nothing"
        proc = deposit_command(bag, dest.as_uri(), deposit_env)
    finally:
        dest.chmod(0o755)
    assert proc.returncode == 1, proc.stderr
    assert f"error[deposit]: {dest / 'bag'}: cannot write the deposit: Permission denied" in (
        proc.stderr
    )
    assert "Traceback" not in proc.stderr and list(dest.iterdir()) == []
    [entry] = records(deposit_env)
    assert entry["outcome"] == "failed" and entry["verified"] is False
    assert entry["error"]["reason"] == "permission"  # type: ignore[index]


def test_missing_destination_and_bad_urls(tmp_path: Path, deposit_env: Path) -> None:
    bag = sample_bag(tmp_path)
    with pytest.raises(DepositError, match="does not exist"):
        deposit_bag(bag, (tmp_path / "nope").as_uri())
    with pytest.raises(UsageError, match="unknown deposit target scheme"):
        deposit_bag(bag, "gopher://x/y")
    with pytest.raises(UsageError, match="password in the target URL"):
        deposit_bag(bag, "sftp://me:secret@host/x")
    with pytest.raises(UsageError, match="must be local"):
        deposit_bag(bag, "file://otherhost/x")
    with pytest.raises(UsageError, match="neither a URL nor a target"):
        deposit_bag(bag, "archive")


def test_retry_gives_up_after_the_limit() -> None:
    calls: list[int] = []

    def always() -> None:
        calls.append(1)
        raise TransientError("connection reset")

    with pytest.raises(DepositError, match="gave up after 3 attempt"):
        retry(always, RetryPolicy(attempts=3, base_delay=0), sleep=lambda s: None)
    assert len(calls) == 3
    delays = [RetryPolicy(base_delay=1, max_delay=3).delay(n) for n in (1, 2, 3, 4)]
    assert all(0.5 <= d <= 1 for d in delays[:1]) and all(d <= 3 for d in delays)


def test_named_target_from_config_and_credential_permissions(
    tmp_path: Path, dest: Path, deposit_env: Path
) -> None:
    config = tmp_path / "userconfig" / "bagsmith" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[deposit]\nretries = 2\n\n[targets.share]\nurl = "{dest.as_uri()}"\n')
    config.chmod(0o644)  # no credentials: readable by others is fine
    result = deposit_bag(sample_bag(tmp_path), "share")
    assert result.outcome == "deposited" and result.target == f"share ({dest.as_uri()})"
    secret = "s3cr3t-do-not-show"
    config.write_text(
        config.read_text()
        + f'\n[targets.other]\nurl = "s3://b/p"\nsecret_access_key = "{secret}"\n'
    )
    with pytest.raises(DepositError, match="others can read it") as err:
        deposit_bag(sample_bag(tmp_path / "x"), "share")
    assert reason_of(err.value) == "config" and secret not in str(err.value)
    config.chmod(0o600)
    assert deposit_bag(sample_bag(tmp_path / "y"), "share", name="y").outcome == "deposited"
    assert secret not in (deposit_env / "deposits.jsonl").read_text()


def test_cli_deposit_and_deposits_list(tmp_path: Path, dest: Path, deposit_env: Path) -> None:
    bag = sample_bag(tmp_path)
    runner = CliRunner()
    res = runner.invoke(main, ["deposit", str(bag), "--to", dest.as_uri(), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["outcome"] == "deposited" and doc["verified"] is True
    res = runner.invoke(main, ["deposit", str(bag), "--to", dest.as_uri()])
    assert res.exit_code == 0 and "already present" in res.output
    res = runner.invoke(main, ["deposit", str(bag), "--to", dest.as_uri(), "--dry-run"])
    assert res.exit_code == 0 and "already present" in res.output
    dry = ["deposit", str(bag), "--to", dest.as_uri(), "--dry-run", "--name", "new"]
    res = runner.invoke(main, dry)
    assert res.exit_code == 0 and "dry run" in res.output and not (dest / "new").exists()
    res = runner.invoke(main, ["deposit", str(bag), "--to", (tmp_path / "x").as_uri()])
    assert res.exit_code == 1 and "error[deposit]" in res.output and "Traceback" not in res.output
    res = runner.invoke(main, ["deposits", "list", "--json"])
    outcomes = [e["outcome"] for e in json.loads(res.output)]
    assert outcomes == ["deposited", "already-present", "failed"]
    res = runner.invoke(main, ["deposits", "list", "--outcome", "already-present"])
    assert res.exit_code == 0 and res.output.count("already-present") == 1
    assert len(list_deposits(bag=str(bag))) == 3


def test_cli_missing_bag_is_a_usage_error(tmp_path: Path, deposit_env: Path) -> None:
    res = CliRunner().invoke(main, ["deposit", str(tmp_path / "none"), "--to", "file:///tmp"])
    assert res.exit_code == 2 and "cannot read the bag" in res.output
    assert not (deposit_env / "deposits.jsonl").exists()


def test_no_verify_is_recorded_as_unverified(
    tmp_path: Path, dest: Path, deposit_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*args: object) -> None:
        raise AssertionError("--no-verify must not read the copy back")

    monkeypatch.setattr(directory.DirectoryTarget, "read_tree", never)
    bag = sample_bag(tmp_path)
    result = deposit_bag(bag, dest.as_uri(), verify=False)
    assert result.outcome == "deposited-unverified" and result.verified is False
    assert _tree(dest / "bag") == _tree(bag)
    [entry] = records(deposit_env)
    assert entry["outcome"] == "deposited-unverified" and entry["verified"] is False


def test_a_bag_is_never_deposited_into_or_onto_itself(tmp_path: Path, deposit_env: Path) -> None:
    """Issue #17 finding 15: refused before anything is written, the bag byte-identical."""
    bag = sample_bag(tmp_path)
    before = _tree(bag)
    runner = CliRunner()
    for to, message in [
        (f"file://{bag}/data", "the destination is inside the bag"),
        (f"file://{bag}", "the destination is inside the bag"),
        (f"file://{tmp_path}", "the destination is the bag itself"),
        (f"ocfl://{bag}/data/ocfl", "the OCFL storage root is inside the bag"),
        (f"ocfl://{tmp_path}", "the bag is inside the OCFL storage root"),
    ]:
        res = runner.invoke(main, ["deposit", str(bag), "--to", to, "--object-id", "x"])
        assert res.exit_code == 1 and message in res.output, (to, res.output)
        assert "Traceback" not in res.output
        assert _tree(bag) == before
        assert sorted(p.name for p in tmp_path.iterdir()) == ["bag", "home", "userdata"]
    assert [e["error"]["reason"] for e in records(deposit_env)] == ["config"] * 5  # type: ignore[index]
    # a link to the bag is the bag
    link = tmp_path / "elsewhere"
    link.symlink_to(bag / "data")
    with pytest.raises(DepositError, match="inside the bag"):
        deposit_bag(bag, link.as_uri())
    link.unlink()
    # beside itself under another name is a real second copy
    copy = deposit_bag(bag, tmp_path.as_uri(), name="bag-copy")
    assert copy.outcome == "deposited" and _tree(tmp_path / "bag-copy") == before
    assert _tree(bag) == before
