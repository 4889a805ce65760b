"""ocfl:// deposits with ocfl-py: objects, versions, idempotence and the object validator."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest

from bagsmith.cli.flags import flag_name
from bagsmith.deposit.base import reason_of
from bagsmith.deposit.ocfl import OcflTarget
from bagsmith.errors import DepositError
from bagsmith.pipeline.depositing import deposit_bag
from tests.servers import (
    FAST_RETRY,
    ShownProgress,
    as_unprivileged,
    bytes_bag,
    deposit_command,
    deposit_env,
    records,
    sample_bag,
    tiny_fs,
    zip_bag,
)

__all__ = ["deposit_env", "tiny_fs"]

ocfl = pytest.importorskip("ocfl", reason="ocfl-py is not installed (pip install ocfl-py)")


def _object_dir(root: Path, object_id: str) -> Path:
    return root / ocfl.StorageRoot(root=str(root)).object_path(object_id)


def test_the_bytes_of_the_new_version_are_shown(tmp_path: Path, deposit_env: Path) -> None:
    bag = sample_bag(tmp_path)
    shown = ShownProgress()
    deposit_bag(bag, f"ocfl://{tmp_path / 'root'}", object_id="urn:x:p", progress=shown)
    assert shown.reached(sum(p.stat().st_size for p in bag.rglob("*") if p.is_file()))


def _validate(objdir: Path) -> bool:
    passed, _validator = ocfl.Object().validate(objdir=str(objdir))
    return bool(passed)


def test_bag_becomes_a_valid_object_and_versions_follow_changes(
    tmp_path: Path, deposit_env: Path
) -> None:
    root = tmp_path / "ocfl-root"
    bag = sample_bag(tmp_path, External_Identifier="urn:bagsmith:test:1")
    first = deposit_bag(bag, f"ocfl://{root}", retry_policy=FAST_RETRY)
    assert first.outcome == "deposited" and first.verified
    assert first.identifiers["ocfl-object-id"] == "urn:bagsmith:test:1"
    assert first.identifiers["ocfl-version"] == "v1"
    objdir = _object_dir(root, "urn:bagsmith:test:1")
    assert first.location == objdir.as_uri() and _validate(objdir)
    inv = json.loads((objdir / "inventory.json").read_text())
    logical = {p for paths in inv["versions"]["v1"]["state"].values() for p in paths}
    assert logical == {p.relative_to(bag).as_posix() for p in bag.rglob("*") if p.is_file()}
    # storage root: nothing but the declaration, layout, extensions and the object
    assert not [p for p in root.parent.iterdir() if p.name.startswith(".")]

    again = deposit_bag(bag, f"ocfl://{root}")
    assert again.outcome == "already-present" and again.identifiers["ocfl-version"] == "v1"
    assert json.loads((objdir / "inventory.json").read_text())["head"] == "v1"

    changed = sample_bag(
        tmp_path / "later", variant="two", External_Identifier="urn:bagsmith:test:1"
    )
    second = deposit_bag(changed, f"ocfl://{root}")
    assert second.outcome == "deposited" and second.identifiers["ocfl-version"] == "v2"
    assert _validate(objdir)
    inv = json.loads((objdir / "inventory.json").read_text())
    assert inv["head"] == "v2" and set(inv["versions"]) == {"v1", "v2"}
    # the unchanged image was not stored twice (deduplicated against v1)
    assert not list((objdir / "v2" / "content").rglob("*.jpg"))
    assert [e["outcome"] for e in records(deposit_env)] == [
        "deposited",
        "already-present",
        "deposited",
    ]
    # the independent command-line validator (ocfl-py's script) agrees; it must be there
    places = [Path(sys.executable).with_name("ocfl-validate.py")]
    places.append(Path(sys.base_prefix) / "bin" / "ocfl-validate.py")  # a venv on a base Python
    found = [p for p in places if p.is_file()]
    assert found, f"ocfl-py's ocfl-validate.py is not in {places}: run scripts/test-setup.sh"
    run = subprocess.run([sys.executable, str(found[0]), str(objdir)], capture_output=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_object_id_option_and_missing_id(tmp_path: Path, deposit_env: Path) -> None:
    root = tmp_path / "root"
    bag = sample_bag(tmp_path)
    with pytest.raises(DepositError, match="give one with object_id") as err:
        deposit_bag(bag, f"ocfl://{root}")
    assert reason_of(err.value) == "config" and "--object-id" in err.value.text(flag_name)
    result = deposit_bag(bag, f"ocfl://{root}", object_id="ark:/99999/x1")
    assert result.identifiers["ocfl-object-id"] == "ark:/99999/x1"
    assert _validate(_object_dir(root, "ark:/99999/x1"))


def test_dry_run_writes_nothing(tmp_path: Path, deposit_env: Path) -> None:
    root = tmp_path / "root"
    result = deposit_bag(sample_bag(tmp_path), f"ocfl://{root}", dry_run=True, object_id="x")
    assert result.outcome == "dry-run" and "would create object x" in result.details[0]
    assert not root.exists() and records(deposit_env) == []


def test_corrupted_existing_object_is_detected_not_extended(
    tmp_path: Path, deposit_env: Path
) -> None:
    root = tmp_path / "root"
    bag = sample_bag(tmp_path, External_Identifier="obj-1")
    deposit_bag(bag, f"ocfl://{root}")
    objdir = _object_dir(root, "obj-1")
    victim = next((objdir / "v1" / "content").rglob("article.txt"))
    victim.write_text("bit rot\n")
    # the storage-root validator is known to say "valid" here; the object validator does not
    with pytest.raises(DepositError, match="not valid") as err:
        deposit_bag(bag, f"ocfl://{root}")
    assert reason_of(err.value) == "checksum-mismatch"
    assert json.loads((objdir / "inventory.json").read_text())["head"] == "v1"
    assert records(deposit_env)[-1]["outcome"] == "failed"


def test_archive_and_non_root_folder_are_refused(tmp_path: Path, deposit_env: Path) -> None:
    bag = sample_bag(tmp_path, External_Identifier="x")
    archive = zip_bag(bag, tmp_path / "bag.zip")
    with pytest.raises(DepositError, match="needs a bag folder"):
        deposit_bag(archive, f"ocfl://{tmp_path / 'root'}")
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "something.txt").write_text("not OCFL")
    with pytest.raises(DepositError, match=r"not an OCFL 1\.1 storage root"):
        deposit_bag(bag, f"ocfl://{busy}")
    with pytest.raises(DepositError, match="unknown setting"):
        cfg = tmp_path / "c.toml"
        cfg.write_text(f'[targets.o]\nurl = "ocfl://{tmp_path / "r"}"\nbucket = "x"\n')
        deposit_bag(bag, "o", config=cfg)


def test_importing_ocfl_py_leaves_logging_alone(tmp_path: Path, deposit_env: Path) -> None:
    code = (
        "import logging, sys\n"
        "from bagsmith.pipeline.depositing import deposit_bag\n"
        f"deposit_bag({str(sample_bag(tmp_path))!r}, 'ocfl://{tmp_path / 'root'}', object_id='x')\n"
        "assert logging.getLogger().handlers == [], logging.getLogger().handlers\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stderr == "" and run.stdout == ""


def test_unknown_layout_is_a_clear_error(tmp_path: Path, deposit_env: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[targets.o]\nurl = "ocfl://{tmp_path / "r"}"\nlayout = "no-such-layout"\n')
    bag = sample_bag(tmp_path)
    for dry_run in (True, False):
        with pytest.raises(DepositError, match="no-such-layout"):
            deposit_bag(bag, "o", config=cfg, object_id="x", dry_run=dry_run)


def _files(top: Path) -> list[str]:
    return sorted(p.relative_to(top).as_posix() for p in top.rglob("*"))


def test_full_file_system_fails_cleanly(tmp_path: Path, tiny_fs: Path, deposit_env: Path) -> None:
    """The storage root on a real 1 MiB file system: a 2 MiB bag fails with no-space, the
    staging copy is removed and the existing object is untouched."""
    root = tiny_fs / "ocfl-root"
    small = sample_bag(tmp_path, External_Identifier="urn:x:full")
    assert deposit_bag(small, f"ocfl://{root}").outcome == "deposited"
    before = _files(tiny_fs)
    big = bytes_bag(tmp_path, 2 * 1024 * 1024)
    for object_id in ("urn:x:full", "urn:x:other"):  # a new version, a new object
        with pytest.raises(DepositError, match="No space left") as err:
            deposit_bag(big, f"ocfl://{root}", object_id=object_id, retry_policy=FAST_RETRY)
        assert reason_of(err.value) == "no-space"
        assert _files(tiny_fs) == before  # nothing left under a temporary name
    assert _validate(_object_dir(root, "urn:x:full"))
    outcomes = [(e["outcome"], e["verified"], e["attempts"]) for e in records(deposit_env)]
    assert outcomes == [("deposited", True, 1), ("failed", False, 1), ("failed", False, 1)]


def test_read_only_storage_root_is_a_permission_error(tmp_path: Path, deposit_env: Path) -> None:
    """A storage root (and its folder) with mode 0555; as root the deposit runs without
    CAP_DAC_OVERRIDE, so the permission bits apply."""
    vol = tmp_path / "vol"
    vol.mkdir()
    root = vol / "ocfl-root"
    deposit_bag(sample_bag(tmp_path, External_Identifier="urn:x:ro"), f"ocfl://{root}")
    before = _files(vol)
    changed = sample_bag(tmp_path / "later", variant="two", External_Identifier="urn:x:ro")
    modes = {p: p.stat().st_mode for p in [vol, *vol.rglob("*")] if p.is_dir()}
    for folder in modes:
        folder.chmod(0o555)
    try:
        peek = subprocess.run([*as_unprivileged(), "mkdir", str(vol / "probe")], check=False)
        assert peek.returncode != 0, "the folder is still writable: the test would prove nothing"
        proc = deposit_command(changed, f"ocfl://{root}", deposit_env)
    finally:
        for folder, mode in modes.items():
            folder.chmod(mode)
    assert proc.returncode == 1, proc.stderr
    assert f"error[deposit]: {root}: cannot write the deposit: Permission denied" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert _files(vol) == before
    inv = json.loads((_object_dir(root, "urn:x:ro") / "inventory.json").read_text())
    assert inv["head"] == "v1"
    assert [(e["outcome"], e["verified"]) for e in records(deposit_env)] == [
        ("deposited", True),
        ("failed", False),
    ]
    assert records(deposit_env)[1]["error"]["reason"] == "permission"  # type: ignore[index]


def _warnings(objdir: Path) -> list[str]:
    passed, validator = ocfl.Object().validate(
        objdir=str(objdir), log_warnings=True, check_digests=True
    )
    assert passed, validator.status_str()
    return list(validator.log.messages)


def _manifest_digests(bag: Path, algorithm: str) -> dict[str, str]:
    out = {}
    for name in (f"manifest-{algorithm}.txt", f"tagmanifest-{algorithm}.txt"):
        for line in (bag / name).read_text().splitlines():
            digest, path = line.split(maxsplit=1)
            out[unquote(path)] = digest  # bagit-python writes "%" as "%25"
    return out


def test_object_has_user_address_and_fixity_and_no_validator_warnings(
    tmp_path: Path, deposit_env: Path
) -> None:
    """The user's address comes from Contact-Email, the fixity block from the bag's md5 and
    sha256 manifests; ocfl-py's validator gives no warning, for v1 and for v2."""
    root = tmp_path / "root"
    info = {"External_Identifier": "urn:bagsmith:fix", "Contact_Name": "Ann Archivist"}
    bag = sample_bag(tmp_path, Contact_Email="ann@example.org", **info)
    result = deposit_bag(bag, f"ocfl://{root}")
    assert not [d for d in result.details if "OCFL validator" in d or "W008" in d]
    objdir = _object_dir(root, "urn:bagsmith:fix")
    assert _warnings(objdir) == []
    inv = json.loads((objdir / "inventory.json").read_text())
    assert inv["versions"]["v1"]["user"] == {
        "name": "Ann Archivist",
        "address": "mailto:ann@example.org",
    }
    # content paths are ocfl-py's URI-normalised ones ("photo%201%25.jpg")
    content = {
        logical: inv["manifest"][d][0]
        for d, paths in inv["versions"]["v1"]["state"].items()
        for logical in paths
    }
    for alg in ("md5", "sha256"):
        listed = {p: d for d, paths in inv["fixity"][alg].items() for p in paths}
        expected = {content[p]: d for p, d in _manifest_digests(bag, alg).items()}
        assert {p: listed[p] for p in expected} == expected
    # the version folder holds the same inventory as the object root, sidecar included
    assert (objdir / "v1" / "inventory.json").read_bytes() == (
        objdir / "inventory.json"
    ).read_bytes()
    sidecar = (objdir / "inventory.json.sha512").read_text().split()
    assert sidecar == [
        hashlib.sha512((objdir / "inventory.json").read_bytes()).hexdigest(),
        "inventory.json",
    ]

    later = sample_bag(tmp_path / "later", variant="two", Contact_Email="ann@example.org", **info)
    second = deposit_bag(later, f"ocfl://{root}")
    assert second.identifiers["ocfl-version"] == "v2" and _warnings(objdir) == []
    inv = json.loads((objdir / "inventory.json").read_text())
    sha256 = {p: d for d, paths in inv["fixity"]["sha256"].items() for p in paths}
    # every content path has its sha256; the unchanged photo is v1's, the changed text v2's
    assert set(sha256) == {p for paths in inv["manifest"].values() for p in paths}
    assert (
        sha256["v2/content/data/article.txt"]
        == _manifest_digests(later, "sha256")["data/article.txt"]
    )
    # v1's own inventory (a hard link shared with the published object) is unchanged
    assert json.loads((objdir / "v1" / "inventory.json").read_text())["head"] == "v1"


