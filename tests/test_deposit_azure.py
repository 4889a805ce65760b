"""az:// deposits against a real Azure Blob service (Azurite on a free port)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from bagsmith.cli import main
from bagsmith.deposit import azblob
from bagsmith.deposit.base import reason_of
from bagsmith.deposit.onefile import chunk_size
from bagsmith.errors import DepositError
from bagsmith.pipeline.depositing import deposit_bag
from tests.servers import (
    AZ_ACCOUNT,
    AZ_CONTAINER,
    AZ_KEY,
    FAST_RETRY,
    AzureServer,
    ShownProgress,
    azurite,
    deposit_env,
    make_bag,
    records,
    sample_bag,
    start_azurite,
    stop,
    zip_bag,
)

__all__ = ["azurite", "deposit_env"]

MIB = 1024 * 1024


def _config(
    tmp_path: Path, server: AzureServer, prefix: str, key: str = AZ_KEY, **extra: object
) -> Path:
    lines = [
        "[targets.blobs]",
        f'url = "az://{AZ_ACCOUNT}/{AZ_CONTAINER}/{prefix}"',
        f'endpoint_url = "{server.endpoint}"',
        f'account_key = "{key}"',
    ]
    lines += [f"{k} = {json.dumps(v)}" for k, v in extra.items()]
    cfg = tmp_path / "config.toml"
    cfg.write_text("\n".join(lines) + "\n")
    cfg.chmod(0o600)
    return cfg


def _prefix(tmp_path: Path) -> str:
    return f"t{os.getpid()}-{tmp_path.name}"


def _download(server: AzureServer, name: str) -> bytes:
    data: bytes = server.service().get_blob_client(AZ_CONTAINER, name).download_blob().readall()
    return data


def _files(top: Path) -> dict[str, bytes]:
    return {p.relative_to(top).as_posix(): p.read_bytes() for p in top.rglob("*") if p.is_file()}


def test_folder_bag_is_serialised_uploaded_in_blocks_and_verified(
    tmp_path: Path, azurite: AzureServer, deposit_env: Path
) -> None:
    prefix = _prefix(tmp_path)
    cfg = _config(tmp_path, azurite, prefix)
    bag = sample_bag(tmp_path)
    result = deposit_bag(bag, "blobs", config=cfg, retry_policy=FAST_RETRY)
    assert result.outcome == "deposited" and result.verified
    assert result.form == "archive" and result.identifiers["archive-format"] == "zip"
    name = f"{prefix}/bag.zip"
    assert result.location == f"az://{AZ_ACCOUNT}/{AZ_CONTAINER}/{name}"
    body = _download(azurite, name)
    assert hashlib.sha256(body).hexdigest() == result.checksums["archive-sha256"]
    props = azurite.service().get_blob_client(AZ_CONTAINER, name).get_blob_properties()
    assert bytes(props.content_settings.content_md5) == hashlib.md5(body).digest()
    assert props.metadata == {"bagsmith_sha256": hashlib.sha256(body).hexdigest()}
    (tmp_path / "got.zip").write_bytes(body)
    with zipfile.ZipFile(tmp_path / "got.zip") as zf:
        zf.extractall(tmp_path / "out")
    assert _files(tmp_path / "out" / "bag") == _files(bag)
    again = deposit_bag(bag, "blobs", config=cfg)
    assert again.outcome == "already-present"
    changed = sample_bag(tmp_path / "c", variant="changed")
    with pytest.raises(DepositError, match="a different blob") as err:
        deposit_bag(changed, "blobs", config=cfg)
    assert reason_of(err.value) == "conflict"
    assert [e["outcome"] for e in records(deposit_env)] == [
        "deposited",
        "already-present",
        "failed",
    ]


def test_environment_credentials_and_endpoint_option(
    tmp_path: Path, azurite: AzureServer, deposit_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = zip_bag(sample_bag(tmp_path), tmp_path / "bag.zip")
    url = f"az://{AZ_ACCOUNT}/{AZ_CONTAINER}/{_prefix(tmp_path)}"
    runner = CliRunner()
    # no credentials anywhere: a clear auth error, nothing retried
    for var in ("AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_KEY"):
        monkeypatch.delenv(var, raising=False)
    res = runner.invoke(main, ["deposit", str(archive), "--to", url, "--endpoint-url", "x"])
    assert res.exit_code == 1 and "no Azure credentials found" in res.output
    # account + key
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT", AZ_ACCOUNT)
    monkeypatch.setenv("AZURE_STORAGE_KEY", AZ_KEY)
    args = ["deposit", str(archive), "--to", url, "--endpoint-url", azurite.endpoint, "--json"]
    res = runner.invoke(main, args)
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["outcome"] == "deposited" and doc["identifiers"]["azure-blob"].endswith("/bag.zip")
    assert doc["checksums"]["sha256"] == hashlib.sha256(archive.read_bytes()).hexdigest()
    # a key for another account is refused before anything is sent
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT", "someoneelse")
    res = runner.invoke(main, args)
    assert res.exit_code == 1 and "AZURE_STORAGE_KEY is for account 'someoneelse'" in res.output
    # a connection string (with its BlobEndpoint): no --endpoint-url needed
    monkeypatch.delenv("AZURE_STORAGE_ACCOUNT")
    monkeypatch.delenv("AZURE_STORAGE_KEY")
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azurite.connection_string())
    res = runner.invoke(main, ["deposit", str(archive), "--to", url, "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["outcome"] == "already-present"
    for text in (res.output, (deposit_env / "deposits.jsonl").read_text()):
        assert AZ_KEY not in text


def _big_bag(tmp_path: Path) -> Path:
    # random bytes do not compress: the zip is a little over 3 MiB, four 1 MiB blocks
    return make_bag(tmp_path / "big", {"scan.tif": os.urandom(3 * MIB + 100)})


def test_large_file_goes_up_in_blocks_each_with_its_md5(
    tmp_path: Path, azurite: AzureServer, deposit_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[bytes] = []
    real = azblob.AzureTarget.stage

    def spy(self, client, block, chunk):  # type: ignore[no-untyped-def]
        assert block.md5 == hashlib.md5(chunk).digest()
        sent.append(block.md5)
        real(self, client, block, chunk)

    monkeypatch.setattr(azblob.AzureTarget, "stage", spy)
    prefix = _prefix(tmp_path)
    cfg = _config(tmp_path, azurite, prefix, block_size=MIB)
    result = deposit_bag(_big_bag(tmp_path), "blobs", config=cfg, retry_policy=FAST_RETRY)
    assert result.outcome == "deposited" and len(sent) == 4
    client = azurite.service().get_blob_client(AZ_CONTAINER, f"{prefix}/big.zip")
    committed = client.get_block_list("committed")[0]
    assert [b.id for b in committed] == [
        f"bagsmith-{i:06d}-{md5.hex()}" for i, md5 in enumerate(sent, start=1)
    ]


def test_wrong_key_is_an_authentication_error(
    tmp_path: Path, azurite: AzureServer, deposit_env: Path
) -> None:
    wrong = base64.b64encode(b"not the key of this account, sorry").decode()
    cfg = _config(tmp_path, azurite, _prefix(tmp_path), key=wrong)
    with pytest.raises(DepositError, match="refused the credentials") as err:
        deposit_bag(sample_bag(tmp_path), "blobs", config=cfg, retry_policy=FAST_RETRY)
    assert reason_of(err.value) == "auth"
    [entry] = records(deposit_env)
    assert entry["attempts"] == 1 and entry["outcome"] == "failed"
    assert wrong not in json.dumps(entry)


def test_wrong_digest_is_refused_by_the_service(
    tmp_path: Path, azurite: AzureServer, deposit_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file changes after its blocks were hashed: the service refuses the block
    (400 Md5Mismatch), nothing is committed, the deposit is a checksum mismatch."""
    real = azblob.AzureTarget.stage

    def corrupt(self, client, block, chunk):  # type: ignore[no-untyped-def]
        damaged = bytes([chunk[0] ^ 0xFF]) + chunk[1:]
        real(self, client, block, damaged)

    monkeypatch.setattr(azblob.AzureTarget, "stage", corrupt)
    prefix = _prefix(tmp_path)
    cfg = _config(tmp_path, azurite, prefix)
    with pytest.raises(DepositError, match=r"different bytes than were hashed \(Md5Mismatch") as e:
        deposit_bag(sample_bag(tmp_path), "blobs", config=cfg, retry_policy=FAST_RETRY)
    assert reason_of(e.value) == "checksum-mismatch"
    container = azurite.service().get_container_client(AZ_CONTAINER)
    assert list(container.list_blobs(name_starts_with=prefix)) == []
    assert records(deposit_env)[-1]["outcome"] == "failed"


