"""The PREMIS events and agents of a METS are copies of one element per shape (issue 16):
the same bytes as building each one, fewer builds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bagsmith.metadata import mets
from bagsmith.model import Agent
from bagsmith.pipeline.describing import describe_article

from .metadata_helpers import example_article

CREATED = "2026-11-27T09:30:00Z"


def _mets(tmp_path: Path, name: str) -> bytes:
    article, files = example_article(tmp_path / name)
    events = (
        mets.PackageEvent("fixity check", CREATED, "compared", "pass", "equal", None, ()),
        mets.PackageEvent("capture", CREATED, "fetched", "success", None, None, ("software",)),
    )
    archivist = Agent("Erzsébet Nagy", "archivist", "person", email="en@example.org")
    return describe_article(
        article, files, created=CREATED, archivist=archivist, events=events, validate=False
    ).mets_xml


def test_copies_give_the_bytes_of_elements_built_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[str] = []
    real_event, real_agent = mets.event_element, mets.agent_element

    def counting_event(parent: Any, event: Any, agents: Any) -> Any:
        built.append(event.event_type)
        return real_event(parent, event, agents)

    def counting_agent(parent: Any, ref: Any) -> Any:
        built.append("agent")
        return real_agent(parent, ref)

    monkeypatch.setattr(mets, "event_element", counting_event)
    monkeypatch.setattr(mets, "agent_element", counting_agent)
    copied = _mets(tmp_path, "a")
    shapes = len(built)
    built.clear()
    monkeypatch.setattr(mets._Copies, "_copy", lambda *args: False)  # build every one
    one_by_one = _mets(tmp_path, "b")
    assert copied == one_by_one
    assert copied.count(b"<premis:event ") == len(built) - built.count("agent")
    assert shapes < len(built) / 2  # most events and agents were copies
