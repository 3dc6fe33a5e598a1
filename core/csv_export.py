"""The one CSV writer of the site: admin downloads and operators' exports alike.

A cell a spreadsheet would run as a formula (a shop or product name starting with "=",
"+", "-", "@", a tab or a carriage return) goes out with an apostrophe in front, so that
opening an export never runs what a customer or seller typed.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from django.http import StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """Text that would start a formula is quoted with an apostrophe; numbers and dates
    go out as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Echo:
    """A file that hands back what is written to it: csv.writer then yields lines."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """The CSV text, line by line (the header first)."""
    writer = csv.writer(_Echo())
    yield writer.writerow(list(header))
    for row in rows:
        yield writer.writerow([csv_cell(value) for value in row])


def csv_write(stream: TextIO, header: Iterable[str], rows: Iterable[Iterable[Any]]) -> int:
    """Write the CSV to `stream`; answers the number of rows (the header not counted)."""
    count = -1
    for count, line in enumerate(csv_lines(header, rows)):  # noqa: B007
        stream.write(line)
    return max(count, 0)


def csv_response(
    *, filename: str, header: Iterable[str], rows: Iterable[Iterable[Any]]
) -> StreamingHttpResponse:
    """A streamed CSV download."""
    response = StreamingHttpResponse(csv_lines(header, rows), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
