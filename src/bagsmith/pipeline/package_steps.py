"""Steps of ``package`` that work on the staging folder: manifests, metadata files, checks.

Everything here writes only inside the staging folder that :mod:`.packaging` created.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from ..bagit.payload import PayloadPlan
from ..bagit.profiles import Profile
from ..bagit.validate import BagValidation, Mode, validate_bag
from ..bagit.writer import Digests
from ..errors import BagError, InputError
from ..ingest.formats import identify_all
from ..metadata.checks import MetsFacts
from ..metadata.mets import PackageEvent
from ..model import ImageInfo, PackageFile
from ..problems import Problem, Severity
from ..xmlschemas import Proof
from . import writing
from .describing import check_metadata_file
from .layout import DC_PATH, METS_PATH, Layout, mime_type
from .profiling import (
    info_hint,
)


def identify_formats(
    root: Path, files: Sequence[PackageFile]
) -> tuple[list[PackageFile], list[Problem]]:
    """Every staged file identified against PRONOM (fido); files whose contents disagree with
    their extension are reported."""
    formats, problems = identify_all((pf.path, root / pf.path, pf.mime_type) for pf in files)
    return [dataclasses.replace(pf, format=formats[pf.path]) for pf in files], problems


def check_unchanged(
    images: Mapping[str, ImageInfo], digests: Digests, sources: Mapping[str, str]
) -> None:
    """Images must be the bytes that were characterised: a file changed between reading and
    copying would make METS, MIX and the record describe another file."""
    for path, info in images.items():
        copied = digests.get(path, {}).get("sha256")
        if copied is not None and copied != info.sha256:
            raise InputError(
                "the file changed while it was being packaged; nothing was written",
                path=sources.get(path, path),
                hint="run again once nothing is writing to the source files",
            )


#: agents of the events bagsmith records for a package (the keys of metadata.mets.package_agents)
PACKAGE_AGENTS = ("software", "organization", "archivist")


def fixity_events(
    images: Mapping[str, ImageInfo], digests: Digests, when: str
) -> list[PackageEvent]:
    """A fixity check for each image whose copy was compared (check_unchanged, just done) with
    the SHA-256 taken when its source was characterised: the copy is the file ingest read."""
    checked = frozenset(
        p for p, i in images.items() if digests.get(p, {}).get("sha256") == i.sha256
    )
    if not checked:
        return []
    return [
        PackageEvent(
            "fixity check",
            when,
            "SHA-256 of the copy in the package (computed while copying) compared with the "
            "SHA-256 computed when the source image was read and characterised",
            "pass",
            "the digests are equal",
            checked,
            PACKAGE_AGENTS,
        )
    ]


def creation_event(when: str, algorithms: Sequence[str]) -> PackageEvent:
    """The bag's creation, an event on every file of the package."""
    return PackageEvent(
        "information package creation",
        when,
        "BagIt 1.0 bag assembled by bagsmith in a staging folder (payload manifests "
        + ", ".join(algorithms)
        + "); validated in full (every digest re-read, profile, METS and DC) before it was "
        "moved into place",
        "success",
        None,
        None,
        PACKAGE_AGENTS,
    )


def package_files(
    plan: PayloadPlan,
    digests: Digests,
    layout: Layout,
    images: Mapping[str, ImageInfo],
) -> list[PackageFile]:
    """METS file entries for the copied sources (article, page folder, images, sidecar)."""
    files = []
    for f in plan.files:
        info = images.get(f.relpath)
        use = layout.use_of(f.relpath)
        files.append(
            PackageFile(
                path=f.relpath,
                size=f.size,
                digests=dict(digests.get(f.relpath, {})),
                use=use,
                mime_type=(info.mime_type if info else None) or mime_type(f.relpath),
                image=info,
                original_name=os.path.basename(f.source) if f.source else None,
            )
        )
    return files


def write_generated(
    root: Path,
    items: Sequence[tuple[str, bytes, str, str]],
    algorithms: Sequence[str],
    digests: Digests,
    mtime: int | None,
    known: Mapping[str, Mapping[str, str]] | None = None,
) -> list[PackageFile]:
    """Write generated files ``(bag path, bytes, use, MIME type)`` into the staging folder,
    recording their digests in ``digests``; returns their METS file entries. ``known`` (bag
    path → algorithm → hex): digests the caller took of these very bytes (dc.xml's and the
    METS's, when they were built), not taken again; the full check of the staged bag re-reads
    every file against the manifests."""
    out = []
    for relpath, data, use, mime in items:
        target = root / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "xb") as fh:
            fh.write(data)
        if mtime is not None:
            os.utime(target, (mtime, mtime))
        taken = (known or {}).get(relpath, {})
        digests[relpath] = {
            alg: taken.get(alg) or hashlib.new(alg, data).hexdigest() for alg in algorithms
        }
        out.append(PackageFile(relpath, len(data), dict(digests[relpath]), use, mime))
    return out


