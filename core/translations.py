"""Compiling the translations: each `locale/<language>/LC_MESSAGES/<domain>.po` to the
`.mo` file Django reads, with Babel (pure Python: no GNU gettext on the machine).

    python -m core.translations         compiles what changed (`make install` runs it)

The `.mo` files are built, not kept in git. Fuzzy entries are left out, as msgfmt does.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE = Path(__file__).resolve().parents[1] / "locale"


def stale(locale: Path = LOCALE) -> list[Path]:
    """The catalogues whose .mo is missing or older than their .po."""
    return [
        po
        for po in sorted(locale.glob("*/LC_MESSAGES/*.po"))
        if not po.with_suffix(".mo").exists()
        or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]


def compile_translations(locale: Path = LOCALE) -> list[Path]:
    """Compile the stale catalogues; each .mo is replaced whole (a process reading it, or
    a second compile at the same time, never sees half a file). Returns what it wrote."""
    written = []
    for po in stale(locale):
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parents[1].name)
        handle, partial = tempfile.mkstemp(dir=po.parent, suffix=".mo.partial")
        with os.fdopen(handle, "wb") as target:
            write_mo(target, catalog)
        os.replace(partial, po.with_suffix(".mo"))
        written.append(po.with_suffix(".mo"))
    return written


if __name__ == "__main__":
    for path in compile_translations():
        print(f"compiled {path.relative_to(LOCALE.parent)}")
    sys.exit(0)
