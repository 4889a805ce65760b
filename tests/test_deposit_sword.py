"""sword:// (SWORD v2) deposits against a real server: swh-deposit on a throwaway PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bagsmith.cli import main
from bagsmith.deposit import sword as swordmod
from bagsmith.deposit.base import reason_of
from bagsmith.errors import DepositError
from bagsmith.pipeline.depositing import deposit_bag
from tests.servers import (
    FAST_RETRY,
    SWORD_PASSWORD,
    SWORD_USER,
    ShownProgress,
    SwordServer,
    bytes_bag,
    deposit_env,
    free_port,
    records,
    sample_bag,
    start_gunicorn,
    stop,
    swh,
    zip_bag,
)

__all__ = ["deposit_env", "swh"]

pytest.importorskip("httpx", reason="httpx is not installed")

ENTRY = """<?xml version="1.0"?>
<entry xmlns="http://www.w3.org/2005/Atom"
       xmlns:codemeta="https://doi.org/10.5063/SCHEMA/CODEMETA-2.0">
  <title>Hungarian revolution photographs</title>
  <codemeta:name>Hungarian revolution photographs</codemeta:name>
  <codemeta:author><codemeta:name>An Archivist</codemeta:name></codemeta:author>
</entry>
"""


@pytest.fixture
def creds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAGSMITH_SWORD_USERNAME", SWORD_USER)
    monkeypatch.setenv("BAGSMITH_SWORD_PASSWORD", SWORD_PASSWORD)


def _config(tmp_path: Path, server: SwordServer, **extra: object) -> Path:
    lines = ["[targets.repo]", f'url = "{server.url()}"']
    lines += [f"{k} = {json.dumps(v)}" for k, v in extra.items()]
    cfg = tmp_path / "config.toml"
    cfg.write_text("\n".join(lines) + "\n")
    return cfg


def _stored(server: SwordServer, data: bytes) -> list[Path]:
    """Files in the server's media folder with exactly these bytes (proof of arrival)."""
    digest = hashlib.sha256(data).hexdigest()
    return [
        p
        for p in server.media.rglob("*")
        if p.is_file() and hashlib.sha256(p.read_bytes()).hexdigest() == digest
    ]


def test_zip_bag_deposit_receipt_and_statement(
    tmp_path: Path, swh: SwordServer, deposit_env: Path, creds: None
) -> None:
    archive = zip_bag(
        sample_bag(tmp_path, External_Identifier="urn:x:sword:1"), tmp_path / "bag.zip"
    )
    cfg = _config(tmp_path, swh, service_document=swh.service_document)
    result = deposit_bag(archive, "repo", config=cfg, retry_policy=FAST_RETRY)
    assert result.outcome == "deposited" and result.verified
    ids = result.identifiers
    assert ids["sword-status"] == "deposited"
    assert ids["sword-edit-iri"].startswith(swh.collection)
    assert ids["sword-state-iri"].endswith("/status/") and ids["sword-se-iri"]
    assert result.location == ids["sword-edit-iri"]
    assert len(_stored(swh, archive.read_bytes())) == 1  # the server holds the exact bytes
    [entry] = records(deposit_env)
    assert entry["identifiers"]["sword-deposit-id"] == ids["sword-deposit-id"]  # type: ignore[index]


def test_the_body_sent_is_shown_up_to_the_archive_size(
    tmp_path: Path, swh: SwordServer, deposit_env: Path, creds: None
) -> None:
    archive = zip_bag(sample_bag(tmp_path), tmp_path / "bag.zip")
    cfg = _config(tmp_path, swh, service_document=swh.service_document)
    shown = ShownProgress()
    deposit_bag(archive, "repo", config=cfg, progress=shown)
    assert shown.reached(archive.stat().st_size), (shown.phases, shown.sent)


def test_folder_bag_serialised_and_idempotent(
    tmp_path: Path, swh: SwordServer, deposit_env: Path, creds: None
) -> None:
    bag = sample_bag(tmp_path, variant="folder")
    cfg = _config(tmp_path, swh)
    first = deposit_bag(bag, "repo", config=cfg)  # as a zip, the default
    assert first.outcome == "deposited" and first.form == "archive"
    assert first.identifiers["archive-format"] == "zip"
    again = deposit_bag(bag, "repo", config=cfg)
    assert again.outcome == "already-present"
    assert again.identifiers["sword-deposit-id"] == first.identifiers["sword-deposit-id"]
    tars = [p for p in swh.media.rglob("*.zip") if p.name == "bag.zip"]
    digests = {hashlib.sha256(p.read_bytes()).hexdigest() for p in tars}
    assert first.checksums["archive-sha256"] in digests
    assert (
        sum(
            hashlib.sha256(p.read_bytes()).hexdigest() == first.checksums["archive-sha256"]
            for p in tars
        )
        == 1
    )  # sent once, not twice


