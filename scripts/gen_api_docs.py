"""Build the API reference of the public Python API (``bagsmith.__all__``) with pdoc.

``python scripts/gen_api_docs.py [OUTDIR]`` writes HTML into OUTDIR (default ``build/api``).
Only the package's public surface is documented; the internal modules are left out. Every
warning pdoc gives (a docstring it cannot render, a reference it cannot resolve) is printed
and makes the script exit 1; a test runs it so the reference always builds cleanly.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pdoc

ROOT = Path(__file__).resolve().parents[1]


def build(out: Path) -> list[str]:
    """Write the reference into ``out``; the warnings pdoc gave, as text."""
    import bagsmith

    for name in bagsmith.__all__:  # load the lazy names, so pdoc sees them as members
        getattr(bagsmith, name)
    pdoc.render.configure(docformat="restructuredtext", search=False, show_source=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pdoc.pdoc("bagsmith", "!bagsmith\\..*", output_directory=out)
    return [f"{w.category.__name__}: {w.message}" for w in caught]


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "build" / "api"
    problems = build(out)
    for text in problems:
        print(text, file=sys.stderr)
    print(f"wrote {out / 'bagsmith.html'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
