"""The PREMIS events and agents of a METS are built and serialised once per shape, and
written for each file with its own values (issue 16): the same bytes as building each one,
fewer builds; values escaped as lxml escapes them."""

from __future__ import annotations

import dataclasses
import posixpath
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from lxml import etree

from bagsmith.metadata import ids, mets
from bagsmith.model import Agent
from bagsmith.pipeline.describing import describe_article

from .metadata_helpers import example_article

CREATED = "2026-11-27T09:30:00Z"


#: values that lxml escapes or refuses to write as they are, in texts and attributes
AWKWARD = "A & B <c> \"d\" 'e' \r\n\tÉva ő 🙂 ]]> &amp;"


def _mets(
    tmp_path: Path,
    name: str,
    awkward: bool = False,
    archivist: str = "Erzsébet Nagy",
    rights: bool = False,
) -> bytes:
    article, files = example_article(tmp_path / name)
    when = CREATED
    if rights:  # a rightsMD (built for each file) in every amdSec, after the PREMIS object
        article = dataclasses.replace(
            article,
            rights_uri="http://rightsstatements.org/vocab/InC/1.0/",
            copyright_holder="Ada & <Co>",
        )
    if awkward:  # every value a shape has a placeholder for, with characters XML escapes
        image = files[1].image or article.figures[0].image
        assert image is not None
        odd = dataclasses.replace(image, exif={"Artist": AWKWARD, "Copyright": "<©>"})
        figure = dataclasses.replace(article.figures[0], image=odd)
        article = dataclasses.replace(article, figures=(figure, *article.figures[1:]))
        files[1] = dataclasses.replace(files[1], path='data/images/a&b <"é">\t\'.jpg')
        when = CREATED + " & <later>"
    events = (
        mets.PackageEvent("fixity check", when, "compared", "pass", "equal", None, ()),
        mets.PackageEvent("capture", when, "fetched", "success", None, None, ("software",)),
    )
    person = Agent(archivist, "archivist", "person", email="en@example.org")
    return describe_article(
        article, files, created=CREATED, archivist=person, events=events, validate=False
    ).mets_xml


def _build_every_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """No shape used: every event, agent and PREMIS object built and serialised by lxml."""
    monkeypatch.setattr(mets._Copies, "_copy", lambda *args, **kwargs: None)
    monkeypatch.setattr(mets._Copies, "amd", lambda *args, **kwargs: None)


@pytest.mark.parametrize(
    ("awkward", "rights"),
    [(False, False), (True, False), (True, True)],
    ids=["plain", "awkward-values", "rights"],
)
def test_copies_give_the_bytes_of_elements_built_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, awkward: bool, rights: bool
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
    whole: list[str | None] = []
    real_amd = mets._Copies.amd

    def counting_amd(self: Any, *args: Any) -> str | None:
        whole.append(real_amd(self, *args))
        return whole[-1]

    monkeypatch.setattr(mets._Copies, "amd", counting_amd)
    copied = _mets(tmp_path, "a", awkward, rights=rights)
    shapes = len(built)
    # a whole amdSec's shape is made the second time its parts are seen, then used
    again = [_mets(tmp_path, name, awkward, rights=rights) for name in ("a2", "a3")]
    assert sum(text is not None for text in whole) >= 2
    built.clear()
    _build_every_one(monkeypatch)
    one_by_one = _mets(tmp_path, "b", awkward, rights=rights)
    assert copied == one_by_one and again == [one_by_one] * 2
    assert (b"<mets:rightsMD " in copied) is rights
    if awkward:
        assert AWKWARD.encode() not in copied  # escaped (else the test proves nothing)
        assert f'CREATED="{CREATED}"'.encode() in copied
        assert f"{CREATED} &amp; &lt;later&gt;<".encode() in copied  # an event's time
    assert copied.count(b"<premis:event ") == len(built) - built.count("agent")
    assert shapes < len(built) / 2  # most events and agents were copies


@given(st.text(max_size=80), st.text(max_size=40))
def test_event_uuids_are_uuid5_of_path_and_event_type(path: str, event_type: str) -> None:
    expected = uuid.uuid5(ids.EVENT_NAMESPACE, f"{path}\0{event_type}")
    assert ids.event_uuid(path, event_type) == str(expected)


_PATH_PART = st.sampled_from(["data", "images", "a b", "é", ".", "..", "", "/", "mets.xml"])
_PATHS = st.lists(_PATH_PART, max_size=5).map("/".join)


@given(_PATHS, _PATHS)
@example("data/images/01.jpg", "data")
@example("data/../x.jpg", "data")
@example("", "data")
def test_relative_paths_are_those_of_relpath(path: str, base: str) -> None:
    """An href's relative path, taken without the working folder, is ``posixpath.relpath``'s
    from the working folder (and refused alike)."""
    try:
        expected = posixpath.relpath(path, base or ".")
    except ValueError:
        with pytest.raises(ValueError):
            mets.relative_path(path, base)
        return
    assert mets.relative_path(path, base) == expected


_XML_TEXT = st.one_of(
    st.text(st.characters(min_codepoint=0, max_codepoint=127), max_size=30),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=30),
)


@given(_XML_TEXT)
@example("data/images/01.jpg")
@example("a & b")
@example('say "cheese"')  # a quote alone: as it is in text, escaped in an attribute
@example("a > b")
@example("tab\there")
@example("line\nbreak")
@example("\x7f")
def test_values_are_escaped_as_lxml_writes_them(value: str) -> None:
    """What the shapes get in their placeholders: lxml's own text of the value, in element
    content and in an attribute; what lxml refuses (control characters) is refused alike."""
    holder = etree.Element("x")
    try:
        holder.text = value
    except ValueError:
        with pytest.raises(ValueError):
            mets._escaped(value, attribute=False)
        with pytest.raises(ValueError):
            mets._escaped(value, attribute=True)
        return
    assert etree.tostring(holder, encoding="unicode") == f"<x>{mets._escaped(value, False)}</x>"
    holder = etree.Element("x", a=value)
    assert etree.tostring(holder, encoding="unicode") == f'<x a="{mets._escaped(value, True)}"/>'


def test_shapes_kept_from_one_mets_to_the_next_follow_their_agents(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shapes of a METS are reused by the next one only for the same agents: an event
    links its agents by name, so another archivist is another shape."""
    _mets(tmp_path, "first")  # its shapes are kept
    kept = _mets(tmp_path, "second", archivist="Kovács Béla")
    assert "Kovács Béla".encode() in kept and "Erzsébet".encode() not in kept
    _build_every_one(monkeypatch)
    assert kept == _mets(tmp_path, "third", archivist="Kovács Béla")


def test_shapes_shared_by_threads_give_each_document_its_own_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kept shapes are shared by the threads of a process (the Python API may describe
    in threads), and forgotten when there are too many: each METS still gets its own."""
    names = [f"Archivist {n}" for n in range(4)]
    expected = {}
    with monkeypatch.context() as patch:
        _build_every_one(patch)
        for name in names:
            expected[name] = _mets(tmp_path, f"one-{name}", archivist=name)
    monkeypatch.setattr(mets._Copies, "_MAX_SHAPES", 3)  # forgotten again and again
    monkeypatch.setattr(mets._Copies, "_MAX_AMDS", 2)
    with ThreadPoolExecutor(4) as pool:
        made = list(
            pool.map(lambda n: (n, _mets(tmp_path, f"t{n[0]}-{n[1]}", archivist=n[1])),
                     [(i, name) for i in range(3) for name in names])
        )  # fmt: skip
    for (_, name), data in made:
        assert data == expected[name]
