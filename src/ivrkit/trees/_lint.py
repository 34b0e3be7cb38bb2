"""``ivrkit lint``: every problem of a tree, not only the first one the loader stops at.

Errors are what the loader refuses, or what breaks a call (a node nobody reaches, a menu the
caller cannot leave); warnings are what loads and runs but confuses a caller (a prompt offering a
key with no route). :data:`~ivrkit.trees._issues.CODES` lists every code. Lint runs no hook and
makes no network call.

How the graph checks read a tree:

- The call starts at ``entry`` (calls to ``virtual_numbers`` start there too), and follows every
  edge of :func:`~ivrkit.trees._graph_edges.edges_of`, except an ``on_max_retries`` that cannot
  fire (no ``max_retries``, or neither ``on_invalid`` nor ``on_no_input`` is ``retry``).
- A node *ends* the call when it is a ``hangup``, a ``say``/``play`` without ``next``, a
  ``transfer`` (the caller reaches a person), or a menu/collect that hangs up after
  ``max_retries`` (``on_max_retries`` unset). A target that does not exist (or a misplaced
  ``retry``) counts as an ending, so that it is reported once, as ``dangling-target`` (or
  ``retry-not-allowed``).
- ``no-way-out`` is reported once per *trap*: a set of nodes that lead only to each other (a
  bottom strongly connected component of the nodes from which no ending can be reached) and
  that holds a menu or collect. Nodes that only lead into a trap are not reported again; a trap
  with no menu or collect is a loop that never waits, reported as ``loop-never-waits``.
- ``chain-too-long`` is a run of nodes that never wait longer than one answer may pass through
  (:data:`~ivrkit.trees._engine.MAX_CHAIN`), reported on its first node.

Every graph check is iterative and linear in the size of the tree: a chain of any length costs
no stack and no repeated walk.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import yaml
from pydantic import ValidationError

from ivrkit import _outcomes as outcomes
from ivrkit import rules
from ivrkit.calendars import Calendar, load_calendars
from ivrkit.calendars._lint import lint_calendar
from ivrkit.calendars._speech import SPOKEN_LANGUAGES, speaks
from ivrkit.errors import CalendarError, TreeError
from ivrkit.trees._engine import MAX_CHAIN
from ivrkit.trees._graph_edges import PASS_THROUGH, Edge, components, edges_of
from ivrkit.trees._issues import (
    CODES,
    Issue,
    IssueCollector,
    Severity,
    duplicate_keys,
    key_position,
    suggest,
)
from ivrkit.trees._lint_platform import check_callflows, check_voices
from ivrkit.trees._lint_prompts import check_prompts, hours_placeholders
from ivrkit.trees._model import RETRY, Collect, Menu, Node, TreeSpec
from ivrkit.trees._parse import MAX_TREE_BYTES, parse_spec, too_big

__all__ = ["CODES", "Issue", "Severity", "lint_spec", "lint_text"]


def lint_text(
    text: str,
    *,
    source: str = "<tree>",
    platform: rules.Platform | None = None,
    max_bytes: int = MAX_TREE_BYTES,
) -> list[Issue]:
    """Every issue of a tree file's text; a file that is not a tree is one ``invalid-*`` error
    (a text over ``max_bytes`` raises :class:`TreeError`: it is not read at all)."""
    if len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise TreeError(too_big(max_bytes), file=source)
    try:
        spec, root = parse_spec(text, source=source, max_bytes=max_bytes)
    except TreeError as exc:
        return [_unparsable(exc)]
    base = Path(source).parent if not source.startswith("<") else Path()
    try:
        calendars = load_calendars(spec.calendars, base)
    except CalendarError as exc:
        # The calendars could not be read: every name they would define is unknown, which
        # says nothing new; report the file that failed, once.
        line, column = key_position(root, ("calendars",))
        unreadable = Issue("error", "calendar-unreadable", str(exc), None, line, column)
        issues = lint_spec(spec, root=root, source=source, platform=platform)
        return [unreadable, *(issue for issue in issues if issue.code != "unknown-calendar")]
    return lint_spec(spec, root=root, source=source, platform=platform, calendars=calendars)


def lint_spec(
    spec: TreeSpec,
    *,
    root: yaml.Node | None = None,
    source: str = "<tree>",
    platform: rules.Platform | None = None,
    calendars: Mapping[str, Calendar] | None = None,
) -> list[Issue]:
    """Every issue of a tree; ``root`` (from :func:`~ivrkit.trees.parse_spec`) places them in the
    file; ``calendars`` are the calendars its ``calendars:`` list defines, by name. ``source``
    is accepted for symmetry with :func:`lint_text`: issues carry no file name, the caller adds
    it."""
    del source
    found = IssueCollector(root)
    for name, key in duplicate_keys(root):
        found.append(
            Issue(
                "error",
                "duplicate-key",
                f"{name!r} is written twice in one mapping; YAML keeps only the last one",
                None,
                key.start_mark.line + 1,
                key.start_mark.column + 1,
            )
        )
    graph = _Graph(spec)
    _check_targets(spec, graph, found)
    _check_reachable(spec, graph, found)
    _check_traps(spec, graph, found)
    _check_loops(spec, graph, found)
    _check_chains(spec, graph, found)
    _check_outcomes(spec, found)
    check_voices(spec, platform.voice_profiles if platform else rules.KNOWN_VOICE_PROFILES, found)
    check_prompts(spec, found)
    check_callflows(spec, platform, found)
    _check_calendars(spec, calendars or {}, found)
    return found.ordered()


def _check_calendars(
    spec: TreeSpec, calendars: Mapping[str, Calendar], found: IssueCollector
) -> None:
    """Unknown calendar names (errors), then each calendar's own warnings."""
    for name, node in spec.nodes.items():
        if node.branch is None:
            continue
        for index, case in enumerate(node.branch.cases):
            wanted = case.when.calendar
            if wanted is None or wanted in calendars:
                continue
            known = ", ".join(sorted(calendars)) or "none"
            found.add(
                "unknown-calendar",
                f"no calendar named {wanted!r} (the tree's calendars: {known})"
                f"{suggest(wanted, calendars)}",
                node=name,
                at=("nodes", name, "branch", "cases", str(index), "if", "calendar"),
            )
    for name, wanted, languages, at in hours_placeholders(spec):
        if wanted not in calendars:
            known = ", ".join(sorted(calendars)) or "none"
            found.add(
                "unknown-calendar",
                f"{{hours:{wanted}}} names no calendar of the tree (the tree's calendars: "
                f"{known}){suggest(wanted, calendars)}",
                node=name,
                at=at,
            )
        for language in languages:
            if not speaks(language):
                found.add(
                    "hours-language",
                    f"{{hours:{wanted}}} is spoken in English to callers of language "
                    f"{language!r}: ivrkit has words for hours in "
                    f"{', '.join(SPOKEN_LANGUAGES)} only; write them out in that language",
                    node=name,
                    at=at,
                )
    for name, calendar in calendars.items():
        for finding in lint_calendar(calendar):
            found.add(
                finding.code,
                f"calendar {name!r} ({calendar.source}): {finding.message}",
                at=("calendars",),
                key=True,
            )


