"""Loading a tree for serving: the loader's checks, then lint's errors, must all pass."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ivrkit.errors import TreeError
from ivrkit.trees.lint import lint_spec
from ivrkit.trees.loader import Tree, load_tree


def load_checked_tree(
    path: str | Path | None,
    *,
    numbers: Mapping[str, str] | None = None,
    voice_profile: str | None = None,
) -> Tree:
    """A tree fit to answer callers, or TreeError naming the first error lint found."""
    tree = load_tree(path, numbers=numbers, voice_profile=voice_profile)
    issues = lint_spec(tree.spec, source=tree.source)
    errors = [issue for issue in issues if issue.severity == "error"]
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more; run ivrkit lint)" if len(errors) > 1 else ""
        raise TreeError(
            f"{first.code}: {first.message}{more}",
            file=tree.source,
            line=first.line,
            column=first.column,
        )
    return tree
