"""The options several commands share, declared once, and the parsing of their values.

Each decorator declares one option (its names, type, metavar and the help wording every command
shares); a command passes only what is its own (e.g. what ``--info`` adds to *its* bags). The
helpers below turn option values into what the pipeline takes. They import the pipeline lazily:
this module is on the path of ``bagsmith validate`` and ``bagsmith bag``, whose start-up is
measured (tests/test_bench_startup.py), and the modules behind ``--info-file`` pull in Pillow.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from ..config import Settings, load_settings
from ..errors import ProfileError, UsageError
from ..fixity import DEFAULT_ALGORITHMS, WRITABLE

if TYPE_CHECKING:
    from ..pipeline.bagging import ArchiveFormat
    from ..pipeline.validation import Mode

F = TypeVar("F", bound=Callable[..., Any])
Tag = tuple[str, str]

#: The values of --serialize (bagsmith.bagit.serialize.ArchiveFormat), spelt out here so that
#: `--help` does not import the archive code.
ARCHIVE_FORMATS = ("zip", "tar", "tgz")
BAG_DESTINATION = "Where to write the bag. It must not exist (an empty folder is replaced)."
ONE_PER_CPU = "[default: one per CPU]"


# --- declarations ---------------------------------------------------------------------------------


def output_option(metavar: str, help: str = BAG_DESTINATION) -> Callable[[F], F]:
    """``--output/-o DEST``, required; passed as ``dest``."""
    return click.option(
        "--output",
        "-o",
        "dest",
        metavar=metavar,
        required=True,
        type=click.Path(path_type=Path),
        help=help,
    )


def algorithm_option(
    default: str = " and ".join(DEFAULT_ALGORITHMS), note: str = ""
) -> Callable[[F], F]:
    """``--algorithm/-a ALG``, repeatable; passed as ``algorithms``."""
    return click.option(
        "--algorithm",
        "-a",
        "algorithms",
        multiple=True,
        metavar="ALG",
        help=f"Digest algorithm, repeatable: {', '.join(WRITABLE)} [default: {default}].{note}",
    )


def info_option(help: str) -> Callable[[F], F]:
    """``--info/-i LABEL=VALUE``, repeatable; passed as ``info`` (see :func:`bag_info`)."""
    return click.option("--info", "-i", "info", multiple=True, metavar="LABEL=VALUE", help=help)


def info_file_option(for_what: str = "") -> Callable[[F], F]:
    """``--info-file FILE``: bag-info tags in bag-info.txt form; passed as ``info_file``."""
    return click.option(
        "--info-file",
        type=click.Path(path_type=Path),
        metavar="FILE",
        help=f"Read bag-info.txt tags ('Label: value' lines){for_what} from FILE, before any "
        "--info.",
    )


def tag_file_option(func: F) -> F:
    """``--tag-file PATH[=NAME]``, repeatable; passed as ``tag_files`` (see :func:`parse_tag_files`)."""
    return click.option(
        "--tag-file",
        "tag_files",
        multiple=True,
        metavar="PATH[=NAME]",
        help="Copy the file PATH into the bag as an extra tag file, repeatable: at the top "
        "level under its own name, or at the bag-relative NAME (outside data/, not a file "
        "BagIt defines). It is listed in every tag manifest and counts for the profile's "
        "Tag-Files-Required / Tag-Files-Allowed.",
    )(func)


class ProcessCount(click.ParamType[int]):
    """A number of worker processes: at least 1, at most the ``processes`` limit (read when the
    value is parsed, so that ``bagsmith --limit processes=N`` before the command applies)."""

    name = "integer"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            number = value
        else:
            text = str(value).strip()
            if not text.isascii() or not text.isdigit() or len(text) > 9:
                top = _process_limit()
                self.fail(f"{value!r} is not a whole number from 1 to {top}", param, ctx)
            number = int(text)
        top = _process_limit()
        if not 1 <= number <= top:
            self.fail(
                f"{number} is not from 1 to {top} (raise the limit with "
                f"bagsmith --limit processes=N)",
                param,
                ctx,
            )
        return number


def _process_limit() -> int:
    from .. import limits

    return limits.get("processes")


PROCESS_COUNT = ProcessCount()


def processes_option(doing: str) -> Callable[[F], F]:
    """``--processes/-p N`` (1 to the ``processes`` limit): worker processes within one bag."""
    return click.option(
        "--processes",
        "-p",
        type=PROCESS_COUNT,
        default=None,
        help=f"Worker processes {doing} {ONE_PER_CPU}.",
    )


def workers_option(help: str = f"Local worker processes {ONE_PER_CPU}.") -> Callable[[F], F]:
    """``--workers/-w N`` (at least 1): local worker processes, one bag or article each."""
    return click.option("--workers", "-w", type=PROCESS_COUNT, default=None, help=help)


def scheduler_option(
    must_see: str, *, lead: str = "Run on this Dask distributed cluster instead"
) -> Callable[[F], F]:
    """``--scheduler tcp://HOST:PORT``: a Dask cluster instead of the local workers."""
    return click.option(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        default=None,
        help=f"{lead} (needs bagsmith[dask]; the workers must see {must_see}).",
    )


