"""Use cases: create a bag from source files and folders; update an existing bag.

``create_bag`` never writes to the sources and never leaves a half-written DEST: the bag is
built in a staging folder beside DEST and renamed into place when complete (see
:mod:`bagsmith.bagit.staging`). With a BagIt profile (``BagOptions.profile``) the bag-info tags,
algorithms and serialisation are checked against it before anything is hashed (every problem at
once), the profile's defaults are filled in, and the staged bag is checked against it again
before it is moved into place. Both functions take a ``progress`` factory with the signature
of the CLI's ``Output.progress(description, total)`` context manager.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__, fixity
from ..bagit import destination
from ..bagit.payload import (
    EmptyDirs,
    Hidden,
    OsFiles,
    PayloadPlan,
    PayloadPolicy,
    SourceFile,
    Symlinks,
    scan_sources,
)
from ..bagit.serialize import ArchiveFormat
from ..bagit.tagfiles import checked_tag
from ..bagit.update import regenerate_tag_files
from ..bagit.writer import (
    PayloadTotals,
    bag_info_tags,
    bagging_date,
    check_tag_files,
    check_user_tags,
    copy_payload,
    source_date_epoch,
    write_tag_files,
)
from ..errors import DestinationError, Interrupted, UsageError
from ..problems import Problem
from . import activity, writing
from .progress import ProgressFactory, step, tell_total

if TYPE_CHECKING:
    from ..bagit.profiles import Profile

# ArchiveFormat, PayloadPolicy and checked_tag are re-exported for the CLI, which imports
# only the pipeline (docs/architecture.md, layering).
__all__ = [
    "ArchiveFormat",
    "BagOptions",
    "BagResult",
    "PayloadPolicy",
    "UpdateOptions",
    "bag_software_agent",
    "checked_tag",
    "create_bag",
    "make_policy",
    "update_bag",
]


@dataclass(frozen=True)
class BagOptions:
    algorithms: tuple[str, ...] = fixity.DEFAULT_ALGORITHMS
    info: tuple[tuple[str, str], ...] = ()
    processes: int | None = None  # None: one per CPU
    policy: PayloadPolicy = field(default_factory=PayloadPolicy)
    serialize: ArchiveFormat | None = None
    profile: str | None = None  # NAME|PATH|identifier of a BagIt profile (--profile)
    tag_files: tuple[tuple[Path, str], ...] = ()  # (file, name in the bag) (--tag-file)
    #: Split the payload into several bags of at most this many bytes each (--max-size).
    max_size: int | None = None


@dataclass(frozen=True)
class UpdateOptions:
    algorithms: tuple[str, ...] | None = None  # None: the algorithms the bag already uses
    info: tuple[tuple[str, str], ...] = ()
    processes: int | None = None


@dataclass
class BagResult:
    path: str  # the bag folder, or the archive when serialised
    files: int
    bytes: int
    algorithms: list[str]
    payload_oxum: str
    warnings: list[Problem] = field(default_factory=list)
    serialized: str | None = None
    profile: str | None = None  # the identifier of the profile the bag was checked against
    #: a bag split by --max-size: every bag of the group, in order (``path`` is the first)
    parts: list[str] = field(default_factory=list)
    group: str | None = None  # its Bag-Group-Identifier

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "parts": self.parts,
            "group": self.group,
            "files": self.files,
            "bytes": self.bytes,
            "payload_oxum": self.payload_oxum,
            "algorithms": self.algorithms,
            "serialized": self.serialized,
            "profile": self.profile,
            "warnings": [w.to_dict() for w in self.warnings],
        }


@functools.cache  # the installed package's metadata: read once a process (~0.7 ms each time)
def bag_software_agent() -> str:
    """``Bag-Software-Agent``: name, version and the project's home page when it declares one."""
    from importlib import metadata  # here, not at the top: it costs 10-15 ms on every start

    try:
        urls = metadata.metadata("bagsmith").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        urls = []
    home = next((u.split(",", 1)[1].strip() for u in urls if "," in u), None)
    return f"bagsmith {__version__}" + (f" <{home}>" if home else "")


def make_policy(
    *, symlinks: str, empty_dirs: str, hidden: str, os_files: str, portable: bool
) -> PayloadPolicy:
    return PayloadPolicy(
        Symlinks(symlinks), EmptyDirs(empty_dirs), Hidden(hidden), OsFiles(os_files), portable
    )


