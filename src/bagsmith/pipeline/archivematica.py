"""The deposit-time Archivematica variant of a bag: ``data/metadata/metadata.csv`` and
``rights.csv`` added, so an article's descriptions survive Archivematica's ingest.

Archivematica reads a transfer's ``metadata/metadata.csv`` (a bag's ``data/metadata/``) as
Dublin Core per object: a ``filename`` column (``objects`` for the transfer,
``objects/PATH`` for a file, the bag's ``data/`` being the transfer's ``objects/``) and one
``dc.ELEMENT`` column per value (a column repeats for a repeated element). It reads
``rights.csv`` (columns :data:`RIGHTS_COLUMNS`) as PREMIS rights per file.

The source bag is **never changed**: :func:`archivematica_variant` makes a copy in a folder
the caller owns (files hard-linked where possible; nothing in the copy is ever written in
place, so a linked file is never touched), adds the two files, lists them in the METS fileSec
(as every payload file of a bagsmith bag is) and regenerates the manifests,
tag manifests and Payload-Oxum with the BagIt engine's update (new tag files renamed into
place). The same bag always gives the same variant (bytes for bytes), so an identical
re-deposit is still recognised.

The descriptions come from the bag's METS (its Dublin Core ``dmdSec``: the article's for the
transfer, each figure's for its image file, found by its ``dc:identifier``), else from
``data/metadata/dc.xml`` (the transfer only).
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import posixpath
import shutil
from collections.abc import Iterable
from pathlib import Path

from ..errors import BagError
from ..xmlschemas import parse_untrusted
from .bagging import update_bag
from .validation import METS_NAMES, METS_PLACES

#: metadata.csv columns as Archivematica documents them (Dublin Core, simple), in this order.
DC_ELEMENTS = (
    "title",
    "creator",
    "subject",
    "description",
    "publisher",
    "contributor",
    "date",
    "type",
    "format",
    "identifier",
    "source",
    "relation",
    "language",
    "coverage",
    "rights",
)
#: rights.csv columns as Archivematica documents them.
RIGHTS_COLUMNS = (
    "file",
    "basis",
    "status",
    "determination_date",
    "jurisdiction",
    "start_date",
    "end_date",
    "note",
    "grant_act",
    "grant_restriction",
    "grant_start_date",
    "grant_end_date",
    "grant_note",
    "doc_id_type",
    "doc_id_value",
    "doc_id_role",
)
METADATA_CSV = "data/metadata/metadata.csv"
RIGHTS_CSV = "data/metadata/rights.csv"
SYSTEMS = ("archivematica",)
_DC = "{http://purl.org/dc/elements/1.1/}"
_OAI_DC = "{http://www.openarchives.org/OAI/2.0/oai_dc/}dc"
_METS = "{http://www.loc.gov/METS/}"
_XLINK = "{http://www.w3.org/1999/xlink}"
TRANSFER = "objects"

Description = tuple[str, dict[str, list[str]]]  # (Archivematica filename, element → values)


def archivematica_variant(bag: Path, into: Path) -> Path:
    """A copy of the (valid) bag folder ``bag`` in ``into`` with metadata.csv and rights.csv;
    :class:`BagError` when the bag carries no Dublin Core to write, or has them already."""
    for rel in (METADATA_CSV, RIGHTS_CSV):
        if (bag / rel).exists():
            raise BagError(
                f"the bag already has {rel}; {{for_system=archivematica}} would replace it",
                path=bag / rel,
                hint="deposit the bag as it is (without {for_system=archivematica})",
            )
    descriptions = describe(bag)
    if not descriptions:
        raise BagError(
            "the bag has no Dublin Core to give Archivematica (data/metadata/mets.xml with "
            "DC dmdSecs, or data/metadata/dc.xml)",
            path=bag,
            hint="package the article first, or deposit without {for_system}",
        )
    copy = into / bag.name
    if copy.exists() or copy.is_symlink():
        raise ValueError(f"{copy} exists: the variant needs a new folder")
    _link_tree(bag, copy)
    (copy / "data" / "metadata").mkdir(parents=True, exist_ok=True)
    (copy / METADATA_CSV).write_bytes(metadata_csv(descriptions))
    (copy / RIGHTS_CSV).write_bytes(rights_csv(descriptions))
    mets = find_mets(copy)
    if mets is not None:
        list_in_mets(mets, copy, (METADATA_CSV, RIGHTS_CSV))
    update_bag(copy)
    return copy


def list_in_mets(mets: Path, bag: Path, added: Iterable[str]) -> None:
    """Add the new files to the METS fileSec (group ``metadata``), with size and SHA-256,
    as every payload file of a bagsmith bag is listed there. The METS is written as a new
    file and renamed over the copy's (never written through a link to the source)."""
    from lxml import etree

    tree = parse_untrusted(mets, mets.name).tree
    if tree is None:
        raise BagError("cannot read the METS to list the new files in it", path=mets)
    root = tree.getroot() if hasattr(tree, "getroot") else tree
    filesec = root.find(f"{_METS}fileSec")
    if filesec is None:
        filesec = etree.SubElement(root, f"{_METS}fileSec")
    group = next((g for g in filesec.iter(f"{_METS}fileGrp") if g.get("USE") == "metadata"), None)
    if group is None:
        group = etree.SubElement(filesec, f"{_METS}fileGrp", ID="grp-metadata", USE="metadata")
    where = mets.parent.relative_to(bag).as_posix()
    for rel in added:
        href = rel if where == "." else posixpath.relpath(rel, where)  # as the METS's own
        data = (bag / rel).read_bytes()
        entry = etree.SubElement(
            group,
            f"{_METS}file",
            ID="file-archivematica-" + rel.rsplit("/", 1)[-1].replace(".", "-"),
            MIMETYPE="text/csv",
            SIZE=str(len(data)),
            CHECKSUM=hashlib.sha256(data).hexdigest(),
            CHECKSUMTYPE="SHA-256",
        )
        etree.SubElement(
            entry,
            f"{_METS}FLocat",
            {
                "LOCTYPE": "OTHER",
                "OTHERLOCTYPE": "SYSTEM",
                f"{_XLINK}href": href,
                f"{_XLINK}type": "simple",
            },
        )
    etree.indent(group, space="  ", level=2)
    tmp = mets.with_name(f".{mets.name}.bagsmith-new")
    tmp.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8") + b"\n")
    os.replace(tmp, mets)