def test_two_step_deposit_completed_by_metadata_entry(
    tmp_path: Path, swh: SwordServer, deposit_env: Path, creds: None
) -> None:
    entry = tmp_path / "entry.xml"
    entry.write_text(ENTRY)
    cfg = _config(tmp_path, swh, metadata_entry=str(entry), service_document=swh.service_document)
    bag = sample_bag(tmp_path, variant="two-step")
    result = deposit_bag(bag, "repo", config=cfg, object_id="urn:x:two-step")
    assert result.outcome == "deposited"
    assert result.identifiers["sword-status"] == "deposited"


def test_wrong_password_is_refused_and_never_shown(
    tmp_path: Path, swh: SwordServer, deposit_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "not-the-password-5512"
    monkeypatch.setenv("BAGSMITH_SWORD_USERNAME", SWORD_USER)
    monkeypatch.setenv("BAGSMITH_SWORD_PASSWORD", wrong)
    cfg = _config(tmp_path, swh)
    res = CliRunner().invoke(
        main, ["deposit", str(sample_bag(tmp_path)), "--to", "repo", "--config", str(cfg)]
    )
    assert res.exit_code == 1 and "refused the credentials" in res.output
    assert wrong not in res.output
    [entry] = records(deposit_env)
    assert entry["error"]["reason"] == "auth" and wrong not in json.dumps(entry)  # type: ignore[index]


def test_bytes_changed_after_hashing_are_refused_by_the_server(
    tmp_path: Path,
    swh: SwordServer,
    deposit_env: Path,
    creds: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    archive = zip_bag(sample_bag(tmp_path, variant="corrupt"), tmp_path / "bag.zip")
    real = swordmod.SwordTarget.send_binary

    def corrupt_then_send(self, archive_bag, *rest):  # type: ignore[no-untyped-def]
        data = bytearray(archive_bag.path.read_bytes())
        data[len(data) // 2] ^= 0x01
        archive_bag.path.write_bytes(bytes(data))
        return real(self, archive_bag, *rest)

    monkeypatch.setattr(swordmod.SwordTarget, "send_binary", corrupt_then_send)
    with pytest.raises(DepositError) as err:
        deposit_bag(archive, "repo", config=_config(tmp_path, swh), retry_policy=FAST_RETRY)
    assert reason_of(err.value) == "checksum-mismatch"
    assert records(deposit_env)[0]["outcome"] == "failed"
    assert not _stored(swh, archive.read_bytes())


def test_dry_run_and_unreachable_server(
    tmp_path: Path, swh: SwordServer, deposit_env: Path, creds: None
) -> None:
    cfg = _config(tmp_path, swh, service_document=swh.service_document)
    archive = zip_bag(sample_bag(tmp_path), tmp_path / "bag.zip")
    result = deposit_bag(archive, "repo", config=cfg, dry_run=True)
    assert result.outcome == "dry-run" and "SimpleZip" in result.details[0]
    assert records(deposit_env) == [] and not _stored(swh, archive.read_bytes())
    dead = f"sword+http://127.0.0.1:{free_port()}/1/{'archive-test'}/"
    with pytest.raises(DepositError, match="gave up after 3 attempt") as err:
        deposit_bag(archive, dead, retry_policy=FAST_RETRY)
    assert reason_of(err.value) == "unavailable"
    assert records(deposit_env)[-1]["outcome"] == "failed"


def test_receipt_parsing_of_a_generic_sword_statement() -> None:
    feed = b"""<feed xmlns="http://www.w3.org/2005/Atom">
      <link rel="http://purl.org/net/sword/terms/statement" href="http://r/statement.atom"/>
      <link rel="edit" href="http://r/edit"/>
      <category scheme="http://purl.org/net/sword/terms/state"
                term="http://purl.org/net/sword/terms/state/archived"/>
      <id>urn:uuid:42</id>
    </feed>"""
    receipt = swordmod.parse_receipt(feed, "test")
    assert receipt.state_iri == "http://r/statement.atom" and receipt.edit_iri == "http://r/edit"
    assert receipt.status == "archived" and receipt.deposit_id == "urn:uuid:42"
    with pytest.raises(DepositError, match="cannot be read"):
        swordmod.parse_receipt(b"<not-xml", "test")


# --- fault tests: a web server of our own (same database and media), killed and restarted ---


@dataclass
class OwnServer:
    """A second swh-deposit web server on the session's database, for tests that kill it."""

    shared: SwordServer
    port: int
    procs: list[Any] = field(default_factory=list)

    @property
    def server(self) -> SwordServer:
        base = f"http://127.0.0.1:{self.port}"
        return SwordServer(base, self.shared.media, self.procs, self.shared.folder, self.shared.env)

    def kill(self) -> None:
        for proc in self.procs:
            stop(proc)

    def restart(self) -> None:
        proc, _port = start_gunicorn(
            self.shared.folder, self.shared.env, self.port, log_name="own-gunicorn.log"
        )
        self.procs.append(proc)


@pytest.fixture
def own_swh(swh: SwordServer) -> Iterator[OwnServer]:
    proc, port = start_gunicorn(swh.folder, swh.env, log_name="own-gunicorn.log")
    own = OwnServer(swh, port, [proc])
    try:
        yield own
    finally:
        own.kill()


def _during_upload(monkeypatch: pytest.MonkeyPatch, action: Callable[[], None]) -> list[int]:
    """Run ``action`` once, after the first MiB of the first upload has been handed to httpx."""
    real = swordmod.SwordTarget.request
    uploads: list[int] = []

    def request(self, method: str, url: str, **kwargs: Any):  # type: ignore[no-untyped-def]
        body = kwargs.get("content")
        if method == "POST" and body is not None and not isinstance(body, bytes):
            uploads.append(1)
            if len(uploads) == 1:

                def interrupted() -> Iterator[bytes]:
                    for number, block in enumerate(body):
                        if number == 1:
                            action()
                        yield block

                kwargs["content"] = interrupted()
        return real(self, method, url, **kwargs)

    monkeypatch.setattr(swordmod.SwordTarget, "request", request)
    return uploads


@pytest.mark.slow  # starts gunicorn twice (~3 s each)
def test_server_killed_mid_upload_and_back_is_retried(
    tmp_path: Path,
    own_swh: OwnServer,
    deposit_env: Path,
    creds: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    archive = zip_bag(bytes_bag(tmp_path, 3 * 1024 * 1024), tmp_path / "big.zip")

    def kill_and_restart() -> None:
        own_swh.kill()
        own_swh.restart()  # the dead connection stays dead; the next attempt reaches the new one

    uploads = _during_upload(monkeypatch, kill_and_restart)
    result = deposit_bag(archive, own_swh.server.url(), retry_policy=FAST_RETRY)
    assert result.outcome == "deposited" and result.verified and result.attempts == 2
    assert len(uploads) == 2 and "cannot reach the SWORD server" in result.details[0]
    assert len(_stored(own_swh.server, archive.read_bytes())) == 1  # stored once, complete
    [entry] = records(deposit_env)
    assert entry["outcome"] == "deposited" and entry["attempts"] == 2


@pytest.mark.slow  # starts gunicorn (~3 s)
def test_server_killed_mid_upload_fails_cleanly(
    tmp_path: Path,
    own_swh: OwnServer,
    deposit_env: Path,
    creds: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    archive = zip_bag(bytes_bag(tmp_path, 3 * 1024 * 1024), tmp_path / "big.zip")
    _during_upload(monkeypatch, own_swh.kill)
    with pytest.raises(DepositError, match="gave up after 3 attempt") as err:
        deposit_bag(archive, own_swh.server.url(), retry_policy=FAST_RETRY)
    assert reason_of(err.value) == "unavailable"
    [entry] = records(deposit_env)
    assert entry["outcome"] == "failed" and entry["verified"] is False and entry["attempts"] == 3
    assert entry["error"]["reason"] == "unavailable"  # type: ignore[index]
    assert not _stored(own_swh.server, archive.read_bytes())  # no partial deposit either


@pytest.mark.slow  # starts gunicorn twice (~3 s each)
def test_server_briefly_down_is_retried(
    tmp_path: Path, own_swh: OwnServer, deposit_env: Path, creds: None
) -> None:
    archive = zip_bag(sample_bag(tmp_path, variant="down"), tmp_path / "bag.zip")
    own_swh.kill()  # down when the deposit starts, back after the first failed attempt
    result = deposit_bag(
        archive,
        own_swh.server.url(),
        retry_policy=FAST_RETRY,
        on_retry=lambda _number, _message: own_swh.restart(),
    )
    assert result.outcome == "deposited" and result.attempts == 2
    assert "attempt 1 failed: cannot reach the SWORD server" in result.details[0]
    assert len(_stored(own_swh.server, archive.read_bytes())) == 1