def _processes(value: int | None) -> int:
    return fixity.checked_processes(value)


def _check_not_inside(sources: Sequence[Path], dest: Path) -> None:
    real_dest = os.path.realpath(dest)
    for src in sources:
        real_src = os.path.realpath(src)
        if real_dest == real_src or real_dest.startswith(real_src.rstrip(os.sep) + os.sep):
            raise DestinationError(
                "the destination is inside a source; the bag would include itself",
                path=dest,
                hint=f"write the bag outside {src}",
            )


_PROFILE_HINT = (
    "give bag-info tags with {info=LABEL=VALUE}; use the algorithms ({algorithms}) and "
    "serialisation ({serialize}) the profile asks for; or choose another {profile}"
)


def _load_profile(ref: str) -> Profile:
    from ..bagit.profiles import load_profile  # only with --profile: keeps `bag` quick to start

    return load_profile(ref)


def _tag_hint(_label: str) -> str:
    """`bag` reads no sidecar: only bag-info tags give tags."""
    return "; give it as a bag-info tag"


def _refuse(problems: Sequence[Problem], profile: Profile, when: str = "") -> None:
    writing.refuse(problems, profile, subject="bag", when=when, hint=_PROFILE_HINT)


def _profile_preflight(
    profile: Profile,
    info: Sequence[tuple[str, str]],
    algorithms: Sequence[str],
    plan: PayloadPlan,
    serialize: ArchiveFormat | None,
    extra_tag_files: Sequence[str] = (),
) -> tuple[list[Problem], list[tuple[str, str]]]:
    """Before hashing: every problem of the bag as it will be written; the tags to fill in."""
    payload = [f.relpath for f in plan.files]
    problems, defaults = writing.preflight(
        profile, info, algorithms, payload, serialize, extra_tag_files, hint=_tag_hint
    )
    _refuse(problems, profile)
    return problems, defaults


def _check_staged(stage: Path, profile: Profile, serialize: ArchiveFormat | None) -> list[Problem]:
    """The staged bag against the profile; refused (and so never moved into place) if it
    does not conform. Returns its warnings other than those reported before hashing."""
    problems = writing.staged_problems(stage, profile, serialize.value if serialize else None)
    _refuse(problems, profile, " once written")
    return [p for p in problems if p.code not in writing.TAG_CODES]


def create_bag(
    sources: Sequence[Path],
    dest: Path,
    options: BagOptions | None = None,
    *,
    progress: ProgressFactory | None = None,
) -> BagResult:
    """Bag ``sources`` at ``dest`` (or ``dest.zip`` etc. with ``options.serialize``)."""
    options = options or BagOptions()
    algorithms = fixity.parse_algorithms(options.algorithms)
    check_user_tags(options.info)
    check_tag_files(options.tag_files)
    _processes(options.processes)  # bad values refused before anything is read
    source_date_epoch()
    profile = _load_profile(options.profile) if options.profile else None
    sources = [Path(s) for s in sources]
    target = destination.resolve(Path(dest), options.serialize)
    _check_not_inside(sources, target.bag_dir)
    plan = scan_sources(sources, options.policy)
    warnings = list(plan.warnings)
    info = list(options.info)
    if profile is not None:  # all the profile's problems at once, before any hashing
        extra = [name for _, name in options.tag_files]
        problems, defaults = _profile_preflight(
            profile, info, algorithms, plan, options.serialize, extra
        )
        warnings += problems
        info += defaults
    if options.max_size is not None:
        parts = split_plan(plan, options.max_size, algorithms, options.tag_files, info)
        if len(parts) > 1:
            return _create_group(
                dest, options, parts, info, algorithms, profile, warnings, progress
            )

    totals = _write_bag(target, plan, info, algorithms, options, profile, warnings, progress)
    activity.problems(str(target.final), warnings)
    return BagResult(
        path=str(target.final),
        files=totals.files,
        bytes=totals.bytes,
        algorithms=list(algorithms),
        payload_oxum=totals.oxum,
        warnings=warnings,
        serialized=str(target.archive) if target.archive else None,
        profile=profile.identifier if profile else None,
    )


