"""sftp:// deposits against a real OpenSSH server (sshd on a high port, temporary keys)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bagsmith.cli import main
from bagsmith.deposit.base import reason_of
from bagsmith.errors import DepositError
from bagsmith.pipeline.depositing import deposit_bag
from tests.servers import (
    FAST_RETRY,
    ShownProgress,
    SSHServer,
    children,
    deposit_env,
    free_port,
    records,
    sample_bag,
    sshd,
    start_sshd,
    stop,
    zip_bag,
)

__all__ = ["deposit_env", "sshd"]

paramiko = pytest.importorskip("paramiko", reason="paramiko is not installed")


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _config(tmp_path: Path, server: SSHServer, sub: str, **extra: object) -> Path:
    (server.root / sub).mkdir(exist_ok=True)
    lines = [
        "[targets.vault]",
        f'url = "{server.url(sub)}"',
        f'identity_file = "{server.client_key}"',
        f'known_hosts = "{server.known_hosts}"',
    ]
    lines += [f"{k} = {json.dumps(v)}" for k, v in extra.items()]
    cfg = tmp_path / f"config-{sub}.toml"
    cfg.write_text("\n".join(lines) + "\n")
    cfg.chmod(0o600)
    return cfg


@pytest.fixture
def spy_remote_sum(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    from bagsmith.deposit import sftp

    used: list[bool] = []
    real = sftp._sha256sum

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        out = real(*args, **kwargs)
        used.append(out is not None)
        return out

    monkeypatch.setattr(sftp, "_sha256sum", spy)
    return used


@pytest.mark.parametrize("remote_checksum", [True, False])
def test_folder_deposit_verified_and_idempotent(
    tmp_path: Path,
    sshd: SSHServer,
    deposit_env: Path,
    spy_remote_sum: list[bool],
    remote_checksum: bool,
) -> None:
    sub = f"folder-{remote_checksum}-{os.getpid()}"
    cfg = _config(tmp_path, sshd, sub, remote_checksum=remote_checksum)
    bag = sample_bag(tmp_path, External_Identifier="urn:x:sftp")
    result = deposit_bag(bag, "vault", config=cfg, retry_policy=FAST_RETRY)
    assert result.outcome == "deposited" and result.verified
    assert spy_remote_sum == ([True] if remote_checksum else [])
    dest = sshd.root / sub
    assert [p.name for p in dest.iterdir()] == ["bag"]  # no temporary left
    assert _tree(dest / "bag") == _tree(bag)
    assert result.location == f"sftp://root@127.0.0.1:{sshd.port}{dest / 'bag'}"
    again = deposit_bag(bag, "vault", config=cfg)
    assert again.outcome == "already-present"
    other = sample_bag(tmp_path / "o", variant="changed")
    with pytest.raises(DepositError) as err:
        deposit_bag(other, "vault", config=cfg)
    assert reason_of(err.value) == "conflict"
    assert [e["outcome"] for e in records(deposit_env)] == [
        "deposited",
        "already-present",
        "failed",
    ]


def test_archive_deposit(tmp_path: Path, sshd: SSHServer, deposit_env: Path) -> None:
    cfg = _config(tmp_path, sshd, f"zip-{os.getpid()}")
    archive = zip_bag(sample_bag(tmp_path), tmp_path / "bag.zip")
    result = deposit_bag(archive, "vault", config=cfg)
    assert result.outcome == "deposited"
    assert (sshd.root / f"zip-{os.getpid()}" / "bag.zip").read_bytes() == archive.read_bytes()


def test_the_bytes_uploaded_are_shown_up_to_the_bag_size(
    tmp_path: Path, sshd: SSHServer, deposit_env: Path
) -> None:
    cfg = _config(tmp_path, sshd, f"progress-{os.getpid()}")
    bag = sample_bag(tmp_path)
    shown = ShownProgress()
    deposit_bag(bag, "vault", config=cfg, progress=shown)
    assert shown.reached(sum(len(b) for b in _tree(bag).values())), (shown.phases, shown.sent)


def test_unknown_host_key_refused_unless_fingerprint_trusted(
    tmp_path: Path, sshd: SSHServer, deposit_env: Path
) -> None:
    sub = f"hostkey-{os.getpid()}"
    (sshd.root / sub).mkdir()
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        f'[targets.v]\nurl = "{sshd.url(sub)}"\nidentity_file = "{sshd.client_key}"\n'
        f'known_hosts = "{empty}"\n'
    )
    bag = sample_bag(tmp_path)
    with pytest.raises(DepositError, match="not in known_hosts") as err:
        deposit_bag(bag, "v", config=cfg)
    assert reason_of(err.value) == "host-key" and sshd.fingerprint() in str(err.value)
    with pytest.raises(DepositError, match="not the trusted") as err:
        deposit_bag(bag, "v", config=cfg, trust_host_key="SHA256:" + "A" * 43)
    assert records(deposit_env)[-1]["attempts"] == 1  # a permanent error is not retried
    result = deposit_bag(bag, "v", config=cfg, trust_host_key=sshd.fingerprint())
    assert result.outcome == "deposited"
    assert empty.read_text() == ""  # trusting once does not write known_hosts


def test_changed_host_key_is_always_refused(
    tmp_path: Path, sshd: SSHServer, deposit_env: Path
) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "other")], check=True
    )
    kind, blob = (tmp_path / "other.pub").read_text().split()[:2]
    known = tmp_path / "known_hosts"
    known.write_text(f"[127.0.0.1]:{sshd.port} {kind} {blob}\n")
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        f'[targets.v]\nurl = "{sshd.url()}"\nidentity_file = "{sshd.client_key}"\n'
        f'known_hosts = "{known}"\n'
    )
    with pytest.raises(DepositError, match="does not match known_hosts") as err:
        deposit_bag(sample_bag(tmp_path), "v", config=cfg, trust_host_key=sshd.fingerprint())
    assert reason_of(err.value) == "host-key"


def test_wrong_key_is_an_authentication_error(
    tmp_path: Path, sshd: SSHServer, deposit_env: Path
) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "stranger")],
        check=True,
    )
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        f'[targets.v]\nurl = "{sshd.url()}"\nidentity_file = "{tmp_path / "stranger"}"\n'
        f'known_hosts = "{sshd.known_hosts}"\n'
    )
    with pytest.raises(DepositError) as err:
        deposit_bag(sample_bag(tmp_path), "v", config=cfg, retry_policy=FAST_RETRY)
    assert reason_of(err.value) == "auth"
    [entry] = records(deposit_env)
    assert entry["attempts"] == 1 and entry["outcome"] == "failed"


def test_encrypted_key_passphrase_from_environment_is_never_shown(
    tmp_path: Path, sshd: SSHServer, deposit_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "correct-horse-battery-staple-42"
    key = tmp_path / "locked"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", secret, "-f", str(key)], check=True)
    with open(sshd.folder / "authorized_keys", "a") as fh:
        fh.write((tmp_path / "locked.pub").read_text())
    sub = f"locked-{os.getpid()}"
    (sshd.root / sub).mkdir()
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        f'[targets.v]\nurl = "{sshd.url(sub)}"\nidentity_file = "{key}"\n'
        f'known_hosts = "{sshd.known_hosts}"\n'
    )
    bag = sample_bag(tmp_path)
    runner = CliRunner()
    res = runner.invoke(main, ["deposit", str(bag), "--to", "v", "--config", str(cfg), "--json"])
    assert res.exit_code == 1 and "passphrase" in res.output
    monkeypatch.setenv("BAGSMITH_SFTP_PASSPHRASE", secret)
    res = runner.invoke(main, ["deposit", str(bag), "--to", "v", "--config", str(cfg), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["outcome"] == "deposited"
    listing = runner.invoke(main, ["deposits", "list", "--json"])
    for text in (res.output, listing.output, (deposit_env / "deposits.jsonl").read_text()):
        assert secret not in text


def test_corruption_in_transit_is_caught(
    tmp_path: Path, sshd: SSHServer, deposit_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bagsmith.deposit import sftp

    real = sftp.SftpTarget.put_file

    def corrupting(self, client, local: Path, remote: str, sent) -> None:  # type: ignore[no-untyped-def]
        real(self, client, local, remote, sent)
        if local.name == "article.txt":
            with client.open(remote, "wb") as fh:
                fh.write(b"garbled in transit\n")

    monkeypatch.setattr(sftp.SftpTarget, "put_file", corrupting)
    sub = f"corrupt-{os.getpid()}"
    cfg = _config(tmp_path, sshd, sub)
    with pytest.raises(DepositError) as err:
        deposit_bag(sample_bag(tmp_path), "vault", config=cfg, retry_policy=FAST_RETRY)
    assert reason_of(err.value) == "checksum-mismatch" and "data/article.txt" in str(err.value)
    assert list((sshd.root / sub).iterdir()) == []  # temporary copy removed, nothing published
    assert records(deposit_env)[0]["outcome"] == "failed"


@pytest.fixture
def own_sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SSHServer]:
    """A server of our own, for tests that kill it."""
    server = start_sshd(tmp_path_factory.mktemp("own-sshd"))
    try:
        yield server
    finally:
        stop(server.proc)


def _kill_after(monkeypatch: pytest.MonkeyPatch, uploads: int, kill: object) -> list[int]:
    from bagsmith.deposit import sftp

    real = sftp.SftpTarget.put_file
    count = [0]

    def put(self, client, local: Path, remote: str, sent) -> None:  # type: ignore[no-untyped-def]
        count[0] += 1
        if count[0] == uploads:
            kill()  # type: ignore[operator]
        real(self, client, local, remote, sent)

    monkeypatch.setattr(sftp.SftpTarget, "put_file", put)
    return count


def test_connection_dropped_mid_upload_is_retried(
    tmp_path: Path, own_sshd: SSHServer, deposit_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def drop_sessions() -> None:  # the listener survives; the connection in use dies
        for pid in children(own_sshd.proc.pid):
            os.kill(pid, signal.SIGKILL)

    count = _kill_after(monkeypatch, 3, drop_sessions)
    cfg = _config(tmp_path, own_sshd, "drop")
    bag = sample_bag(tmp_path)
    result = deposit_bag(bag, "vault", config=cfg, retry_policy=FAST_RETRY)
    assert result.outcome == "deposited" and result.attempts == 2 and count[0] > 3
    assert "attempt 1 failed" in result.details[0]
    dest = own_sshd.root / "drop"
    assert [p.name for p in dest.iterdir()] == ["bag"]  # the first attempt's partial is gone
    assert _tree(dest / "bag") == _tree(bag)


def test_server_killed_mid_upload_fails_cleanly(
    tmp_path: Path, own_sshd: SSHServer, deposit_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _kill_after(monkeypatch, 3, lambda: stop(own_sshd.proc))
    cfg = _config(tmp_path, own_sshd, "killed")
    with pytest.raises(DepositError, match="gave up after 3 attempt") as err:
        deposit_bag(sample_bag(tmp_path), "vault", config=cfg, retry_policy=FAST_RETRY)
    assert reason_of(err.value) == "unavailable"
    [entry] = records(deposit_env)
    assert entry["outcome"] == "failed" and entry["verified"] is False and entry["attempts"] == 3
    assert not (own_sshd.root / "killed" / "bag").exists()


def test_unwritable_remote_folder_is_a_permission_error(
    tmp_path: Path, sshd: SSHServer, deposit_env: Path
) -> None:
    if not Path("/sys/fs").is_dir():
        pytest.skip("/sys/fs is not available")
    cfg = tmp_path / "c.toml"
    url = f"sftp://root@127.0.0.1:{sshd.port}/sys/fs"  # nobody, not even root, can write there
    cfg.write_text(
        f'[targets.v]\nurl = "{url}"\nidentity_file = "{sshd.client_key}"\n'
        f'known_hosts = "{sshd.known_hosts}"\n'
    )
    with pytest.raises(DepositError) as err:
        deposit_bag(sample_bag(tmp_path), "v", config=cfg, retry_policy=FAST_RETRY)
    assert reason_of(err.value) == "permission"
    assert records(deposit_env)[0]["attempts"] == 1


def test_agent_authentication(
    tmp_path: Path, sshd: SSHServer, deposit_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if shutil.which("ssh-agent") is None or shutil.which("ssh-add") is None:
        pytest.skip("ssh-agent is not installed (apt-get install openssh-client)")
    sock = tmp_path / "agent.sock"
    agent = subprocess.Popen(
        ["ssh-agent", "-D", "-a", str(sock)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        for _ in range(100):
            if sock.exists():
                break
            time.sleep(0.05)
        env = {**os.environ, "SSH_AUTH_SOCK": str(sock)}
        subprocess.run(["ssh-add", "-q", str(sshd.client_key)], env=env, check=True)
        monkeypatch.setenv("SSH_AUTH_SOCK", str(sock))
        sub = f"agent-{os.getpid()}"
        (sshd.root / sub).mkdir()
        cfg = tmp_path / "c.toml"  # no identity_file: the key is only in the agent
        cfg.write_text(
            f'[targets.v]\nurl = "{sshd.url(sub)}"\nknown_hosts = "{sshd.known_hosts}"\n'
        )
        result = deposit_bag(sample_bag(tmp_path), "v", config=cfg)
        assert result.outcome == "deposited"
        monkeypatch.delenv("SSH_AUTH_SOCK")
        with pytest.raises(DepositError) as err:
            deposit_bag(sample_bag(tmp_path / "x"), "v", config=cfg, name="again")
        assert reason_of(err.value) == "auth"
    finally:
        stop(agent)


def test_missing_identity_file_is_a_configuration_error_at_once(
    tmp_path: Path, deposit_env: Path
) -> None:
    """Issue #17 finding 18: not retried, not `unavailable` (no server is needed to see it)."""
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        f'[targets.v]\nurl = "sftp://someone@127.0.0.1:{free_port()}/incoming"\n'
        f'identity_file = "{tmp_path / "no-such-key"}"\n'
    )
    with pytest.raises(DepositError, match="identity file cannot be read") as err:
        deposit_bag(sample_bag(tmp_path), "v", config=cfg, retry_policy=FAST_RETRY)
    assert reason_of(err.value) == "config" and err.value.path == str(tmp_path / "no-such-key")
    [entry] = records(deposit_env)
    assert entry["attempts"] == 1 and entry["outcome"] == "failed"
    assert entry["error"]["reason"] == "config"  # type: ignore[index]
    (tmp_path / "a-folder").mkdir()
    cfg.write_text(cfg.read_text().replace("no-such-key", "a-folder"))
    with pytest.raises(DepositError, match="not a regular file"):
        deposit_bag(sample_bag(tmp_path, "bag2"), "v", config=cfg, retry_policy=FAST_RETRY)
