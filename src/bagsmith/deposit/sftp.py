"""``sftp://user@host:port/path``: deposit over SFTP (paramiko), host key checked.

The server's host key must be in known_hosts (the ``known_hosts`` setting, else
``~/.ssh/known_hosts``); an unknown key is refused unless ``--trust-host-key SHA256:…`` gives
its fingerprint, and a key that differs from the known one is always refused. Authentication:
the ``identity_file`` setting (passphrase from ``$BAGSMITH_SFTP_PASSPHRASE`` or the config),
the SSH agent, the default keys in ~/.ssh, or a password from ``$BAGSMITH_SFTP_PASSWORD`` or
the config. The bag is uploaded under a hidden temporary name, verified (``sha256sum`` run on
the server when it allows commands, else every file read back over SFTP) and renamed.

Settings: ``identity_file``, ``known_hosts``, ``trust_host_key``, ``password``, ``passphrase``,
``remote_checksum`` (default true), ``timeout`` (seconds, default 30).
"""

from __future__ import annotations

import base64
import errno
import getpass
import hashlib
import os
import posixpath
import shlex
import stat
import uuid
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import SplitResult, unquote

from ..errors import DepositError
from .base import (
    ALREADY_PRESENT,
    DEPOSITED,
    DRY_RUN,
    UNVERIFIED,
    DepositOptions,
    DepositResult,
    Sent,
    TransientError,
    deposit_error,
)
from .directory import check_name
from .source import BASE_ALGORITHM, LocalBag
from .verify import differences, read_back, require_identical

if TYPE_CHECKING:
    import paramiko

_SETTINGS = {
    "identity_file",
    "known_hosts",
    "trust_host_key",
    "password",
    "passphrase",
    "remote_checksum",
    "timeout",
}


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH-style ``SHA256:…`` fingerprint of a public key."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


