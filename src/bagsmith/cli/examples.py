"""Usage examples shown at the end of every command's ``--help`` (and in docs/cli.md).

Kept in one table, by command path, so that each command's examples are easy to find and a
test can check that every command has some and that every option they use exists.
:class:`bagsmith.cli.LazyGroup` adds them to a command's help when it loads the command.
"""

from __future__ import annotations

import click

EXAMPLES: dict[str, tuple[str, ...]] = {
    "": (
        "bagsmith package article.txt --images photos/ --output bags/article-1",
        "bagsmith validate bags/article-1",
        "bagsmith -v --log-file bagsmith.log bag scans/ -o bags/scans",
        "bagsmith help configuration",
    ),
    "capture": (
        "bagsmith capture https://example.org/news/ferry -o bags/ferry",
        "bagsmith capture https://example.org/news/ferry -o bags/ferry --delay 2 --require-images",
    ),
    "package": (
        "bagsmith package article.txt --images photos/ --metadata article.yaml -o bags/article-1",
        "bagsmith package page.html -o bags/page --info 'Contact-Name=Ann Archivist'",
        "bagsmith package article.txt --images photos/ -o bags/a1 --serialize zip --report a1.html",
    ),
    "parse": (
        "bagsmith parse article.txt --images photos/",
        "bagsmith parse saved-page.html --metadata article.yaml --json > record.json",
    ),
    "bag": (
        "bagsmith bag scans/ -o bags/scans",
        "bagsmith bag letter.pdf photos/ -o bags/box-12 -i 'Source-Organization=Example Archive'",
        "bagsmith bag scans/ -o bags/scans --profile aptrust --serialize tgz",
        "bagsmith bag scans/ -o bags/scans --info-file institution.txt -a sha512",
    ),
    "validate": (
        "bagsmith validate bags/scans bags/box-12.zip",
        "bagsmith validate --fast bags/*",
        "bagsmith validate --from-list bags.txt --workers 4 --csv report.csv",
        "bagsmith validate bags/scans --profile aptrust --json > report.json",
    ),
    "update": (
        "bagsmith update bags/scans",
        "bagsmith update bags/scans -a sha512 -i 'External-Description=Box 12, second scan'",
    ),
    "describe": (
        "bagsmith describe record.json data/article.txt data/images/01.jpg -o metadata/",
        "bagsmith describe record.json --root bag/ -o bag/data/metadata --force",
    ),
    "report": (
        "bagsmith report bags/article-1 --html article-1.html",
        "bagsmith report bags/box-12.zip --html box-12.html --fast",
    ),
    "deposit": (
        "bagsmith deposit bags/article-1 --to file:///mnt/transfer-source",
        "bagsmith deposit bags/article-1 --to archive --dry-run",
        "bagsmith deposit bags/box-12.tgz --to s3://preservation/incoming --json",
    ),
    "deposits": ("bagsmith deposits list",),
    "deposits list": (
        "bagsmith deposits list",
        "bagsmith deposits list --bag bags/article-1 --outcome deposited --json",
    ),
    "batch": (
        "bagsmith batch articles/ -o bags/ --workers 4",
        "bagsmith batch articles.csv -o bags/ --resume",
        "bagsmith batch articles/ -o bags/ --scheduler tcp://10.0.0.5:8786 --group-id 'Ferry series'",
    ),
    "audit": (
        "bagsmith audit /srv/bags --workers 4 --csv audit.csv",
        "bagsmith audit /srv/ocfl-root --fast --json > audit.json",
    ),
    "profiles": ("bagsmith profiles list",),
    "profiles list": ("bagsmith profiles list", "bagsmith profiles list --json"),
    "profiles show": ("bagsmith profiles show bagsmith-article-v1",),
    "schemas": ("bagsmith schemas status",),
    "schemas install": (
        "bagsmith schemas install",
        "bagsmith schemas install --from ../shared/schemas",
    ),
    "schemas status": ("bagsmith schemas status", "bagsmith schemas status --json"),
    "config": ("bagsmith config show",),
    "config show": (
        "bagsmith config show",
        "bagsmith --config reading-room.toml config show --json",
    ),
    "help": ("bagsmith help", "bagsmith help validate", "bagsmith help configuration"),
}


def add_examples(command: click.Command, path: str) -> None:
    """Put the examples of ``command`` (and of its sub-commands) at the end of its help."""
    examples = EXAMPLES.get(path)
    if examples and not command.epilog:
        command.epilog = "\b\nExamples:\n" + "\n".join(f"  {e}" for e in examples)
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            add_examples(sub, f"{path} {name}".strip())