def test_fixity_is_checked_by_the_object_validator(tmp_path: Path, deposit_env: Path) -> None:
    """A wrong digest in the fixity block is an invalid object (E093a), so the fixity block
    is checked against the content, not just written."""
    root = tmp_path / "root"
    bag = sample_bag(tmp_path, External_Identifier="urn:x:fx", Contact_Email="a@example.org")
    deposit_bag(bag, f"ocfl://{root}")
    objdir = _object_dir(root, "urn:x:fx")
    inv = json.loads((objdir / "inventory.json").read_text())
    block = inv["fixity"]["md5"]
    digest = next(iter(block))
    block["0" * 32] = block.pop(digest)
    text = json.dumps(inv, sort_keys=True, indent=2)
    (objdir / "inventory.json").write_text(text)
    (objdir / "inventory.json.sha512").write_text(
        hashlib.sha512(text.encode()).hexdigest() + " inventory.json\n"
    )
    with pytest.raises(DepositError, match="E093") as err:
        OcflTarget.validate_object(objdir)
    assert reason_of(err.value) == "checksum-mismatch"


def test_without_an_address_the_deposit_says_so(tmp_path: Path, deposit_env: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[targets.o]\nurl = "ocfl://{tmp_path / "r"}"\nuser_name = "Reading Room"\n')
    result = deposit_bag(sample_bag(tmp_path), "o", config=cfg, object_id="x")
    assert any("W008" in d for d in result.details)  # the user has no address
    assert any("OCFL validator: [W005]" in d for d in result.details)  # "x" is not a URI
    objdir = _object_dir(tmp_path / "r", "x")
    user = json.loads((objdir / "inventory.json").read_text())["versions"]["v1"]["user"]
    assert user == {"name": "Reading Room"}
    cfg.write_text(cfg.read_text() + 'user_address = "mailto:room@example.org"\n')
    result = deposit_bag(sample_bag(tmp_path, "b2"), "o", config=cfg, object_id="urn:y")
    inv = json.loads((_object_dir(tmp_path / "r", "urn:y") / "inventory.json").read_text())
    assert inv["versions"]["v1"]["user"] == {
        "name": "Reading Room",
        "address": "mailto:room@example.org",
    }
    assert not [d for d in result.details if "W0" in d]
