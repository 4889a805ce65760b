"""Shared fixtures: paths to ../shared, temporary bag locations, the CLI runner."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests draw the same examples on every run (a property test that finds a new failure
# by chance would turn a clean clone red without any change); set BAGSMITH_HYPOTHESIS_EXPLORE=1
# to search with fresh random examples while working on a rule.
settings.register_profile("bagsmith", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", print_blob=True)
settings.load_profile("explore" if os.environ.get("BAGSMITH_HYPOTHESIS_EXPLORE") else "bagsmith")

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("BAGSMITH_SHARED", ROOT.parent / "shared"))
SEED = SHARED / "seeds" / "hungarian-revolution-1956.txt"
SHARED_SCHEMAS = SHARED / "schemas"


@pytest.fixture
def seed_article() -> Path:
    if not SEED.is_file():
        pytest.skip(f"the seed article is not available at {SEED} (../shared is absent)")
    return SEED


@pytest.fixture
def shared_schemas() -> Path:
    if not (SHARED_SCHEMAS / "catalog.xml").is_file():
        pytest.skip(f"the official schemas are not available at {SHARED_SCHEMAS}")
    return SHARED_SCHEMAS


# --- official XML schema cache (metadata / xmlschemas tests) ----------------------------------


@pytest.fixture(scope="session")
def schema_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A schema cache installed once per test session from ../shared/schemas (offline)."""
    if not (SHARED_SCHEMAS / "catalog.xml").is_file():
        pytest.skip(f"the official schemas are not available at {SHARED_SCHEMAS}")
    from bagsmith import xmlschemas

    directory = tmp_path_factory.mktemp("schema-cache") / "schemas"
    xmlschemas.install(xmlschemas.from_folder(SHARED_SCHEMAS), directory)
    return directory


@pytest.fixture
def schema_cache(schema_cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The session's schema cache, made the current one through BAGSMITH_SCHEMA_DIR."""
    monkeypatch.setenv("BAGSMITH_SCHEMA_DIR", str(schema_cache_dir))
    return schema_cache_dir


# --- the configuration file -----------------------------------------------------------------


@pytest.fixture(scope="session")
def _empty_config_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("config-home")


@pytest.fixture(autouse=True)
def _no_machine_configuration(_empty_config_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the configuration file of the machine it runs on (docs/configuration.md);
    a test that wants one sets BAGSMITH_CONFIG or XDG_CONFIG_HOME itself."""
    monkeypatch.delenv("BAGSMITH_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(_empty_config_home))


# --- the cache folder -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _session_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bagsmith-cache")


@pytest.fixture(autouse=True)
def _no_user_cache(_session_cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests (and the commands they run) keep rebuildable data such as the gazetteer index in
    a folder of the test session, not in the user's ~/.cache."""
    monkeypatch.setenv("BAGSMITH_CACHE_DIR", str(_session_cache_dir))


# --- CI: a test skipped for a missing tool is a failure -----------------------------------------
#: Set by .ci/run: scripts/test-setup.sh has installed every tool the tests use, so a test that
#: skips because one is "not installed" / "not available" means the set-up is broken; it must
#: not pass silently.
REQUIRE_TOOLS = os.environ.get("BAGSMITH_REQUIRE_TOOLS") == "1"
_MISSING_TOOL = ("not installed", "not available", "is missing")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if REQUIRE_TOOLS and report.skipped and isinstance(report.longrepr, tuple):
        reason = str(report.longrepr[2])
        if any(words in reason for words in _MISSING_TOOL):
            report.outcome = "failed"
            report.longrepr = f"skipped for a missing tool under BAGSMITH_REQUIRE_TOOLS=1: {reason}"
    return None