def test_interrupted_upload_is_resumed(
    tmp_path: Path, azurite: AzureServer, deposit_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = azblob.AzureTarget.stage
    calls: list[int] = []

    def drop_third(self, client, block, chunk):  # type: ignore[no-untyped-def]
        calls.append(block.index)
        if len(calls) == 3:
            raise ConnectionResetError("connection reset by peer (test)")
        real(self, client, block, chunk)

    monkeypatch.setattr(azblob.AzureTarget, "stage", drop_third)
    prefix = _prefix(tmp_path)
    cfg = _config(tmp_path, azurite, prefix, block_size=MIB)
    result = deposit_bag(_big_bag(tmp_path), "blobs", config=cfg, retry_policy=FAST_RETRY)
    assert result.outcome == "deposited" and result.attempts == 2
    assert "resumed an interrupted upload: 2 block(s) kept" in result.details
    assert calls == [1, 2, 3, 3, 4]  # the second attempt sent only what was missing


def test_server_killed_mid_upload_fails_cleanly_then_resumes(
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    deposit_env: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    own = start_azurite(tmp_path_factory.mktemp("own-azurite"))
    try:
        cfg = _config(tmp_path, own, "killed", block_size=MIB)
        real = azblob.AzureTarget.stage

        def kill_at_second(self, client, block, chunk):  # type: ignore[no-untyped-def]
            if block.index == 2:
                stop(own.proc)
            real(self, client, block, chunk)

        monkeypatch.setattr(azblob.AzureTarget, "stage", kill_at_second)
        bag = _big_bag(tmp_path)
        with pytest.raises(DepositError, match="gave up after 3 attempt") as err:
            deposit_bag(bag, "blobs", config=cfg, retry_policy=FAST_RETRY)
        assert reason_of(err.value) == "unavailable"
        [entry] = records(deposit_env)
        assert entry["outcome"] == "failed" and entry["verified"] is False
        monkeypatch.setattr(azblob.AzureTarget, "stage", real)
        # the same server back on the same port and data: the staged block is kept
        own = start_azurite(own.folder, port=own.port)
        client = own.service().get_blob_client(AZ_CONTAINER, "killed/big.zip")
        assert [b.size for b in client.get_block_list("uncommitted")[1]] == [MIB]
        result = deposit_bag(bag, "blobs", config=cfg, retry_policy=FAST_RETRY)
        assert result.outcome == "deposited"
        assert "resumed an interrupted upload: 1 block(s) kept" in result.details
    finally:
        stop(own.proc)


def test_dry_run_and_bad_settings(tmp_path: Path, azurite: AzureServer, deposit_env: Path) -> None:
    prefix = _prefix(tmp_path)
    cfg = _config(tmp_path, azurite, prefix)
    result = deposit_bag(sample_bag(tmp_path), "blobs", config=cfg, dry_run=True)
    assert result.outcome == "dry-run" and "in 1 block(s)" in result.details[0]
    container = azurite.service().get_container_client(AZ_CONTAINER)
    assert list(container.list_blobs(name_starts_with=prefix)) == []
    bag = sample_bag(tmp_path, "b2")
    with pytest.raises(DepositError, match="not an Azure container name"):
        deposit_bag(bag, f"az://{AZ_ACCOUNT}/No_Such/x")
    cfg.write_text(cfg.read_text().replace(AZ_CONTAINER, "missing-container"))
    with pytest.raises(DepositError, match="container does not exist") as err:
        deposit_bag(bag, "blobs", config=cfg, retry_policy=FAST_RETRY)
    assert reason_of(err.value) == "config"
    cfg.write_text(cfg.read_text() + "bucket = 'x'\n")
    with pytest.raises(DepositError, match="unknown setting"):
        deposit_bag(bag, "blobs", config=cfg)


def test_config_file_with_a_key_must_be_private(
    tmp_path: Path, azurite: AzureServer, deposit_env: Path
) -> None:
    cfg = _config(tmp_path, azurite, _prefix(tmp_path))
    cfg.chmod(0o644)
    with pytest.raises(DepositError, match="others can read it"):
        deposit_bag(sample_bag(tmp_path), "blobs", config=cfg)


def test_block_size_grows_for_files_that_would_need_too_many_blocks() -> None:
    assert chunk_size(10 * MIB, MIB, azblob.MAX_BLOCKS) == MIB
    grown = chunk_size(2 * 1024 * 1024 * MIB, 16 * MIB, azblob.MAX_BLOCKS)  # 2 TiB
    assert grown % MIB == 0 and -(-2 * 1024 * 1024 * MIB // grown) <= 50_000


def _blobs(server: AzureServer, prefix: str) -> dict[str, bytes]:
    container = server.service().get_container_client(AZ_CONTAINER)
    return {
        b.name[len(prefix) :]: container.download_blob(b.name).readall()
        for b in container.list_blobs(name_starts_with=prefix)
    }


def test_the_blocks_and_objects_sent_are_shown_up_to_their_total(
    tmp_path: Path, azurite: AzureServer, deposit_env: Path
) -> None:
    prefix = _prefix(tmp_path)
    cfg = _config(tmp_path, azurite, prefix, block_size=MIB)
    shown = ShownProgress()
    deposit_bag(_big_bag(tmp_path), "blobs", config=cfg, progress=shown)
    size = len(_download(azurite, f"{prefix}/big.zip"))
    assert shown.reached(size) and shown.sent == [0, MIB, 2 * MIB, 3 * MIB, size]
    bag = sample_bag(tmp_path)
    shown = ShownProgress()
    deposit_bag(bag, "blobs", config=cfg, objects=True, progress=shown)
    assert shown.reached(sum(map(len, _files(bag).values()))), shown.phases


def test_bag_as_an_object_tree_each_blob_with_its_md5_and_sha256(
    tmp_path: Path, azurite: AzureServer, deposit_env: Path
) -> None:
    prefix = _prefix(tmp_path)
    cfg = _config(tmp_path, azurite, prefix, block_size=MIB)
    bag = make_bag(tmp_path / "mixed", {"scan.tif": os.urandom(2 * MIB + 5), "a.txt": b"a\n"})
    result = deposit_bag(bag, "blobs", config=cfg, objects=True, retry_policy=FAST_RETRY)
    assert result.outcome == "deposited" and result.form == "objects"
    assert result.location == f"az://{AZ_ACCOUNT}/{AZ_CONTAINER}/{prefix}/mixed/"
    assert _blobs(azurite, f"{prefix}/mixed/") == _files(bag)
    container = azurite.service().get_container_client(AZ_CONTAINER)
    for item in container.list_blobs(name_starts_with=f"{prefix}/mixed/", include=["metadata"]):
        data = (bag / item.name[len(prefix) + 7 :]).read_bytes()
        assert bytes(item.content_settings.content_md5) == hashlib.md5(data).digest()
        assert item.metadata == {"bagsmith_sha256": hashlib.sha256(data).hexdigest()}
    big = container.get_blob_client(f"{prefix}/mixed/data/scan.tif")
    assert [b.size for b in big.get_block_list("committed")[0]] == [MIB, MIB, 5]
    assert records(deposit_env)[-1]["form"] == "objects"
    assert deposit_bag(bag, "blobs", config=cfg, objects=True).outcome == "already-present"
    other = make_bag(tmp_path / "o" / "mixed", {"a.txt": b"other\n"})
    with pytest.raises(DepositError, match="different bag already has objects") as err:
        deposit_bag(other, "blobs", config=cfg, objects=True)
    assert reason_of(err.value) == "conflict"


def test_object_tree_wrong_digest_is_refused_by_the_service(
    tmp_path: Path, azurite: AzureServer, deposit_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file whose bytes no longer match the digest taken from the bag's manifests: the
    service refuses the blob (Md5Mismatch), and the bag is not recorded as deposited."""
    from bagsmith.deposit import tree

    real = tree.digests_for_objects

    def stale(bag):  # type: ignore[no-untyped-def]
        items = real(bag)
        return [
            tree.Local(i.file, hashlib.md5(b"stale").hexdigest(), i.sha256)
            if i.file.relpath == "data/article.txt"
            else i
            for i in items
        ]

    monkeypatch.setattr(tree, "digests_for_objects", stale)
    prefix = _prefix(tmp_path)
    with pytest.raises(DepositError, match="Md5Mismatch") as err:
        deposit_bag(
            sample_bag(tmp_path), "blobs", config=_config(tmp_path, azurite, prefix), objects=True
        )
    assert reason_of(err.value) == "checksum-mismatch"
    assert "bagit.txt" not in _blobs(azurite, f"{prefix}/bag/")  # never a bag that looks whole
