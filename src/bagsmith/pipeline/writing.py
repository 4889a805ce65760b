"""What writing a new bag takes, whatever goes into it: the one implementation behind
``bag`` (:mod:`.bagging`) and ``package`` (:mod:`.packaging`).

* :func:`preflight`: the bag as it will be written, against its BagIt profile, before any
  hashing: every bag-info problem at once, the profile's other rules (manifests, tag files,
  payload files, serialisation), and the tags to fill in (the profile's defaults);
* :func:`staged_problems`: the staged bag against the profile, before it is moved into place;
* :func:`refuse`: a :class:`ProfileError` listing the errors, when there are any;
* :func:`staging_run`: the staging folder around the writing (leftovers of killed runs
  removed and reported, the folder removed whatever happens, an interrupt or an OS error
  said in the library's terms).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ..bagit import destination
from ..bagit.facts import BagFacts
from ..bagit.manifest import manifest_name
from ..bagit.serialize import ArchiveFormat
from ..errors import DestinationError, Interrupted, ProfileError
from ..problems import Problem, Severity

if TYPE_CHECKING:  # the profile modules are loaded only for a bag with a profile
    from ..bagit.profiles import Profile

#: bag-info problems, reported (with a hint) by the check before writing
TAG_CODES = frozenset(
    {
        "profile-tag-missing",
        "profile-tag-recommended-missing",
        "profile-tag-value-not-allowed",
        "profile-tag-not-repeatable",
    }
)


def preflight_facts(
    info: Sequence[tuple[str, str]],
    algorithms: Sequence[str],
    payload: Sequence[str],
    serialization: str | None,
    extra_tag_files: Sequence[str] = (),
) -> BagFacts:
    """What the bag will look like, for profile checks before anything is written
    (``extra_tag_files``: the names of the extra tag files)."""
    names = [manifest_name(a) for a in algorithms] + [manifest_name(a, True) for a in algorithms]
    automatic = [("Bagging-Date", "2000-01-01"), ("Payload-Oxum", "0.0"), ("Bag-Size", "0")]
    given = {label.lower() for label, _ in info}
    return BagFacts(
        bagit_version="1.0",
        info=tuple(info) + tuple(t for t in automatic if t[0].lower() not in given),
        payload_manifest_algorithms=frozenset(algorithms),
        tag_manifest_algorithms=frozenset(algorithms),
        tag_files=("bagit.txt", "bag-info.txt", *names, *extra_tag_files),
        payload_files=tuple(payload),
        serialization=serialization,
    )


def preflight(
    profile: Profile,
    info: Sequence[tuple[str, str]],
    algorithms: Sequence[str],
    payload: Sequence[str],
    serialize: ArchiveFormat | None,
    extra_tag_files: Sequence[str] = (),
    *,
    hint: Callable[[str], str] | None = None,
) -> tuple[list[Problem], list[tuple[str, str]]]:
    """Before hashing: the bag-info problems (``hint``: how the use case takes a tag, for
    its label; else :func:`.profiling.info_hint`) and the profile's other rules on the bag
    as it will be written; and the tags the profile fills in."""
    from ..bagit.profile_check import check_bag
    from .profiling import info_hint, required_info_problems

    check = required_info_problems(profile, info, hint=hint or info_hint)
    tags = list(check.problems)
    full = [*info, *check.defaults]
    serialization = serialize.value if serialize else None
    facts = preflight_facts(full, algorithms, payload, serialization, extra_tag_files)
    others = [p for p in check_bag(profile, facts) if p.code not in TAG_CODES]
    return [*tags, *others], list(check.defaults)


def staged_problems(
    root: Path, profile: Profile, serialization: str | None, facts: BagFacts | None = None
) -> list[Problem]:
    """The staged bag at ``root`` against ``profile`` (``facts``: what a validation of it has
    gathered already, else they are read from the folder)."""
    from ..bagit.facts import read_bag_facts
    from .profiling import check_bag_against_profile

    facts = dataclasses.replace(facts or read_bag_facts(root), serialization=serialization)
    return list(check_bag_against_profile(root, profile, facts=facts).problems)


def refuse(
    problems: Sequence[Problem], profile: Profile, *, subject: str, when: str = "", hint: str
) -> None:
    """A :class:`ProfileError` carrying the errors among ``problems``, if there are any:
    "the ``subject`` would not conform to the profile … ``when``; nothing was written"."""
    errors = [p for p in problems if p.level is Severity.ERROR]
    if errors:
        raise ProfileError(
            f"the {subject} would not conform to the profile {profile.label} "
            f"({count(len(errors))}){when}; nothing was written:\n" + problems_text(errors, 50),
            hint=hint,
            problems=errors,
        )


def count(n: int, noun: str = "problem") -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def problems_text(problems: Sequence[Problem], limit: int = 20) -> str:
    """Problems as indented lines for an error message (at most ``limit``)."""
    lines = [f"  {p}" for p in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"  … and {len(problems) - limit} more")
    return "\n".join(lines)


def stale_removed(paths: Sequence[Path]) -> list[Problem]:
    """The warnings for leftovers of killed runs that were removed."""
    return [
        Problem("stale-staging-removed", "removed a leftover of a killed run", str(path))
        for path in paths
    ]


@contextmanager
def staging_run(
    target: destination.Target,
    warnings: list[Problem],
    *,
    subject: str,
    interrupted: str,
    remove_stale: bool = True,
) -> Iterator[destination.Stage]:
    """The staging folder for ``target``, created; the caller writes into ``run.path`` and
    calls ``run.commit(epoch)`` once the bag is complete. Leftovers of a killed run are
    removed (unless ``remove_stale`` is False) and added to ``warnings``; the staging folder
    is removed whatever happens; an interrupt becomes :class:`Interrupted` (``interrupted``),
    an OSError a :class:`DestinationError` ("cannot write the ``subject``")."""
    run = destination.Stage(target, remove_stale=remove_stale)
    warnings += stale_removed(run.stale)
    try:
        run.create()
        yield run
    except KeyboardInterrupt:
        raise Interrupted(interrupted, path=target.final) from None
    except OSError as exc:
        raise DestinationError(
            f"cannot write the {subject}: {exc.strerror or exc}", path=exc.filename or target.dest
        ) from None
    finally:
        run.clean()