def package_info_hint(label: str) -> str:
    """Only External-Description and External-Identifier come from the article (and so can be
    corrected in the sidecar); the archive's own tags are given as bag-info tags."""
    if label.lower() in {"external-description", "external-identifier"}:
        return info_hint(label)
    return "; give it as a bag-info tag (LABEL=VALUE), one by one or in a bag-info file"


def refuse_profile(problems: list[Problem], profile: Profile) -> None:
    """ProfileError (carrying the problems) when the package would not conform."""
    writing.refuse(
        problems,
        profile,
        subject="package",
        hint="give bag-info tags with {info=LABEL=VALUE} (the article's facts can be "
        "corrected in the sidecar); use the algorithms ({algorithms}) and serialisation "
        "({serialize}) the profile asks for; or choose another {profile}",
    )


def validate_staged(
    root: Path,
    *,
    profile: Profile | None,
    serialization: str | None,
    digests: Digests,
    images: Mapping[str, ImageInfo],
    processes: int | None,
    schema_dir: Path | None,
    progress: Callable[[int, int], None] | None = None,
    proofs: Mapping[str, Proof | None] | None = None,
    mets_facts: MetsFacts | None = None,
) -> BagValidation:
    """BagIt (full: every file re-read, and hashed with one strong algorithm when it holds the
    bytes ``digests`` were taken from, ``vouched`` of :func:`validate_bag`), the profile, and
    dc.xml/mets.xml (schemas and METS semantics against the manifest digests) of the staged
    bag, in one result. ``proofs`` (bag
    path → :class:`~bagsmith.xmlschemas.Proof`): the metadata files whose bytes were validated
    against the schemas when they were built: not run through the XSD a second time when they
    are still those bytes (their SHA-256, as the full BagIt check found it against the
    manifests, or read again when that check found any error); nor, with ``mets_facts``
    (collected as the METS was validated), parsed again."""
    proofs = proofs or {}
    validation = validate_bag(
        root,
        mode=Mode.FULL,
        processes=processes,
        progress=progress,
        facts=profile is not None,
        vouched=digests,  # taken from the bytes written: each file re-hashed with one of them
    )
    if profile is not None:  # on the facts the validation gathered in its pass
        validation.report.extend(
            writing.staged_problems(root, profile, serialization, validation.facts)
        )
    validation.facts = validation.reader = None
    payload = set(digests)
    validation.report.extend(
        check_metadata_file(
            root / DC_PATH,
            DC_PATH,
            kind="dc",
            schema_dir=schema_dir,
            proof=proofs.get(DC_PATH),
            sha256=verified_sha256(validation, digests, DC_PATH),
        )
    )
    validation.report.extend(
        check_metadata_file(
            root / METS_PATH,
            METS_PATH,
            kind="mets",
            bag_files=payload,
            required=payload - {METS_PATH},
            digests=digests,
            image_sizes={path: (i.width, i.height) for path, i in images.items()},
            schema_dir=schema_dir,
            proof=proofs.get(METS_PATH),
            facts=mets_facts,
            sha256=verified_sha256(validation, digests, METS_PATH),
        )
    )
    return validation


def verified_sha256(validation: BagValidation, digests: Digests, path: str) -> str | None:
    """The SHA-256 of the staged file at ``path`` as the full BagIt check just found it: when
    that check (every payload file re-read against the manifests, which hold ``digests``)
    found no error at all, the file has the manifests' digest; else None (not known)."""
    if validation.mode is not Mode.FULL or not validation.report.valid:
        return None
    return digests.get(path, {}).get("sha256")


def fail_invalid(validation: BagValidation) -> None:
    errors = [p for p in validation.report if p.level is Severity.ERROR]
    if errors:
        raise BagError(
            f"the package did not validate ({writing.count(len(errors))}); nothing was "
            "written:\n" + writing.problems_text(errors),
            problems=errors,
        )
