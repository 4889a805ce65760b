"""s3:// deposits against a real SeaweedFS S3 service (weed mini on free ports)."""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from bagsmith.cli import main
from bagsmith.deposit import s3 as s3mod
from bagsmith.deposit.base import TransientError, reason_of
from bagsmith.deposit.onefile import chunk_size
from bagsmith.errors import DepositError
from bagsmith.pipeline.depositing import deposit_bag
from tests.servers import (
    FAST_RETRY,
    S3_BUCKET,
    S3_KEY,
    S3_SECRET,
    S3Server,
    ShownProgress,
    deposit_env,
    make_bag,
    records,
    sample_bag,
    start_weed,
    stop,
    weed,
    zip_bag,
)

__all__ = ["deposit_env", "weed"]

MIB = 1024 * 1024


def _config(
    tmp_path: Path, server: S3Server, prefix: str, secret: str = S3_SECRET, **extra: object
) -> Path:
    lines = [
        "[targets.store]",
        f'url = "s3://{S3_BUCKET}/{prefix}"',
        f'endpoint_url = "{server.endpoint}"',
        f'access_key_id = "{S3_KEY}"',
        f'secret_access_key = "{secret}"',
    ]
    lines += [f"{k} = {json.dumps(v)}" for k, v in extra.items()]
    cfg = tmp_path / "config.toml"
    cfg.write_text("\n".join(lines) + "\n")
    cfg.chmod(0o600)
    return cfg


def _prefix(tmp_path: Path) -> str:
    return f"t{os.getpid()}-{tmp_path.name}"


def test_folder_bag_is_serialised_uploaded_and_verified(
    tmp_path: Path, weed: S3Server, deposit_env: Path
) -> None:
    prefix = _prefix(tmp_path)
    cfg = _config(tmp_path, weed, prefix)
    bag = sample_bag(tmp_path)
    result = deposit_bag(bag, "store", config=cfg, retry_policy=FAST_RETRY)
    assert result.outcome == "deposited" and result.verified
    assert result.form == "archive" and result.identifiers["archive-format"] == "zip"
    key = f"{prefix}/bag.zip"
    assert result.location == f"s3://{S3_BUCKET}/{key}"
    body = weed.client().get_object(Bucket=S3_BUCKET, Key=key)["Body"].read()
    assert hashlib.sha256(body).hexdigest() == result.checksums["archive-sha256"]
    assert result.identifiers["etag"] == hashlib.md5(body).hexdigest()
    out = tmp_path / "out"
    (tmp_path / "got.zip").write_bytes(body)
    with zipfile.ZipFile(tmp_path / "got.zip") as zf:
        zf.extractall(out)
    got = {
        p.relative_to(out / "bag").as_posix(): p.read_bytes()
        for p in (out / "bag").rglob("*")
        if p.is_file()
    }
    assert got == {
        p.relative_to(bag).as_posix(): p.read_bytes() for p in bag.rglob("*") if p.is_file()
    }
    # the same bag again: recognised (the tar is deterministic), not sent twice
    again = deposit_bag(bag, "store", config=cfg)
    assert again.outcome == "already-present"
    changed = sample_bag(tmp_path / "c", variant="changed")
    with pytest.raises(DepositError) as err:
        deposit_bag(changed, "store", config=cfg)
    assert reason_of(err.value) == "conflict"
    assert [e["outcome"] for e in records(deposit_env)] == [
        "deposited",
        "already-present",
        "failed",
    ]