def _unparsable(exc: TreeError) -> Issue:
    cause = exc.__cause__
    node: str | None = None
    if isinstance(cause, ValidationError):
        loc = cause.errors()[0]["loc"]
        if len(loc) > 1 and loc[0] == "nodes":
            node = str(loc[1])
    code = "invalid-yaml" if isinstance(cause, yaml.YAMLError) else "invalid-tree"
    return Issue("error", code, exc.detail, node, exc.line, exc.column)


class _Graph:
    """The edges a call can take, and which nodes end it."""

    def __init__(self, spec: TreeSpec) -> None:
        self.spec = spec
        self.edges: dict[str, list[Edge]] = {
            name: [edge for edge in edges_of(name, node) if _can_fire(node, edge)]
            for name, node in spec.nodes.items()
        }
        self.dangling = [  # every edge, as the loader checks them, even one that cannot fire
            edge
            for name, node in spec.nodes.items()
            for edge in edges_of(name, node)
            if edge.target not in spec.nodes
        ]

    def successors(self, name: str) -> list[str]:
        return [edge.target for edge in self.edges[name] if edge.target in self.spec.nodes]

    def reachable_from(self, starts: Iterable[str]) -> set[str]:
        seen = {start for start in starts if start in self.spec.nodes}
        queue = list(seen)
        while queue:
            for target in self.successors(queue.pop()):
                if target not in seen:
                    seen.add(target)
                    queue.append(target)
        return seen

    def can_end(self) -> set[str]:
        """Nodes from which some ending can be reached."""
        predecessors: dict[str, list[str]] = {name: [] for name in self.spec.nodes}
        for name in self.spec.nodes:
            for target in self.successors(name):
                predecessors[target].append(name)
        ending = {
            name
            for name, node in self.spec.nodes.items()
            if _ends(node)
            or any(e.target not in self.spec.nodes for e in self.edges[name])
            or any(True for _ in _retry_fields(node))
        }
        queue = list(ending)
        while queue:
            for before in predecessors[queue.pop()]:
                if before not in ending:
                    ending.add(before)
                    queue.append(before)
        return ending


def _asking(node: Node) -> Menu | Collect | None:
    return node.menu or node.collect


def _retries_count(asking: Menu | Collect) -> bool:
    """Whether max_retries is ever consulted: only a ``retry`` replay counts tries."""
    return asking.max_retries is not None and RETRY in (asking.on_invalid, asking.on_no_input)