def serialize_option(help: str) -> Callable[[F], F]:
    """``--serialize zip|tar|tgz`` (see :func:`archive_format`)."""
    return click.option("--serialize", type=click.Choice(ARCHIVE_FORMATS), default=None, help=help)


def profile_option(
    help: str, *, default: str | None = None, metavar: str = "NAME|PATH"
) -> Callable[[F], F]:
    """``--profile``: the BagIt profile to check against (a name, a file or an identifier)."""
    return click.option(
        "--profile", metavar=metavar, default=default, show_default=default is not None, help=help
    )


def no_profile_option(help: str) -> Callable[[F], F]:
    return click.option("--no-profile", is_flag=True, help=help)


def images_option(
    help: str = "Folder of image files, matched to figures by the number in their names.",
) -> Callable[[F], F]:
    return click.option("--images", type=click.Path(path_type=Path), help=help)


def metadata_option(also: str = "") -> Callable[[F], F]:
    """``--metadata FILE``: the sidecar metadata file."""
    return click.option(
        "--metadata",
        type=click.Path(path_type=Path),
        help=f"Sidecar metadata file (YAML or JSON) stating or correcting facts{also}.",
    )


def allow_broken_images_option(help: str) -> Callable[[F], F]:
    return click.option("--allow-broken-images", is_flag=True, help=help)


def created_option(
    help: str = "Creation time for METS (e.g. 2026-11-27T09:30:00Z) "
    "[default: SOURCE_DATE_EPOCH, else now].",
) -> Callable[[F], F]:
    return click.option("--created", metavar="ISO", help=help)


def fast_option(
    help: str = "Check structure, Payload-Oxum and completeness only; hash nothing.",
) -> Callable[[F], F]:
    return click.option("--fast", is_flag=True, help=help)


def csv_option(help: str) -> Callable[[F], F]:
    """``--csv FILE``: a CSV report of a collection; passed as ``csv_file``."""
    return click.option(
        "--csv", "csv_file", type=click.Path(path_type=Path), metavar="FILE", help=help
    )


#: The payload policy's choices: (option, choices, default, help), in the order of --help.
POLICY_CHOICES: tuple[tuple[str, tuple[str, ...], str, str], ...] = (
    (
        "--symlinks",
        ("refuse", "follow", "skip"),
        "refuse",
        "Symbolic links: stop with an error, bag what they point to, or leave them out.",
    ),
    (
        "--empty-dirs",
        ("keep", "skip"),
        "keep",
        "Empty folders: keep them with an empty .keep file, or leave them out.",
    ),
    (
        "--hidden",
        ("include", "exclude"),
        "include",
        "Hidden files and folders (names starting with '.').",
    ),
    (
        "--os-files",
        ("include", "exclude", "refuse"),
        "exclude",
        "Operating-system files (.DS_Store, Thumbs.db, desktop.ini, ._*).",
    ),
)


def payload_policy_options(func: F) -> F:
    """--portable, --symlinks, --empty-dirs, --hidden, --os-files; passes ``policy``, the
    pipeline's payload policy built from them."""

    @functools.wraps(func)
    def wrapper(
        *args: Any,
        portable: bool,
        symlinks: str,
        empty_dirs: str,
        hidden: str,
        os_files: str,
        **kwargs: Any,
    ) -> Any:
        from ..pipeline.bagging import make_policy

        policy = make_policy(
            symlinks=symlinks,
            empty_dirs=empty_dirs,
            hidden=hidden,
            os_files=os_files,
            portable=portable,
        )
        return func(*args, policy=policy, **kwargs)

    decorated: Callable[..., Any] = wrapper
    for name, choices, default, help in reversed(POLICY_CHOICES):  # the last applied shows first
        choice = click.Choice(choices)
        decorated = click.option(name, type=choice, default=default, show_default=True, help=help)(
            decorated
        )
    decorated = click.option(
        "--portable",
        is_flag=True,
        help="Also refuse names differing only by case, and names Windows cannot store.",
    )(decorated)
    return cast(F, decorated)


# --- the configuration file ------------------------------------------------------------------------

#: Where the group's ``--config FILE`` is kept in the root context's ``meta``.
CONFIG_KEY = "bagsmith.config"


def configured_file() -> Path | None:
    """The file given with ``bagsmith --config FILE``, if any."""
    ctx = click.get_current_context(silent=True)
    value = ctx.find_root().meta.get(CONFIG_KEY) if ctx is not None else None
    return Path(value) if value is not None else None


def settings() -> Settings:
    """The configuration file's settings (docs/configuration.md): the file given with
    ``bagsmith --config FILE``, else ``BAGSMITH_CONFIG``, else the XDG default. Read once per
    command; a bad file raises an :class:`~bagsmith.errors.InputError` naming its line."""
    ctx = click.get_current_context(silent=True)
    root = ctx.find_root() if ctx is not None else None
    if root is None:
        return load_settings()
    cached = root.meta.get(f"{CONFIG_KEY}.settings")
    if cached is None:
        cached = load_settings(configured_file())
        root.meta[f"{CONFIG_KEY}.settings"] = cached
    assert isinstance(cached, Settings)
    return cached