def test_serialised_bag_uses_endpoint_option_and_environment_credentials(
    tmp_path: Path, weed: S3Server, deposit_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", S3_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", S3_SECRET)
    archive = zip_bag(sample_bag(tmp_path), tmp_path / "bag.zip")
    url = f"s3://{S3_BUCKET}/{_prefix(tmp_path)}"
    res = CliRunner().invoke(
        main, ["deposit", str(archive), "--to", url, "--endpoint-url", weed.endpoint, "--json"]
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["outcome"] == "deposited"
    assert doc["checksums"]["sha256"] == hashlib.sha256(archive.read_bytes()).hexdigest()
    assert S3_SECRET not in res.output
    assert S3_SECRET not in (deposit_env / "deposits.jsonl").read_text()


def _big_bag(tmp_path: Path) -> Path:
    # random bytes do not compress: the tar is a little over 11 MiB, three 5 MiB parts
    return make_bag(tmp_path / "big", {"scan.tif": os.urandom(11 * MIB)})


def test_multipart_upload_etag_and_checksum(
    tmp_path: Path, weed: S3Server, deposit_env: Path
) -> None:
    prefix = _prefix(tmp_path)
    cfg = _config(tmp_path, weed, prefix, multipart_threshold=6 * MIB, part_size=5 * MIB)
    result = deposit_bag(_big_bag(tmp_path), "store", config=cfg, retry_policy=FAST_RETRY)
    assert result.outcome == "deposited" and result.identifiers["etag"].endswith("-3")
    head = weed.client().head_object(Bucket=S3_BUCKET, Key=f"{prefix}/big.zip")
    assert head["ETag"].strip('"') == result.identifiers["etag"]


def test_the_parts_uploaded_are_shown_up_to_the_archive_size(
    tmp_path: Path, weed: S3Server, deposit_env: Path
) -> None:
    cfg = _config(tmp_path, weed, _prefix(tmp_path), multipart_threshold=6 * MIB, part_size=5 * MIB)
    shown = ShownProgress()
    result = deposit_bag(_big_bag(tmp_path), "store", config=cfg, progress=shown)
    size = weed.client().head_object(Bucket=S3_BUCKET, Key=result.identifiers["s3-key"])
    assert shown.reached(size["ContentLength"]), shown.phases
    assert shown.sent == [0, 5 * MIB, 10 * MIB, size["ContentLength"]]  # one step a part


def test_interrupted_multipart_upload_is_resumed(
    tmp_path: Path, weed: S3Server, deposit_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefix = _prefix(tmp_path)
    cfg = _config(tmp_path, weed, prefix, multipart_threshold=6 * MIB, part_size=5 * MIB, retries=1)
    bag = _big_bag(tmp_path)
    real = s3mod.S3Target.put_part
    sent: list[int] = []

    def dies_after_two(self, key, upload_id, part, chunk):  # type: ignore[no-untyped-def]
        if len(sent) == 2:
            raise TransientError("connection reset by peer")
        real(self, key, upload_id, part, chunk)
        sent.append(part.number)

    monkeypatch.setattr(s3mod.S3Target, "put_part", dies_after_two)
    with pytest.raises(DepositError, match="gave up"):
        deposit_bag(bag, "store", config=cfg)
    assert records(deposit_env)[0]["outcome"] == "failed"
    uploads = weed.client().list_multipart_uploads(Bucket=S3_BUCKET, Prefix=prefix)["Uploads"]
    assert len(uploads) == 1

    monkeypatch.setattr(
        s3mod.S3Target, "put_part", lambda self, *a: (sent.append(a[2].number), real(self, *a))
    )
    result = deposit_bag(bag, "store", config=cfg)
    assert result.outcome == "deposited" and sent == [1, 2, 3]  # only part 3 sent again
    assert "2 part(s) kept" in result.details[0]
    assert not weed.client().list_multipart_uploads(Bucket=S3_BUCKET, Prefix=prefix).get("Uploads")


def test_wrong_secret_is_an_authentication_error(
    tmp_path: Path, weed: S3Server, deposit_env: Path
) -> None:
    wrong = "not-the-secret-Zq81"
    cfg = _config(tmp_path, weed, _prefix(tmp_path), secret=wrong)
    res = CliRunner().invoke(
        main, ["deposit", str(sample_bag(tmp_path)), "--to", "store", "--config", str(cfg)]
    )
    assert res.exit_code == 1 and "credentials" in res.output and wrong not in res.output
    [entry] = records(deposit_env)
    assert entry["error"]["reason"] == "auth" and entry["attempts"] == 1  # type: ignore[index]
    assert wrong not in json.dumps(entry)


@pytest.mark.parametrize("multipart", [False, True])
def test_file_corrupted_after_hashing_is_rejected(
    tmp_path: Path,
    weed: S3Server,
    deposit_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    multipart: bool,
) -> None:
    prefix = _prefix(tmp_path)
    extra = {"multipart_threshold": 6 * MIB, "part_size": 5 * MIB} if multipart else {}
    cfg = _config(tmp_path, weed, prefix, **extra)
    bag = _big_bag(tmp_path) if multipart else sample_bag(tmp_path)
    archive = zip_bag(bag, tmp_path / "bag.zip")
    method = "upload_multipart" if multipart else "upload_single"
    real = getattr(s3mod.S3Target, method)

    def corrupt_then_send(self, key, path, *rest):  # type: ignore[no-untyped-def]
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF  # one flipped bit, same size, after the digests were taken
        path.write_bytes(bytes(data))
        return real(self, key, path, *rest)

    monkeypatch.setattr(s3mod.S3Target, method, corrupt_then_send)
    with pytest.raises(DepositError) as err:
        deposit_bag(archive, "store", config=cfg, retry_policy=FAST_RETRY)
    assert reason_of(err.value) == "checksum-mismatch"
    listed = weed.client().list_objects_v2(Bucket=S3_BUCKET, Prefix=prefix)
    assert listed.get("KeyCount", 0) == 0
    pending = weed.client().list_multipart_uploads(Bucket=S3_BUCKET, Prefix=prefix)
    assert not pending.get("Uploads")  # a permanent failure leaves no upload behind
    assert records(deposit_env)[0]["outcome"] == "failed"


def test_dry_run_and_bad_settings(tmp_path: Path, weed: S3Server, deposit_env: Path) -> None:
    prefix = _prefix(tmp_path)
    cfg = _config(tmp_path, weed, prefix)
    result = deposit_bag(sample_bag(tmp_path), "store", config=cfg, dry_run=True)
    assert result.outcome == "dry-run" and "in one request" in result.details[0]
    assert weed.client().list_objects_v2(Bucket=S3_BUCKET, Prefix=prefix).get("KeyCount", 0) == 0
    cfg = _config(tmp_path, weed, prefix, part_size=1024)
    with pytest.raises(DepositError, match="at least 5242880"):
        deposit_bag(sample_bag(tmp_path / "x"), "store", config=cfg)


@pytest.mark.slow  # starts a SeaweedFS of its own (~6 s)
def test_server_killed_mid_upload_fails_cleanly(
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    deposit_env: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    own = start_weed(tmp_path_factory.mktemp("own-weed"))
    try:
        cfg = _config(tmp_path, own, "killed", multipart_threshold=6 * MIB, part_size=5 * MIB)
        real = s3mod.S3Target.put_part

        def kill_after_first(self, key, upload_id, part, chunk):  # type: ignore[no-untyped-def]
            if part.number == 2:
                stop(own.proc)
            real(self, key, upload_id, part, chunk)

        monkeypatch.setattr(s3mod.S3Target, "put_part", kill_after_first)
        with pytest.raises(DepositError, match="gave up after 3 attempt") as err:
            deposit_bag(_big_bag(tmp_path), "store", config=cfg, retry_policy=FAST_RETRY)
        assert reason_of(err.value) == "unavailable"
        [entry] = records(deposit_env)
        assert entry["outcome"] == "failed" and entry["verified"] is False
    finally:
        stop(own.proc)


def test_part_size_grows_for_files_that_would_need_too_many_parts() -> None:
    assert chunk_size(11 * MIB, 5 * MIB, s3mod.MAX_PARTS) == 5 * MIB
    assert chunk_size(10_000 * 5 * MIB, 5 * MIB, s3mod.MAX_PARTS) == 5 * MIB
    grown = chunk_size(200 * 1024 * MIB, 5 * MIB, s3mod.MAX_PARTS)  # 200 GiB
    assert grown % MIB == 0 and -(-200 * 1024 * MIB // grown) <= 10_000 and grown == 21 * MIB


def test_identical_object_uploaded_by_another_tool_is_recognised(
    tmp_path: Path, weed: S3Server, deposit_env: Path
) -> None:
    prefix = _prefix(tmp_path)
    archive = zip_bag(sample_bag(tmp_path), tmp_path / "bag.zip")
    weed.client().put_object(Bucket=S3_BUCKET, Key=f"{prefix}/bag.zip", Body=archive.read_bytes())
    result = deposit_bag(archive, "store", config=_config(tmp_path, weed, prefix))
    assert result.outcome == "already-present"
    other = zip_bag(sample_bag(tmp_path / "o", variant="other"), tmp_path / "o" / "bag.zip")
    with pytest.raises(DepositError) as err:
        deposit_bag(other, "store", config=_config(tmp_path, weed, prefix))
    assert reason_of(err.value) == "conflict"


def _objects(server: S3Server, prefix: str) -> dict[str, bytes]:
    s3 = server.client()
    keys = [
        o["Key"] for o in s3.list_objects_v2(Bucket=S3_BUCKET, Prefix=prefix).get("Contents", [])
    ]
    return {k[len(prefix) :]: s3.get_object(Bucket=S3_BUCKET, Key=k)["Body"].read() for k in keys}


def _local(bag: Path) -> dict[str, bytes]:
    return {p.relative_to(bag).as_posix(): p.read_bytes() for p in bag.rglob("*") if p.is_file()}


def test_bag_as_an_object_tree_verified_per_object_and_recorded(
    tmp_path: Path, weed: S3Server, deposit_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefix = _prefix(tmp_path)
    cfg = _config(tmp_path, weed, prefix)
    bag = sample_bag(tmp_path)
    order: list[str] = []
    real = s3mod._S3Objects.put

    def spy(self, key, local):  # type: ignore[no-untyped-def]
        order.append(local.file.relpath)
        real(self, key, local)

    monkeypatch.setattr(s3mod._S3Objects, "put", spy)
    result = deposit_bag(bag, "store", config=cfg, objects=True, retry_policy=FAST_RETRY)
    assert result.outcome == "deposited" and result.verified and result.form == "objects"
    assert result.location == f"s3://{S3_BUCKET}/{prefix}/bag/"
    assert result.identifiers["objects"] == str(len(_local(bag)))
    assert _objects(weed, f"{prefix}/bag/") == _local(bag)
    assert order[-1] == "bagit.txt" and sorted(order) == sorted(_local(bag))
    head = weed.client().head_object(Bucket=S3_BUCKET, Key=f"{prefix}/bag/data/article.txt")
    assert (
        head["ETag"].strip('"') == hashlib.md5((bag / "data/article.txt").read_bytes()).hexdigest()
    )
    [entry] = records(deposit_env)
    assert entry["form"] == "objects" and entry["outcome"] == "deposited"
    # again: recognised object by object, nothing sent
    order.clear()
    again = deposit_bag(bag, "store", config=cfg, objects=True)
    assert again.outcome == "already-present" and order == []
    # the objects setting does the same as the option
    cfg.write_text(cfg.read_text() + "objects = true\n")
    assert deposit_bag(bag, "store", config=cfg).outcome == "already-present"
    # another bag under the same name is refused, nothing overwritten
    changed = sample_bag(tmp_path / "c", variant="changed")
    with pytest.raises(DepositError, match=r"different bag already has objects.*data/article\.txt"):
        deposit_bag(changed, "store", config=cfg)
    assert _objects(weed, f"{prefix}/bag/") == _local(bag)
    # an object changed at the destination is found
    weed.client().put_object(Bucket=S3_BUCKET, Key=f"{prefix}/bag/data/article.txt", Body=b"x")
    with pytest.raises(DepositError, match="different bag") as err:
        deposit_bag(bag, "store", config=cfg)
    assert reason_of(err.value) == "conflict"


def test_object_tree_interrupted_is_resumed_and_large_files_go_in_parts(
    tmp_path: Path, weed: S3Server, deposit_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefix = _prefix(tmp_path)
    cfg = _config(tmp_path, weed, prefix, multipart_threshold=6 * MIB, part_size=5 * MIB)
    bag = make_bag(
        tmp_path / "mixed", {"scan.tif": os.urandom(11 * MIB), "a.txt": b"a\n", "b.txt": b"b\n"}
    )
    real = s3mod._S3Objects.put
    calls: list[str] = []

    def drop_third(self, key, local):  # type: ignore[no-untyped-def]
        calls.append(local.file.relpath)
        if len(calls) == 3:
            raise ConnectionResetError("connection reset by peer (test)")
        real(self, key, local)

    monkeypatch.setattr(s3mod._S3Objects, "put", drop_third)
    result = deposit_bag(bag, "store", config=cfg, objects=True, retry_policy=FAST_RETRY)
    assert result.outcome == "deposited" and result.attempts == 2
    assert "resumed an interrupted upload: 2 object(s) kept" in result.details
    assert len(calls) == len(_local(bag)) + 1  # only the dropped one was sent twice
    head = weed.client().head_object(Bucket=S3_BUCKET, Key=f"{prefix}/mixed/data/scan.tif")
    assert head["ETag"].strip('"').endswith("-3")
    assert _objects(weed, f"{prefix}/mixed/") == _local(bag)


def test_object_tree_bytes_changed_on_the_way_are_refused(
    tmp_path: Path, weed: S3Server, deposit_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = s3mod.S3Target.upload_single

    def corrupt(self, key, path, md5, sha256, size):  # type: ignore[no-untyped-def]
        bad = tmp_path / "bad"
        data = bytearray(path.read_bytes())
        if data:
            data[0] ^= 0xFF
        bad.write_bytes(bytes(data))
        real(self, key, bad, md5, sha256, size)

    monkeypatch.setattr(s3mod.S3Target, "upload_single", corrupt)
    prefix = _prefix(tmp_path)
    with pytest.raises(DepositError) as err:
        deposit_bag(
            sample_bag(tmp_path), "store", config=_config(tmp_path, weed, prefix), objects=True
        )
    assert reason_of(err.value) == "checksum-mismatch"


def test_objects_need_a_bag_folder_and_an_object_store(
    tmp_path: Path, weed: S3Server, deposit_env: Path
) -> None:
    archive = zip_bag(sample_bag(tmp_path), tmp_path / "bag.zip")
    cfg = _config(tmp_path, weed, _prefix(tmp_path))
    with pytest.raises(DepositError, match="only be deposited as objects from a bag folder"):
        deposit_bag(archive, "store", config=cfg, objects=True)
    (tmp_path / "share").mkdir()
    res = CliRunner().invoke(
        main, ["deposit", str(tmp_path / "bag"), "--to", (tmp_path / "share").as_uri(), "--objects"]
    )
    assert (
        res.exit_code == 2
        and "--objects (one object per file) is for s3:// and az://" in res.output
    )
    res = CliRunner().invoke(
        main,
        [
            "deposit",
            str(tmp_path / "bag"),
            "--to",
            (tmp_path / "share").as_uri(),
            "--archive-format",
            "tgz",
        ],
    )
    assert res.exit_code == 2 and "--archive-format is for targets that take one file" in res.output
    assert list((tmp_path / "share").iterdir()) == []


def archivematica_accepts(name: str, data: bytes, tmp: Path) -> Path:
    """Archivematica's rule for zipped bags (docs, "Bags"): a .zip, .tgz or .tar.gz holding
    one folder that is a bag; returns the extracted bag, checked by bagit-python."""
    import bagit

    assert name.endswith((".zip", ".tgz", ".tar.gz")), f"Archivematica does not take {name}"
    archive = tmp / name
    archive.write_bytes(data)
    out = tmp / "extracted"
    if name.endswith(".zip"):
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(out)
    else:
        with tarfile.open(archive, "r:gz") as tf:
            tf.extractall(out, filter="data")
    [top] = list(out.iterdir())
    bagit.Bag(str(top)).validate()
    return top


@pytest.mark.parametrize(("fmt", "suffix"), [(None, ".zip"), ("tgz", ".tgz"), ("zip", ".zip")])
def test_archive_format_per_target_is_one_archivematica_accepts(
    tmp_path: Path, weed: S3Server, deposit_env: Path, fmt: str | None, suffix: str
) -> None:
    prefix = _prefix(tmp_path)
    extra = {} if fmt is None else {"archive_format": fmt}
    bag = sample_bag(tmp_path)
    result = deposit_bag(bag, "store", config=_config(tmp_path, weed, prefix, **extra))
    assert result.identifiers["archive-format"] == suffix[1:]
    key = f"{prefix}/bag{suffix}"
    body = weed.client().get_object(Bucket=S3_BUCKET, Key=key)["Body"].read()
    (tmp_path / "x").mkdir()
    assert _local(archivematica_accepts(f"bag{suffix}", body, tmp_path / "x")) == _local(bag)
    # the option overrides the setting; tar is there for systems that want it
    again = deposit_bag(
        bag, "store", config=_config(tmp_path, weed, prefix, **extra), archive_format="tar"
    )
    assert again.location == f"s3://{S3_BUCKET}/{prefix}/bag.tar"


def test_the_python_api_takes_the_archive_format_and_objects_choices(
    tmp_path: Path, weed: S3Server, deposit_env: Path
) -> None:
    import bagsmith

    prefix = _prefix(tmp_path)
    cfg = _config(tmp_path, weed, prefix)
    bag = sample_bag(tmp_path)
    archived = bagsmith.deposit(bag, "store", config=cfg, archive_format="tgz")
    assert archived.verified and archived.location == f"s3://{S3_BUCKET}/{prefix}/bag.tgz"
    trees = bagsmith.deposit(bag, "store", config=cfg, objects=True, name="tree")
    assert trees.verified and trees.files == len(_local(bag))
    key = f"{prefix}/tree/bagit.txt"
    assert (
        weed.client().get_object(Bucket=S3_BUCKET, Key=key)["Body"].read()
        == (bag / "bagit.txt").read_bytes()
    )