def _can_fire(node: Node, edge: Edge) -> bool:
    asking = _asking(node)
    if asking is not None and edge.field == ("on_max_retries",):
        return _retries_count(asking)
    return True


def _ends(node: Node) -> bool:
    if node.hangup is not None or node.transfer is not None:
        return True
    if node.say is not None:
        return node.say.next is None
    if node.play is not None:
        return node.play.next is None
    asking = _asking(node)
    return asking is not None and _retries_count(asking) and asking.on_max_retries is None


def _check_targets(spec: TreeSpec, graph: _Graph, found: IssueCollector) -> None:
    if spec.entry not in spec.nodes:
        found.add(
            "dangling-target",
            f"entry node {spec.entry!r} is not defined{suggest(spec.entry, spec.nodes)}",
            at=("entry",),
        )
    for edge in graph.dangling:
        kind = spec.nodes[edge.source].kind
        found.add(
            "dangling-target",
            f"node {edge.source!r} leads to {edge.target!r} ({_field(edge.field)}), which is not "
            f"defined{suggest(edge.target, spec.nodes)}",
            node=edge.source,
            at=("nodes", edge.source, kind, *edge.field),
        )
    if RETRY in spec.nodes:
        return
    for name, node in spec.nodes.items():
        for field in _retry_fields(node):
            found.add(
                "retry-not-allowed",
                f"node {name!r} sends the call to 'retry' in {_field(field)}; 'retry' means "
                "'play again' only in on_invalid and on_no_input, so name a node here",
                node=name,
                at=("nodes", name, node.kind, *field),
            )


def _retry_fields(node: Node) -> Iterator[tuple[str, ...]]:
    """Fields holding ``retry`` where only a node name is meaningful."""
    named: list[tuple[tuple[str, ...], str | None]] = []
    if node.menu is not None:
        for digits in node.menu.routes:
            route = node.menu.target(digits)
            named.append((("routes", digits), route.to if route else None))
    asking = _asking(node)
    if asking is not None:
        named.append((("on_max_retries",), asking.on_max_retries))
    if node.collect is not None:
        named.append((("next",), node.collect.next))
    if node.say is not None:
        named.append((("next",), node.say.next))
    if node.play is not None:
        named.append((("next",), node.play.next))
    if node.transfer is not None:
        named.append((("after",), node.transfer.after))
    if node.goto is not None:
        named.append((("node",), node.goto.node))
    if node.branch is not None:
        named += [(("cases", str(i), "to"), case.to) for i, case in enumerate(node.branch.cases)]
        named.append((("else",), node.branch.otherwise))
    if node.hook is not None:
        named += [(("routes", result), target) for result, target in node.hook.routes.items()]
        named.append((("default",), node.hook.default))
    return (field for field, target in named if target == RETRY)


def _check_reachable(spec: TreeSpec, graph: _Graph, found: IssueCollector) -> None:
    if spec.entry not in spec.nodes:
        return  # every node would be unreachable; the missing entry is the one problem
    reached = graph.reachable_from([spec.entry])
    for name in spec.nodes:
        if name not in reached:
            found.add(
                "unreachable-node",
                f"node {name!r} is never reached: no path from the entry {spec.entry!r} leads "
                "to it",
                node=name,
                at=("nodes", name),
                key=True,
            )


def _check_outcomes(spec: TreeSpec, found: IssueCollector) -> None:
    """Labels a report would confuse: one whose category is guessed, a derived outcome's name
    (a session labelled ``busy`` cannot be told from one whose line was busy), or two spellings
    of one label."""
    spellings: dict[str, str] = {}
    declared: dict[str, tuple[str, str]] = {}
    for name, node in spec.nodes.items():
        label = node.outcome
        if label is None:
            continue
        if node.counts_as is not None:
            first = declared.setdefault(label, (name, node.counts_as))
            if first[1] != node.counts_as:
                found.add(
                    "odd-outcome",
                    f"node {name!r} says {label!r} counts as {node.counts_as}, node "
                    f"{first[0]!r} says {first[1]}: reports count the first; say one",
                    node=name,
                    at=("nodes", name, "outcome"),
                )
        folded = label.lower().replace("_", "-").replace(".", "-")
        if outcomes.is_guessed(label, declared=node.counts_as):
            guess = outcomes.counts_as(label, on_transfer=node.transfer is not None)
            found.add(
                "guessed-outcome",
                f"node {name!r} is labelled {label!r} without saying what it counts as; "
                f"reports guess {guess}: write outcome: {{label: {label}, counts_as: "
                "contained|transferred|abandoned|failed}",
                node=name,
                at=("nodes", name, "outcome"),
            )
        if folded in outcomes.DERIVED:
            found.add(
                "odd-outcome",
                f"node {name!r} is labelled {label!r}, the name of an outcome derived from the "
                "session summary; choose another label so reports can tell them apart",
                node=name,
                at=("nodes", name, "outcome"),
            )
        elif spellings.setdefault(folded, label) != label:
            found.add(
                "odd-outcome",
                f"node {name!r} is labelled {label!r}, and another node {spellings[folded]!r}: "
                "reports count them apart; write the label one way",
                node=name,
                at=("nodes", name, "outcome"),
            )


