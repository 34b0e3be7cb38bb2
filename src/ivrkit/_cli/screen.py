"""How the CLI draws for people: at the terminal's width, words wrapped whole, panels that wrap
rather than crop, tables that choose their columns. For programs (a pipe, a file) nothing wraps.

Every screen a person reads goes through :func:`for_people`; a table is a :class:`FittedTable`
of :class:`Column` s (the least important dropped, long values folded, when the terminal is
narrow); a boxed paragraph is a :class:`Framed`. ``--json`` and ``--csv`` output never comes here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

__all__ = ["UNBOUNDED", "Column", "FittedTable", "Framed", "for_people", "heading"]

UNBOUNDED = 1_000_000
"""Width of a console writing to a file or pipe: a table there takes its natural width."""

_EDGE = 1
"""A table's left edge; each column adds its padding (2) and its right border (1)."""
_PER_COLUMN = 3
_FOLDED_AT_LEAST = 12
"""The narrowest a folded column gets (a session id folds in two lines of 18)."""


def for_people(console: Console) -> Console:
    """A console for what a person reads. On a terminal: the terminal's width, with words
    wrapped whole (the shared console never wraps, for the sake of programs that read it). To a
    file or pipe: unbounded, so that a table's rows and a paragraph's lines are never folded
    (nor squeezed to COLUMNS or 80 columns) there."""
    if console.is_terminal:
        return Console(
            file=console.file,
            width=console.width,
            force_terminal=True,
            color_system=console.color_system,  # type: ignore[arg-type]
            no_color=console.no_color,
            highlight=False,
            soft_wrap=False,
        )
    return Console(file=console.file, width=UNBOUNDED, highlight=False, soft_wrap=True)


def heading(console: Console, title: str) -> None:
    """A section's title: a rule across the terminal with the title in it (wrapped when
    longer than the width); to a file or pipe, the title alone on its line."""
    if console.width >= UNBOUNDED:
        console.print(Text(title, style="bold"))
    elif len(title) + 6 > console.width:
        console.print(Text(title, style="bold"))
        console.rule()
    else:
        console.rule(Text(title, style="bold"))


@dataclass(frozen=True)
class Framed:
    """A paragraph in a box with a title on a terminal (wrapped at its width); the title and
    the paragraph as plain lines to a file or pipe."""

    text: str
    title: str
    border_style: str = "blue"

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if options.max_width >= UNBOUNDED:
            yield Text(self.title, style="bold")
            yield Text(self.text)
            return
        yield Panel(Text(self.text), title=self.title, border_style=self.border_style)


@dataclass(frozen=True)
class Column:
    """A column of a :class:`FittedTable`.

    ``keep``: 0 for a column always shown; when the terminal is too narrow for all, the column
    with the highest ``keep`` goes first; columns of ``keep`` 1 go only when folding the
    ``fold`` columns is not enough. ``fold``: its values may break inside a word (an id with
    no spaces), in two lines at most when the terminal is narrow; other columns wrap between
    words only, so they are never narrower than their longest word."""

    header: str
    keep: int = 0
    justify: Literal["left", "right"] = "left"
    fold: bool = False


Cells = Sequence[str]


class FittedTable:
    """A table that fits the width it is drawn at: the columns it can show in full (the least
    important dropped first, and named in a caption), the others wrapped between words or
    folded; at an unbounded width, every column at its natural width."""

    def __init__(
        self,
        columns: Sequence[Column],
        rows: Sequence[Cells],
        *,
        title: str | None = None,
        empty: str | None = None,
        row_styles: Sequence[str | None] | None = None,
    ) -> None:
        self.columns = list(columns)
        self.rows = [list(row) for row in rows]
        self.title = title
        self.empty = empty
        self.row_styles = list(row_styles) if row_styles is not None else None

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.table(options.max_width)

    def table(self, width: int) -> Table:
        """The Rich table drawn at ``width`` columns."""
        shown, folding = self.shown(width)
        widths = self._widths(shown, width, folding)
        dropped = [column.header for place, column in enumerate(self.columns) if place not in shown]
        caption = None
        if dropped:
            caption = (
                f"not shown at this width: {', '.join(dropped)} (a wider terminal, or --json, "
                "shows them)"
            )
        elif not self.rows and self.empty:
            caption = self.empty
        table = Table(
            title=self.title, title_justify="left", caption=caption, caption_justify="left"
        )
        for place, size in zip(shown, widths, strict=True):
            column = self.columns[place]
            table.add_column(column.header, justify=column.justify, width=size, overflow="fold")
        for index, row in enumerate(self.rows):
            style = self.row_styles[index] if self.row_styles else None
            table.add_row(*(row[place] for place in shown), style=style)
        return table

    def shown(self, width: int) -> tuple[list[int], bool]:
        """The places of the columns that fit ``width``, in order, and whether the folded
        columns must fold to fit: first columns of ``keep`` 2 and more go, the folded ones kept
        whole; then, if that is not enough, the folded ones fold and columns of ``keep`` 1 may
        go too."""
        for folding, floor in ((False, 1), (True, 0)):
            shown = list(range(len(self.columns)))
            while not self._fits(shown, width, folding):
                droppable = [place for place in shown if self.columns[place].keep > floor]
                if not droppable:
                    break
                shown.remove(max(reversed(droppable), key=lambda place: self.columns[place].keep))
            if self._fits(shown, width, folding):
                return shown, folding
        return shown, True

    def _fits(self, shown: list[int], width: int, folding: bool) -> bool:
        return _total([self._least(place, folding) for place in shown]) <= width

    def _natural(self, place: int) -> int:
        header = cell_len(self.columns[place].header)
        return max([header, *(cell_len(row[place]) for row in self.rows)])

    def _least(self, place: int, folding: bool) -> int:
        """The narrowest the column may be: its longest word (headers included); a folded
        column whole unless ``folding``, then in two lines (its header's longest word and
        :data:`_FOLDED_AT_LEAST` at least)."""
        column = self.columns[place]
        header = _longest_word(column.header)
        if column.fold:
            natural = self._natural(place)
            if not folding:
                return natural
            return min(natural, max(header, _FOLDED_AT_LEAST, -(-natural // 2)))
        return max([header, *(_longest_word(row[place]) for row in self.rows)])

    def _widths(self, shown: list[int], width: int, folding: bool) -> list[int]:
        """Natural widths, narrowed until they fit: the columns that wrap between words
        first (the one with the most to spare each time), the folded ones last."""
        sizes = [self._natural(place) for place in shown]
        least = [self._least(place, folding) for place in shown]
        excess = _total(sizes) - width
        for folded in (False, True):
            while excess > 0:
                spare = [
                    size - low if self.columns[place].fold is folded else 0
                    for place, size, low in zip(shown, sizes, least, strict=True)
                ]
                most = max(spare, default=0)
                if most <= 0:
                    break
                sizes[spare.index(most)] -= 1
                excess -= 1
        return sizes


def _total(sizes: Sequence[int]) -> int:
    return sum(sizes) + _PER_COLUMN * len(sizes) + _EDGE


def _longest_word(text: str) -> int:
    return max((cell_len(word) for word in text.split()), default=0)
