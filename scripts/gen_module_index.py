"""Write docs/modules.md: every module of ``src/bagsmith``, one line each, by layer.

The line is the first paragraph of the module's own docstring (read with ``ast``, nothing is
imported), so the index says what the code says. ``python scripts/gen_module_index.py`` rewrites
the file; a test checks it is current, as for docs/cli.md and docs/problem-codes.md.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "bagsmith"
OUT = ROOT / "docs" / "modules.md"

# the layers of docs/architecture.md, top to bottom; a folder not named here is a subsystem
TOP = ("cli", "api", "entry", "pipeline")
ENTRY = ("__init__.py", "__main__.py")
ROLE = re.compile(r":[a-z]+:`~?([^`]+)`")  # a Sphinx cross-reference in a docstring

HEADER = """# Modules

Every module of `src/bagsmith`, one line each: the first paragraph of its own docstring. The
layers and the rules between them are in [architecture](architecture.md); read that first.
This page is generated: `python scripts/gen_module_index.py` (a test checks it is current).
"""


def summary(path: Path) -> str:
    """The first paragraph of a module's docstring, on one line."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    text = ast.get_docstring(tree)
    if not text:
        raise SystemExit(f"{path.relative_to(ROOT)}: the module has no docstring")
    paragraph = " ".join(text.strip().split("\n\n", 1)[0].split())
    paragraph = ROLE.sub(lambda m: f"`{m.group(1)}`", paragraph)  # :mod:`.x` → `.x`
    return paragraph.replace("|", "\\|")


def sections() -> list[tuple[str, list[Path]]]:
    """(heading, modules) from the top layer down: cli, api and entry, pipeline, each subsystem,
    the foundation."""
    top_level = sorted(p for p in PACKAGE.glob("*.py"))
    folders = sorted(p for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists())

    def modules(folder: Path) -> list[Path]:
        return sorted(folder.glob("*.py"), key=lambda p: (p.name != "__init__.py", p.name))

    out: list[tuple[str, list[Path]]] = [("cli: the command line", modules(PACKAGE / "cli"))]
    out.append(
        (
            "api and entry: `import bagsmith`, `python -m bagsmith`",
            [PACKAGE / "api.py", *(PACKAGE / name for name in ENTRY)],
        )
    )
    out.append(("pipeline: the use cases", modules(PACKAGE / "pipeline")))
    for folder in folders:
        if folder.name not in TOP:
            out.append((f"{folder.name}: a subsystem", modules(folder)))
    foundation = [p for p in top_level if p.name not in (*ENTRY, "api.py")]
    out.append(("foundation", foundation))
    return out


def render() -> str:
    lines = [HEADER.rstrip("\n")]
    for heading, paths in sections():
        lines += ["", f"## {heading}", "", "| module | what it is |", "|---|---|"]
        for path in paths:
            name = path.relative_to(PACKAGE).as_posix()
            lines.append(f"| `{name}` | {summary(path)} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    OUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
