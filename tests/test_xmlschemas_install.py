"""Installing the official XSDs: from a folder, from HTTP (good, garbage, timeout), status."""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bagsmith import xmlschemas
from bagsmith.cli import main
from bagsmith.errors import SchemaCacheError
from bagsmith.pipeline.describing import install_schemas, schema_status
from bagsmith.xmlschemas import cache
from bagsmith.xmlschemas.cache import INDEX_FILE, cache_dir

EXPECTED_FILES = {s.file for s in xmlschemas.official_schemas()}


def _serve(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def schema_server(shared_schemas: Path) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 serving ../shared/schemas (the cache layout)."""
    yield from _serve(functools.partial(_Quiet, directory=str(shared_schemas)))  # type: ignore[arg-type]


class _Garbage(http.server.BaseHTTPRequestHandler):
    body = b"<html><body>Service temporarily unavailable</body></html>"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _no_leftovers(target: Path) -> None:
    leftovers = [
        p.name for p in target.parent.iterdir() if ".staging-" in p.name or ".old-" in p.name
    ]
    assert leftovers == []


def test_install_from_folder_records_sha256_and_status(
    shared_schemas: Path, tmp_path: Path
) -> None:
    target = tmp_path / "cache"
    result = xmlschemas.install(xmlschemas.from_folder(shared_schemas), target)
    assert {f.file for f in result.files} >= EXPECTED_FILES
    index = json.loads((target / INDEX_FILE).read_text())
    sources = (shared_schemas / "SOURCES.txt").read_text()
    for file in EXPECTED_FILES:
        # the sha256 recorded is that of the file as published in ../shared/schemas/SOURCES.txt
        assert f"{index['files'][file]['sha256']}  {file}" in sources
    state = xmlschemas.status(target)
    assert state.complete
    assert (target / "catalog.xml").is_file() and (target / "bagsmith" / "driver.xsd").is_file()
    _no_leftovers(target)


def test_status_sees_a_change_after_it_hashed_the_file(
    shared_schemas: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """status() remembers each file's hash under its inode, size and times: a file rewritten
    with the same size, its modification time set back, is still hashed again (its change
    time moved), and so is a file replaced by another."""
    monkeypatch.setattr(cache, "_SETTLED_NS", 0)  # remember even files written just now
    target = tmp_path / "cache"
    xmlschemas.install(xmlschemas.from_folder(shared_schemas), target)
    assert xmlschemas.status(target).complete  # hashed and remembered
    assert any(key.startswith(str(target)) for key in cache._HASHED)
    xmlschemas.validator(target)
    schema = target / "mix" / "mix20.xsd"
    before = schema.stat()
    data = schema.read_bytes()
    schema.write_bytes(data.replace(b"a", b"b", 1))  # same size, other bytes
    os.utime(schema, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert schema.stat().st_size == before.st_size
    by_file = {f.file: f for f in xmlschemas.status(target).files}
    assert not by_file["mix/mix20.xsd"].matches
    with pytest.raises(SchemaCacheError, match=re.escape("mix/mix20.xsd")):
        xmlschemas.validator(target)
    replacement = target / "mix" / "new.xsd"
    replacement.write_bytes(data)
    replacement.replace(schema)  # the installed bytes again, in another file
    assert xmlschemas.status(target).complete


def test_status_detects_changed_and_missing_files(shared_schemas: Path, tmp_path: Path) -> None:
    target = tmp_path / "cache"
    xmlschemas.install(xmlschemas.from_folder(shared_schemas), target)
    (target / "mix" / "mix20.xsd").write_text("<changed/>")
    (target / "premis" / "premis.xsd").unlink()
    state = xmlschemas.status(target)
    by_file = {f.file: f for f in state.files}
    assert not state.complete
    assert by_file["mix/mix20.xsd"].installed and not by_file["mix/mix20.xsd"].matches
    assert not by_file["premis/premis.xsd"].installed
    with pytest.raises(SchemaCacheError, match=re.escape("premis/premis.xsd")) as info:
        xmlschemas.validator(target)
    assert "schemas install" in (info.value.hint or "")


def test_missing_cache_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAGSMITH_SCHEMA_DIR", str(tmp_path / "nothing-here"))
    with pytest.raises(SchemaCacheError) as info:
        xmlschemas.validator()
    assert "not installed" in info.value.message
    assert "bagsmith schemas install" in (info.value.hint or "")
    assert "copies them from a local folder" in (info.value.hint or "")


def test_cache_location_follows_xdg_and_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BAGSMITH_SCHEMA_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "bagsmith" / "schemas"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".local" / "share" / "bagsmith" / "schemas"
    monkeypatch.setenv("BAGSMITH_SCHEMA_DIR", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"


def test_install_over_http(schema_server: str, tmp_path: Path) -> None:
    target = tmp_path / "cache"
    result = install_schemas(base_url=schema_server, directory=target, timeout=10)
    assert all(f.source.startswith(schema_server) for f in result.files if f.file in EXPECTED_FILES)
    assert schema_status(target).complete
    xmlschemas.validator(target)  # the downloaded set compiles


def test_install_rejects_garbage_and_keeps_the_old_cache(
    shared_schemas: Path, tmp_path: Path
) -> None:
    target = tmp_path / "cache"
    xmlschemas.install(xmlschemas.from_folder(shared_schemas), target)
    before = (target / INDEX_FILE).read_bytes()
    for url in _serve(_Garbage):
        with pytest.raises(SchemaCacheError, match=re.escape("not an XSD for xml/xml.xsd")):
            install_schemas(base_url=url, directory=target, timeout=10)
    assert (target / INDEX_FILE).read_bytes() == before
    assert xmlschemas.status(target).complete
    _no_leftovers(target)


def test_install_rejects_a_wrong_target_namespace(shared_schemas: Path, tmp_path: Path) -> None:
    mets = (shared_schemas / "mets" / "mets.xsd").read_bytes()

    class WrongSchema(_Garbage):
        body = mets

    target = tmp_path / "fresh"
    for url in _serve(WrongSchema):
        with pytest.raises(
            SchemaCacheError, match=re.escape("targetNamespace is 'http://www.loc.gov/METS/'")
        ):
            install_schemas(base_url=url, directory=target, timeout=10)
    assert not target.exists()
    _no_leftovers(target)


def test_install_times_out_cleanly(tmp_path: Path) -> None:
    silent = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections (kernel backlog) and never answers
    try:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        target = tmp_path / "cache"
        with pytest.raises(SchemaCacheError, match=r"no answer within 0.3 s"):
            install_schemas(base_url=url, directory=target, timeout=0.3)
    finally:
        silent.close()
    assert not target.exists()
    _no_leftovers(target)


def test_install_reports_http_errors(shared_schemas: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty-mirror"
    empty.mkdir()
    for url in _serve(functools.partial(_Quiet, directory=str(empty))):  # type: ignore[arg-type]
        with pytest.raises(SchemaCacheError, match="HTTP 404"):
            install_schemas(base_url=url, directory=tmp_path / "cache", timeout=10)


def test_cli_install_and_status(shared_schemas: Path, tmp_path: Path) -> None:
    env = {"BAGSMITH_SCHEMA_DIR": str(tmp_path / "cache")}
    runner = CliRunner()
    missing = runner.invoke(main, ["schemas", "status"], env=env)
    assert missing.exit_code == 1 and "missing" in missing.output
    done = runner.invoke(
        main, ["schemas", "install", "--from", str(shared_schemas), "--json"], env=env
    )
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["directory"] == str(tmp_path / "cache")
    state = runner.invoke(main, ["schemas", "status", "--json"], env=env)
    assert state.exit_code == 0 and json.loads(state.output)["complete"] is True
    bad = runner.invoke(main, ["schemas", "install", "--from", str(tmp_path / "absent")], env=env)
    assert bad.exit_code == 2 and "is not a folder" in bad.output