def _write_bag(
    target: destination.Target,
    plan: PayloadPlan,
    info: Sequence[tuple[str, str]],
    algorithms: tuple[str, ...],
    options: BagOptions,
    profile: Profile | None,
    warnings: list[Problem],
    progress: ProgressFactory | None,
) -> PayloadTotals:
    """Stage one bag from ``plan``, check it, and move it into place (``warnings`` grows)."""
    epoch = source_date_epoch()
    processes = _processes(options.processes)
    with writing.staging_run(
        target, warnings, subject="bag", interrupted="interrupted; the partial bag was removed"
    ) as run:
        stage = run.path
        with step(progress, "Copying and hashing", plan.total_bytes) as update:
            totals = copy_payload(stage, plan, algorithms, processes=processes, progress=update)
        tags = bag_info_tags(
            list(info), totals, day=bagging_date(epoch), agent=bag_software_agent()
        )
        write_tag_files(stage, algorithms, tags, epoch, options.tag_files)
        if profile is not None:
            seen = {(w.code, w.message) for w in warnings}
            staged = _check_staged(stage, profile, options.serialize)
            warnings += [w for w in staged if (w.code, w.message) not in seen]
        run.commit(epoch)
    activity.note(
        "bagged into %s: %d files, %d bytes, Payload-Oxum %s",
        target.final,
        totals.files,
        totals.bytes,
        totals.oxum,
    )
    activity.bag_files(target.final, "bagged")
    return totals


#: Room kept in every bag of a split for bagit.txt, the tag manifests and bag-info.txt's own
#: tags (Payload-Oxum, Bagging-Date …); the --info tags and --tag-file files are counted on
#: top of it, and each payload file's manifest lines with the file (:func:`_cost`).
TAG_RESERVE = 8 * 1024
#: Per payload file, besides its bytes: an archive's member header (tar: 512 bytes, with a
#: PAX header for long names another 1,024; zip's headers are smaller).
ARCHIVE_OVERHEAD = 1536


def _cost(relpath: str, size: int, algorithms: Sequence[str]) -> int:
    """What one payload file adds to a bag: its bytes, its manifest lines, archive headers."""
    name = len(relpath.encode("utf-8")) * 3  # percent-encoding at worst
    lines = sum(fixity.SUPPORTED[a] + 2 + name + 1 for a in algorithms)
    return size + lines + ARCHIVE_OVERHEAD


def split_plan(
    plan: PayloadPlan,
    max_size: int,
    algorithms: Sequence[str],
    tag_files: Sequence[tuple[Path, str]] = (),
    info: Sequence[tuple[str, str]] = (),
) -> list[PayloadPlan]:
    """The payload cut into consecutive parts (in path order) so that each bag, tag files
    and archive headers included, stays within ``max_size`` bytes; one part when it fits."""
    reserve = (
        TAG_RESERVE
        + sum(_file_size(p) + ARCHIVE_OVERHEAD for p, _ in tag_files)
        + sum(len(f"{k}: {v}\n".encode()) for k, v in info)
    )
    budget = max_size - reserve
    if budget <= 0:
        raise UsageError(
            f"{{max_size}} {max_size} leaves no room for a payload (each bag keeps "
            f"{reserve} bytes for its tag files)",
            parameter="max_size",
        )
    parts: list[PayloadPlan] = [PayloadPlan()]
    used = 0
    files = plan.files
    in_order = files if files.in_path_order() else sorted(files, key=lambda f: f.relpath)
    for f in in_order:
        cost = _cost(f.relpath, f.size, algorithms)
        if cost > budget:
            raise UsageError(
                f"data/{f.relpath} is {f.size} bytes: it cannot fit in a bag of at most "
                f"{max_size} bytes",
                parameter="max_size",
                hint="raise {max_size} above the largest file (a file is never split)",
            )
        if used + cost > budget and parts[-1].files:
            parts.append(PayloadPlan())
            used = 0
        parts[-1].files.append(f)
        used += cost
    # an empty folder goes with the first file below its parent, or with the first part. The
    # parts hold the files in path order, one run after another, so the files below a folder
    # are consecutive and the first of them is found by bisection (not a scan of every part's
    # files for each folder, which was quadratic)
    starts = list(itertools.accumulate((len(p.files) for p in parts[:-1]), initial=0))
    for d in plan.dirs:
        if "/" not in d.relpath:  # every file is below data/: the first part's first file
            parts[0].dirs.append(d)
            continue
        prefix = d.relpath.rsplit("/", 1)[0] + "/"
        first = bisect.bisect_left(in_order, prefix, key=_relpath)
        below = first < len(in_order) and in_order[first].relpath.startswith(prefix)
        parts[bisect.bisect_right(starts, first) - 1 if below else 0].dirs.append(d)
    parts[0].warnings = list(plan.warnings)
    return parts