def with_defaults(defaults: Sequence[Tag], given: Sequence[Tag]) -> tuple[Tag, ...]:
    """The configuration's default bag-info tags, less those whose label an option gives
    (labels compare case-insensitively), then the options' tags."""
    labels = {label.lower() for label, _ in given}
    return tuple(t for t in defaults if t[0].lower() not in labels) + tuple(given)


def chosen_profile(profile: str | None, no_profile: bool, builtin: str | None) -> str | None:
    """--profile, else (without --no-profile) the configuration's profile, else ``builtin``."""
    if no_profile:
        return None
    return profile or settings().profile or builtin


def chosen_algorithms(algorithms: Sequence[str]) -> tuple[str, ...]:
    """--algorithm values, else the configuration's, else the defaults."""
    return tuple(algorithms) or settings().algorithms or DEFAULT_ALGORITHMS


def chosen_processes(processes: int | None) -> int | None:
    """--processes, else the configuration's, else None (one per CPU)."""
    return processes if processes is not None else settings().processes


# --- parsing ---------------------------------------------------------------------------------------


def bag_info(
    info: Sequence[str], info_file: Path | None = None, *, configured: bool = False
) -> tuple[Tag, ...]:
    """The bag-info tags of --info-file (first) and every --info LABEL=VALUE, checked; with
    ``configured``, after the configuration file's default tags that they do not replace."""
    tags: tuple[Tag, ...] = ()
    if info_file is not None:
        from ..pipeline.layout import read_info_file

        tags = read_info_file(info_file)
    given = tags + tuple(parse_info_option(item) for item in info)
    return with_defaults(settings().bag_info, given) if configured else given


def parse_info_option(item: str) -> Tag:
    """``--info LABEL=VALUE`` → (label, value); the value may itself contain '=' and ':'."""
    from ..pipeline.bagging import checked_tag

    label, sep, value = item.partition("=")
    if not sep:
        raise UsageError(f"--info expects LABEL=VALUE, got {item!r}", field="--info")
    return checked_tag(label, value)


def parse_tag_files(values: Sequence[str]) -> tuple[tuple[Path, str], ...]:
    """(file, name in the bag) of each --tag-file PATH[=NAME]: a value naming an existing
    file is a PATH whole; otherwise the text after its last '=' is the NAME."""
    result: list[tuple[Path, str]] = []
    for value in values:
        path, name = value, ""
        if "=" in value and not Path(value).exists():
            path, _, name = value.rpartition("=")
            if not name:
                raise UsageError(f"--tag-file {value}: NAME after '=' is empty", field="--tag-file")
        if not path:
            raise UsageError(f"--tag-file {value}: PATH is empty", field="--tag-file")
        result.append((Path(path), name or Path(path).name))
    return tuple(result)


def archive_format(serialize: str | None) -> ArchiveFormat | None:
    """The archive format named by --serialize, None for a folder."""
    from ..pipeline.bagging import ArchiveFormat

    return ArchiveFormat(serialize) if serialize else None


def check_mode(*, fast: bool, completeness_only: bool = False) -> Mode:
    """The validation mode --fast / --completeness-only select (full by default)."""
    from ..pipeline.validation import Mode

    exclusive("--fast", fast, "--completeness-only", completeness_only)
    return Mode.FAST if fast else Mode.COMPLETENESS if completeness_only else Mode.FULL


def exclusive(first: str, first_given: object, second: str, second_given: object) -> None:
    """A usage error when two options that exclude each other are both given."""
    if first_given and second_given:
        raise UsageError(f"{first} and {second} cannot be used together")


def profile_usage_error(profile: str | None, exc: ProfileError) -> UsageError:
    """--profile names nothing usable: a usage error (exit 2) that keeps the details."""
    return UsageError(
        f"--profile {profile}: {exc.template}",
        path=exc.path,
        line=exc.line,
        field=exc.field,
        parameter=exc.parameter,
        hint=exc.hint_template,
    )


_SIZE_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "m": 1000**2,
    "mb": 1000**2,
    "g": 1000**3,
    "gb": 1000**3,
    "t": 1000**4,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}


def parse_size(text: str, option: str) -> int:
    """``30GB`` (decimal units, as storage is sold), ``500MiB`` (binary) or a number of
    bytes; a usage error naming the option otherwise."""
    import re

    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", text)
    unit = match.group(2).lower() if match else ""
    if match is None or unit not in _SIZE_UNITS:
        raise UsageError(
            f"{text!r} is not a size",
            field=option,
            hint="write e.g. 30GB, 500MiB or a number of bytes",
        )
    value = int(float(match.group(1)) * _SIZE_UNITS[unit])
    if value <= 0:
        raise UsageError(f"{text!r}: the size must be more than 0 bytes", field=option)
    return value
