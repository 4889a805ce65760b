"""``bagsmith help [TOPIC]``: a command's help, or one of the guides, in the terminal."""

from __future__ import annotations

import sys

import click

from ..errors import UsageError
from ..resources import docs_dir


def topics() -> dict[str, str]:
    """Guide name → its title (the first line of docs/NAME.md, without the '#')."""
    out: dict[str, str] = {}
    for path in sorted(docs_dir().glob("*.md")):
        with path.open(encoding="utf-8") as fh:
            out[path.stem] = fh.readline().lstrip("#").strip()
    return out


@click.command("help")
@click.argument("topic", nargs=-1, metavar="[COMMAND|TOPIC]")
@click.pass_context
def help(ctx: click.Context, topic: tuple[str, ...]) -> None:
    """Show the help of a command, or a guide (configuration, python, validation …).

    Without TOPIC: the commands and the guides there are. The guides are the documents of
    docs/ shipped with bagsmith; shell completion is described in `bagsmith help completion`.
    """
    root = ctx.find_root()
    group = root.command
    assert isinstance(group, click.Group)
    if not topic:
        click.echo(group.get_help(root))
        click.echo("\nGuides (bagsmith help TOPIC):")
        for name, title in topics().items():
            click.echo(f"  {name:<16} {title}")
        return
    command: click.Command | None = group
    sub_ctx = root
    for word in topic:
        if not isinstance(command, click.Group):
            command = None
            break
        found = command.get_command(sub_ctx, word)
        if found is None:
            command = None
            break
        sub_ctx = click.Context(found, info_name=word, parent=sub_ctx)
        command = found
    if command is not None:
        click.echo(command.get_help(sub_ctx))
        return
    name = " ".join(topic)
    path = docs_dir() / f"{name}.md"
    if len(topic) != 1 or not path.is_file():
        error = UsageError(
            f"no command or guide named {name!r}", hint="guides: " + ", ".join(topics())
        )
        click.echo(f"bagsmith: error[{error.code}]: {error}", err=True)
        sys.exit(2)
    text = path.read_text(encoding="utf-8")
    if sys.stdout.isatty():
        click.echo_via_pager(text)
    else:
        click.echo(text, nl=False)