def _relpath(f: SourceFile) -> str:
    return f.relpath


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _remove_final(target: destination.Target) -> None:
    """Remove a bag this run moved into place (a part of a group that could not be finished)."""
    import shutil

    if target.archive is not None:
        target.archive.unlink(missing_ok=True)
    elif target.dest.is_dir():
        shutil.rmtree(target.dest)


def part_name(dest: Path, number: int, count: int) -> Path:
    """``NAME.b001.of003``: a bag of a split group (the naming APTrust uses for multipart
    bags), beside ``dest``."""
    width = max(3, len(str(count)))
    return dest.with_name(f"{dest.name}.b{number:0{width}d}.of{count:0{width}d}")


def _create_group(
    dest: Path,
    options: BagOptions,
    parts: list[PayloadPlan],
    info: list[tuple[str, str]],
    algorithms: tuple[str, ...],
    profile: Profile | None,
    warnings: list[Problem],
    progress: ProgressFactory | None,
) -> BagResult:
    """Write the parts as bags of one group (Bag-Group-Identifier, Bag-Count ``k of N``),
    each complete and valid on its own; all of them, or none (a failure removes the parts
    already written)."""
    labels = {label.lower() for label, _ in info}
    if "bag-count" in labels:
        raise UsageError(
            "{max_size} writes Bag-Count itself; do not give it with {info}", parameter="info"
        )
    dest = Path(os.path.abspath(dest))
    group = next((v for k, v in info if k.lower() == "bag-group-identifier"), None)
    if group is None:
        group = next((v for k, v in info if k.lower() == "external-identifier"), dest.name)
        info = [*info, ("Bag-Group-Identifier", group)]
    count = len(parts)
    targets = [
        destination.resolve(part_name(dest, k, count), options.serialize)
        for k in range(1, count + 1)
    ]  # every name checked before anything is written
    done: list[destination.Target] = []
    totals: list[PayloadTotals] = []
    try:
        for k, (target, part) in enumerate(zip(targets, parts, strict=True), start=1):
            part_info = [*info, ("Bag-Count", f"{k} of {count}")]
            totals.append(
                _write_bag(
                    target, part, part_info, algorithms, options, profile, warnings, progress
                )
            )
            done.append(target)
    except BaseException:
        for target in done:
            _remove_final(target)
        raise
    files = sum(t.files for t in totals)
    octets = sum(t.bytes for t in totals)
    return BagResult(
        path=str(targets[0].final),
        files=files,
        bytes=octets,
        algorithms=list(algorithms),
        payload_oxum=f"{octets}.{files}",
        warnings=warnings,
        serialized=str(targets[0].archive) if targets[0].archive else None,
        profile=profile.identifier if profile else None,
        parts=[str(t.final) for t in targets],
        group=group,
    )


def update_bag(
    path: Path, options: UpdateOptions | None = None, *, progress: ProgressFactory | None = None
) -> BagResult:
    """Regenerate manifests, tag manifests, Payload-Oxum and Bag-Size; apply the bag-info
    tags of ``options``."""
    options = options or UpdateOptions()
    algorithms = fixity.parse_algorithms(options.algorithms) if options.algorithms else None
    processes = _processes(options.processes)
    path = Path(path)
    try:
        with step(progress, "Hashing", None) as update:
            summary = regenerate_tag_files(
                path,
                algorithms=algorithms,
                info=options.info,
                processes=processes,
                progress=update,
                on_total=lambda total: tell_total(update, total),
            )
    except KeyboardInterrupt:
        raise Interrupted(
            "interrupted; the bag's tag files were left as they were", path=path
        ) from None
    activity.note(
        "updated %s: %d files, %d bytes", path, summary.totals.files, summary.totals.bytes
    )
    activity.problems(str(path), summary.warnings)
    activity.bag_files(path, "listed")
    return BagResult(
        path=str(path),
        files=summary.totals.files,
        bytes=summary.totals.bytes,
        algorithms=list(summary.algorithms),
        payload_oxum=summary.totals.oxum,
        warnings=summary.warnings,
    )
