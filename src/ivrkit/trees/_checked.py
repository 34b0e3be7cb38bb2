"""The one answer to "is this tree valid?": a tree is valid when lint finds no error in it.

Every way a tree enters ivrkit goes through :func:`check_spec` — :class:`~ivrkit.trees.Tree`
itself calls it, so ``load_tree``, ``parse_tree``, a ``Tree`` built in code, ``create_app``,
``ivrkit serve`` and the pytest plugin accept and refuse exactly what ``ivrkit lint`` does.
"""

from __future__ import annotations

from collections.abc import Mapping

import yaml

from ivrkit import rules
from ivrkit.calendars import Calendar
from ivrkit.errors import TreeError
from ivrkit.trees._issues import Issue
from ivrkit.trees._lint import lint_spec
from ivrkit.trees._model import TreeSpec


def tree_errors(
    spec: TreeSpec,
    *,
    root: yaml.Node | None = None,
    platform: rules.Platform | None = None,
    calendars: Mapping[str, Calendar] | None = None,
) -> list[Issue]:
    """The errors (not warnings) lint finds in a tree; none means the tree is valid."""
    issues = lint_spec(spec, root=root, platform=platform, calendars=calendars)
    return [issue for issue in issues if issue.severity == "error"]


def check_spec(
    spec: TreeSpec,
    *,
    root: yaml.Node | None = None,
    source: str = "<tree>",
    platform: rules.Platform | None = None,
    calendars: Mapping[str, Calendar] | None = None,
) -> None:
    """Raise :class:`TreeError` naming the first error of the tree, if it has any."""
    errors = tree_errors(spec, root=root, platform=platform, calendars=calendars)
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more; run ivrkit lint)" if len(errors) > 1 else ""
        raise TreeError(
            f"{first.code}: {first.message}{more}",
            file=source,
            line=first.line,
            column=first.column,
        )