class SftpTarget:
    def __init__(self, url: SplitResult, settings: dict[str, Any], display: str) -> None:
        if not url.hostname:
            raise deposit_error("config", "the sftp:// URL has no host")
        self.host = url.hostname
        self.port = url.port or 22
        self.user = unquote(url.username) if url.username else getpass.getuser()
        self.root = unquote(url.path) or "."
        self.display = display
        self.settings = settings
        home = Path.home()
        self.known_hosts = Path(str(settings.get("known_hosts", home / ".ssh" / "known_hosts")))
        self.known_hosts = self.known_hosts.expanduser()
        self.trust = settings.get("trust_host_key")
        self.remote_checksum = bool(settings.get("remote_checksum", True))
        self.timeout = float(settings.get("timeout", 30))
        self._stale: list[str] = []  # temporary names of earlier attempts, removed on retry

    # --- connection ----------------------------------------------------------------------

    def connect(self) -> paramiko.SSHClient:
        import paramiko

        client = paramiko.SSHClient()
        hostkeys = client.get_host_keys()
        if self.known_hosts.is_file():
            try:
                hostkeys.load(str(self.known_hosts))
            except (OSError, paramiko.SSHException) as exc:
                raise deposit_error(
                    "config", f"cannot read known_hosts: {exc}", path=str(self.known_hosts)
                ) from exc
        client.set_missing_host_key_policy(_trust_policy(self.trust, str(self.known_hosts)))
        identity = self.settings.get("identity_file")
        if identity:
            self._check_identity(Path(str(identity)).expanduser())
        try:
            client.connect(
                self.host,
                port=self.port,
                username=self.user,
                password=self.settings.get("password") or os.environ.get("BAGSMITH_SFTP_PASSWORD"),
                key_filename=str(Path(identity).expanduser()) if identity else None,
                passphrase=self._passphrase(),
                timeout=self.timeout,
                banner_timeout=self.timeout,
                auth_timeout=self.timeout,
                allow_agent=True,
                look_for_keys=identity is None,
            )
        except DepositError:
            client.close()
            raise
        except paramiko.BadHostKeyException as exc:
            client.close()
            raise deposit_error(
                "host-key",
                f"the host key of {self.host}:{self.port} does not match known_hosts "
                f"(got {fingerprint(exc.key)}): refusing to connect",
                path=str(self.known_hosts),
                hint="if the server's key really changed, update known_hosts after checking it",
            ) from exc
        except paramiko.PasswordRequiredException as exc:
            client.close()
            raise deposit_error(
                "auth",
                "the private key is encrypted and no passphrase was given",
                hint="set $BAGSMITH_SFTP_PASSPHRASE or use an SSH agent",
            ) from exc
        except paramiko.AuthenticationException as exc:
            client.close()
            raise deposit_error(
                "auth",
                f"{self.user}@{self.host}:{self.port} refused the credentials ({exc})",
                hint="check identity_file, the SSH agent or $BAGSMITH_SFTP_PASSWORD",
            ) from exc
        except (OSError, EOFError, paramiko.SSHException) as exc:
            client.close()
            if "No authentication methods available" in str(exc):
                raise deposit_error(
                    "auth",
                    "no SSH key, agent or password is available to log in with",
                    hint="set identity_file in the config, start ssh-agent, "
                    "or set $BAGSMITH_SFTP_PASSWORD",
                ) from exc
            raise TransientError(f"cannot connect to {self.host}:{self.port}: {exc}") from exc
        return client

    def _check_identity(self, path: Path) -> None:
        """A configured identity file that is missing or unreadable is a
        configuration error, found before connecting (no retry would make it work)."""
        try:
            if not stat.S_ISREG(path.stat().st_mode):
                raise OSError(errno.EINVAL, "not a regular file", str(path))
            with open(path, "rb"):
                pass
        except OSError as exc:
            raise deposit_error(
                "config",
                f"the SSH identity file cannot be read: {exc.strerror or exc}",
                path=str(path),
                hint="fix identity_file in the config (a private key file readable by you)",
            ) from exc

    def _passphrase(self) -> str | None:
        value = self.settings.get("passphrase") or os.environ.get("BAGSMITH_SFTP_PASSPHRASE")
        return str(value) if value else None

    # --- deposit -------------------------------------------------------------------------

    def deposit(self, bag: LocalBag, options: DepositOptions, result: DepositResult) -> None:
        import paramiko

        name = check_name(options.name or bag.name)
        final = posixpath.join(self.root, name)
        result.location = f"sftp://{self.user}@{self.host}:{self.port}{final}"
        result.form = "folder" if bag.kind == "folder" else "file"
        client = self.connect()
        try:
            sftp = client.open_sftp()
            self._deposit(client, sftp, bag, options, result, final)
        except (OSError, EOFError, paramiko.SSHException) as exc:
            raise TransientError(f"the SFTP connection failed: {exc}") from exc
        finally:
            client.close()

    def _deposit(
        self,
        client: paramiko.SSHClient,
        sftp: paramiko.SFTPClient,
        bag: LocalBag,
        options: DepositOptions,
        result: DepositResult,
        final: str,
    ) -> None:
        self._require_dir(sftp, self.root)
        for stale in self._stale:
            self._remove_tree(sftp, stale)
        self._stale.clear()
        if _exists(sftp, final):
            if differences(bag, self.digest_remote(client, sftp, bag, final)):
                raise deposit_error(
                    "conflict",
                    "a different bag with this name is already on the server",
                    path=result.location,
                    hint="deposit it under another name ({name}), or remove the old one",
                )
            result.outcome, result.verified = ALREADY_PRESENT, True
            result.details.append("an identical bag is already there (verified, not copied)")
            return
        if options.dry_run:
            result.outcome = DRY_RUN
            result.details.append(f"would upload {len(bag.files)} file(s), {bag.size} bytes")
            return
        tmp = posixpath.join(
            self.root, f".{posixpath.basename(final)}.bagsmith-{uuid.uuid4().hex[:12]}.partial"
        )
        self._stale.append(tmp)
        try:
            self.upload(sftp, bag, tmp, options.sent)
            if options.verify:
                require_identical(bag, self.digest_remote(client, sftp, bag, tmp), tmp)
            if _exists(sftp, final):
                raise deposit_error("conflict", "something appeared under this name meanwhile")
            sftp.rename(tmp, final)
        except OSError as exc:
            raise _sftp_failure(exc, tmp) from exc
        except DepositError:
            self._remove_tree(sftp, tmp)
            raise
        self._stale.remove(tmp)
        result.verified = options.verify
        result.outcome = DEPOSITED if options.verify else UNVERIFIED

    def upload(self, sftp: paramiko.SFTPClient, bag: LocalBag, tmp: str, sent: Sent) -> None:
        sent.start(bag.size)
        if bag.kind == "archive":
            self.put_file(sftp, bag.files[0].path, tmp, sent)
            return
        made = {tmp}
        sftp.mkdir(tmp, 0o700)
        for f in bag.files:
            remote = posixpath.join(tmp, f.relpath)
            parent = posixpath.dirname(remote)
            missing: list[str] = []
            while parent not in made:
                missing.append(parent)
                parent = posixpath.dirname(parent)
            for folder in reversed(missing):
                sftp.mkdir(folder)
                made.add(folder)
            self.put_file(sftp, f.path, remote, sent)
        sftp.chmod(tmp, 0o755)

    def put_file(self, sftp: paramiko.SFTPClient, local: Path, remote: str, sent: Sent) -> None:
        with open(local, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            sftp.putfo(fh, remote, size, callback=sent.of_one_file(), confirm=True)

    # --- verification ----------------------------------------------------------------------

    def digest_remote(
        self, client: paramiko.SSHClient, sftp: paramiko.SFTPClient, bag: LocalBag, where: str
    ) -> dict[str, dict[str, str] | None]:
        """Digests of what is at ``where``, keyed like the bag's files."""
        if bag.kind == "archive":
            listing = {bag.files[0].relpath: where} if _is_file(sftp, where) else {}
        else:
            listing = {rel: posixpath.join(where, rel) for rel in _walk(sftp, where)}
        if self.remote_checksum and listing:
            remote = _sha256sum(client, list(listing.values()), self.timeout)
            if remote is not None:
                return {rel: {BASE_ALGORITHM: remote[path]} for rel, path in listing.items()}

        def opener(relpath: str) -> IO[bytes]:
            fh = sftp.open(listing[relpath], "rb")
            fh.prefetch()
            return fh  # type: ignore[return-value]

        return read_back(bag, sorted(listing), opener)

    # --- helpers ---------------------------------------------------------------------------

    def _require_dir(self, sftp: paramiko.SFTPClient, path: str) -> None:
        try:
            st = sftp.stat(path)
        except OSError as exc:
            raise deposit_error(
                "config", f"the remote folder cannot be used: {exc}", path=path
            ) from exc
        if not stat.S_ISDIR(st.st_mode or 0):
            raise deposit_error("config", "the remote path is not a folder", path=path)

    def _remove_tree(self, sftp: paramiko.SFTPClient, path: str) -> None:
        """Best-effort removal of a temporary upload (the connection may be gone)."""
        try:
            if _is_file(sftp, path):
                sftp.remove(path)
                return
            for entry in sftp.listdir_attr(path):
                child = posixpath.join(path, entry.filename)
                if stat.S_ISDIR(entry.st_mode or 0):
                    self._remove_tree(sftp, child)
                else:
                    sftp.remove(child)
            sftp.rmdir(path)
        except Exception:  # OSError, EOFError, paramiko.SSHException on a dead connection
            pass


def _trust_policy(trusted: str | None, known_hosts: str) -> paramiko.MissingHostKeyPolicy:
    """Missing-host-key policy: accept only a key whose fingerprint the user gave."""
    import paramiko

    class TrustPolicy(paramiko.MissingHostKeyPolicy):
        def missing_host_key(
            self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey
        ) -> None:
            actual = fingerprint(key)
            if trusted is not None and trusted.strip() == actual:
                return
            if trusted is not None:
                raise deposit_error(
                    "host-key",
                    f"the host key of {hostname} is {actual}, not the trusted {trusted.strip()}",
                    hint="check the fingerprint with the server's administrator",
                )
            raise deposit_error(
                "host-key",
                f"the host key of {hostname} ({key.get_name()} {actual}) is not in known_hosts",
                path=known_hosts,
                hint=f"check the fingerprint, then pass {{trust_host_key={actual}}} "
                "or add the key to known_hosts",
            )

    return TrustPolicy()


def _sftp_failure(exc: OSError, where: str) -> Exception:
    code = exc.errno or 0
    if code in (errno.EACCES, errno.EPERM):
        return deposit_error("permission", f"the server refused to write: {exc}", path=where)
    if code in (errno.ENOSPC, errno.EDQUOT):
        return deposit_error("no-space", f"the server is out of space: {exc}", path=where)
    return TransientError(f"SFTP error: {exc}", path=where)


def _exists(sftp: paramiko.SFTPClient, path: str) -> bool:
    try:
        sftp.lstat(path)
    except FileNotFoundError:
        return False
    return True


def _is_file(sftp: paramiko.SFTPClient, path: str) -> bool:
    try:
        return stat.S_ISREG(sftp.lstat(path).st_mode or 0)
    except FileNotFoundError:
        return False


def _walk(sftp: paramiko.SFTPClient, top: str) -> list[str]:
    """Relative paths of every non-folder entry below ``top`` (empty if it is missing)."""
    out: list[str] = []
    try:
        entries = sftp.listdir_attr(top)
    except FileNotFoundError:
        return out
    for entry in entries:
        if stat.S_ISDIR(entry.st_mode or 0):
            out += [
                f"{entry.filename}/{rel}"
                for rel in _walk(sftp, posixpath.join(top, entry.filename))
            ]
        else:
            out.append(entry.filename)
    return out


def _sha256sum(
    client: paramiko.SSHClient, paths: list[str], timeout: float
) -> dict[str, str] | None:
    """Have the server digest ``paths`` with ``sha256sum -z``; None if it cannot."""
    found: dict[str, str] = {}
    for start in range(0, len(paths), 200):
        batch = paths[start : start + 200]
        command = "sha256sum -z -- " + " ".join(shlex.quote(p) for p in batch)
        try:
            _stdin, stdout, _stderr = client.exec_command(command, timeout=timeout)
            data = stdout.read()
            status = stdout.channel.recv_exit_status()
        except Exception:  # no shell, exec refused, ForceCommand internal-sftp …
            return None
        if status != 0:
            return None
        for record in data.split(b"\0"):
            if not record:
                continue
            digest, sep, name = record.partition(b"  ")
            if not sep or len(digest) != 64:
                return None
            found[name.decode("utf-8", "surrogateescape")] = digest.decode().lower()
    if set(found) != set(paths):
        return None
    return found


def from_settings(url: SplitResult, settings: dict[str, Any], display: str) -> SftpTarget:
    unknown = set(settings) - _SETTINGS
    if unknown:
        raise deposit_error(
            "config", "unknown setting(s) for sftp://: " + ", ".join(sorted(unknown))
        )
    return SftpTarget(url, settings, display)