def _check_traps(spec: TreeSpec, graph: _Graph, found: IssueCollector) -> None:
    can_end = graph.can_end()
    stuck = [name for name in spec.nodes if name not in can_end]
    order = {name: index for index, name in enumerate(spec.nodes)}
    for group in components(stuck, graph.successors):
        members = set(group)
        bottom = all(t in members for n in group for t in graph.successors(n))
        asking = [n for n in group if _asking(spec.nodes[n]) is not None]
        if not bottom or not asking:
            continue
        group.sort(key=order.__getitem__)
        first = asking[0] if len(group) == 1 else group[0]
        if len(group) == 1:
            what = f"{spec.nodes[first].kind} {first!r} has no way out"
        else:
            what = f"nodes {_names(group)} form a loop with no way out"
        found.add(
            "no-way-out",
            f"{what}: no hangup, transfer or final say/play can be reached from it, so the caller "
            "can only leave by hanging up (give it a route, on_invalid or max_retries that ends)",
            node=first,
            at=("nodes", first),
            key=True,
        )


def _check_loops(spec: TreeSpec, graph: _Graph, found: IssueCollector) -> None:
    """Loops of nodes that answer nothing themselves (the loader refuses them)."""
    flowing = [
        name
        for name, node in spec.nodes.items()
        if node.kind in PASS_THROUGH or node.kind in ("say", "play")
    ]
    members = set(flowing)

    def onward(name: str) -> list[str]:
        return [target for target in graph.successors(name) if target in members]

    order = {name: index for index, name in enumerate(spec.nodes)}
    for group in components(flowing, onward):
        if len(group) == 1 and group[0] not in onward(group[0]):
            continue
        group.sort(key=order.__getitem__)
        found.add(
            "loop-never-waits",
            f"nodes {_names(group)} loop without ever waiting for the caller (no menu, collect, "
            "transfer or hangup in the loop)",
            node=group[0],
            at=("nodes", group[0]),
            key=True,
        )


def _waits(node: Node) -> bool:
    """Whether the engine's answer stops at this node (it waits for the platform or hangs up)."""
    if node.say is not None:
        return node.say.next is None
    if node.play is not None:
        return node.play.next is None
    return node.kind not in PASS_THROUGH


def _check_chains(spec: TreeSpec, graph: _Graph, found: IssueCollector) -> None:
    """Runs of nodes that never wait, longer than one answer may hold (:data:`MAX_CHAIN`).

    ``length[n]`` is the most nodes an answer starting at ``n`` passes through; computed
    iteratively (depth first, children before parents), so a chain of any length costs linear
    time and no stack. A loop is ``loop-never-waits``'s business: a node met again while its
    own length is pending counts as 0 here."""
    length: dict[str, int] = {}
    pending: set[str] = set()
    for start in spec.nodes:
        stack = [(start, False)]
        while stack:
            name, children_done = stack.pop()
            node = spec.nodes[name]
            if children_done:
                pending.discard(name)
                onward = (
                    0
                    if _waits(node)
                    else max((length.get(t, 0) for t in graph.successors(name)), default=0)
                )
                length[name] = 1 + onward
                continue
            if name in length or name in pending:
                continue
            pending.add(name)
            stack.append((name, True))
            if not _waits(node):
                stack.extend(
                    (t, False)
                    for t in graph.successors(name)
                    if t not in length and t not in pending
                )
    too_long = {name for name, count in length.items() if count > MAX_CHAIN}
    fed = {
        target
        for name in too_long
        if not _waits(spec.nodes[name])
        for target in graph.successors(name)
    }
    for name in spec.nodes:
        if name in too_long and name not in fed:
            found.add(
                "chain-too-long",
                f"{spec.nodes[name].kind} {name!r} starts a run of {length[name]} nodes that "
                f"never waits for the caller; one answer may pass through at most {MAX_CHAIN} "
                "(put a menu, a collect or a final say/play sooner)",
                node=name,
                at=("nodes", name),
                key=True,
            )


def _names(names: list[str]) -> str:
    return ", ".join(repr(name) for name in names)


def _field(field: tuple[str, ...]) -> str:
    if field[:1] == ("cases",) and len(field) == 3:
        return f"case {int(field[1]) + 1}"
    return ".".join(field)