def find_mets(bag: Path) -> Path | None:
    """The bag's METS, where validation looks for it (:data:`.validation.METS_PLACES`)."""
    for folder in METS_PLACES:
        for name in METS_NAMES:
            if (bag / (folder + name)).is_file():
                return bag / (folder + name)
    return None


def describe(bag: Path) -> list[Description]:
    """Dublin Core per object: the transfer first, then files in path order."""
    payload = bag / "data"
    mets = find_mets(bag)
    if mets is not None:
        found = _from_mets(mets, payload)
        if found:
            return found
    dc = payload / "metadata" / "dc.xml"
    if dc.is_file():
        tree = parse_untrusted(dc, "data/metadata/dc.xml").tree
        if tree is not None:
            record = next(tree.iter(_OAI_DC), None)
            values = _values(record) if record is not None else {}
            if values:
                return [(TRANSFER, values)]
    return []


def _from_mets(mets: Path, payload: Path) -> list[Description]:
    tree = parse_untrusted(mets, mets.name).tree
    if tree is None:
        return []
    transfer: dict[str, list[str]] | None = None
    files: dict[str, dict[str, list[str]]] = {}
    for dmd in tree.iter(f"{_METS}dmdSec"):
        record = next(dmd.iter(_OAI_DC), None)
        if record is None:
            continue
        values = _values(record)
        target = _payload_file(values.get("identifier", []), payload)
        if target is not None:
            files.setdefault(f"{TRANSFER}/{target}", values)
        elif transfer is None:
            transfer = values  # the article: the first description of no single file
    out: list[Description] = [(TRANSFER, transfer)] if transfer else []
    return out + sorted(files.items())


def _payload_file(identifiers: Iterable[str], payload: Path) -> str | None:
    """The payload path (below ``data/``) a description names by its dc:identifier."""
    for ident in identifiers:
        if ident.startswith("data/") and ".." not in ident.split("/"):
            rel = ident[len("data/") :]
            if rel and (payload / rel).is_file():
                return rel
    return None


def _values(record: object) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for child in record:  # type: ignore[attr-defined]
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag.startswith(_DC) and (child.text or "").strip():
            values.setdefault(tag[len(_DC) :], []).append(" ".join(child.text.split()))
    return {k: v for k, v in values.items() if k in DC_ELEMENTS}


def metadata_csv(descriptions: list[Description]) -> bytes:
    """metadata.csv: ``filename`` and one ``dc.ELEMENT`` column per value (repeated)."""
    widths = {el: max(len(v.get(el, [])) for _f, v in descriptions) for el in DC_ELEMENTS}
    header = ["filename"] + [f"dc.{el}" for el in DC_ELEMENTS for _ in range(widths[el])]
    rows = [header]
    for filename, values in descriptions:
        row = [filename]
        for el in DC_ELEMENTS:
            got = values.get(el, [])
            row += got + [""] * (widths[el] - len(got))
        rows.append(row)
    return _csv(rows)


def rights_csv(descriptions: list[Description]) -> bytes:
    """rights.csv: a copyright statement for every file that has one (its own dc:rights,
    else the article's); the status is ``copyrighted`` when the statement says so (©,
    "copyright"), else ``unknown``. Archivematica applies rights to files, not the transfer."""
    article = next((v for f, v in descriptions if f == TRANSFER), {})
    rows = [list(RIGHTS_COLUMNS)]
    for filename, values in descriptions:
        if filename == TRANSFER:
            continue
        statements = values.get("rights") or article.get("rights") or []
        for note in statements:
            lowered = note.lower()
            status = "copyrighted" if "©" in note or "copyright" in lowered else "unknown"
            row = dict.fromkeys(RIGHTS_COLUMNS, "")
            row.update(file=filename, basis="copyright", status=status, note=note)
            rows.append([row[c] for c in RIGHTS_COLUMNS])
    return _csv(rows)


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def _link_tree(src: Path, dest: Path) -> None:
    """Copy a bag folder, hard-linking files where the file system allows (the copy's files
    are only ever replaced by rename, never written in place)."""
    for dirpath, _dirs, names in os.walk(src):
        rel = Path(dirpath).relative_to(src)
        (dest / rel).mkdir(parents=True, exist_ok=True)
        for name in names:
            source, target = Path(dirpath) / name, dest / rel / name
            try:
                os.link(source, target)
            except OSError:
                shutil.copy2(source, target)
