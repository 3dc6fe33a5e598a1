"""The progress bar of operators' commands (tqdm on stderr, only on a terminal)."""

from __future__ import annotations


def progress_bar(*, total: int, file, disable: bool, desc: str, unit: str):
    """A bar of `total` steps drawn on `file`; `disable` (--no-progress, or not a
    terminal) draws nothing. Call `.update(n)` and `.close()`."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, file=file, disable=disable, dynamic_ncols=True)
