"""Lint checks on what a caller hears and presses: prompt lengths, templates, the keys a prompt
offers against the routes a menu has, what a menu does with a wrong key, and translations.

How they read a tree:

- **Keys a prompt offers** (``unrouted-digit``): ``press`` followed by keys in a list (``press 1``,
  ``press one or two``, ``press the star key``, ``press 1, 2 or 3``), as digits or English words
  (zero…nine, star, hash, pound). ``unmentioned-route`` is checked only for a menu with at least
  one such phrase, and a route counts as mentioned when its key appears anywhere in any text of
  the menu, in any language, as a number or word (so "Tryk 2 for dansk" mentions 2).
- **Digits a menu can capture** (``route-uncapturable``, ``route-needs-max-digits``): the capture
  is ``defaults.capture`` overlaid with the menu's ``capture``, as the engine sends it. Unset
  ``min_digits`` is 1 (both vendor documents agree). Unset ``complete_on_hash`` is true (both
  agree), and then ``#`` ends the entry and is not part of the digits, so a key with ``#`` is an
  error. Unset ``max_digits`` is unknown (1 in the OpenAPI document, 25 in the guide): a key of
  several digits is then a warning, an explicit ``max_digits`` below its length an error.
- **Templates** (``unknown-template``): ``{name}`` or ``{name:digits}`` in prompts, retry prompts,
  says, goodbyes, play URLs, transfer numbers and route ``set`` values must name a number of
  ``numbers``, ``customer``, a collect's ``variable`` or a key some route ``set``\\s. An error, or a
  warning when the tree has a hook: a hook may set any variable.
- **Hours** (``unknown-calendar``, ``hours-language``): ``{hours:<calendar>}`` names a calendar
  of the tree's ``calendars:`` list (checked with the calendars, in :mod:`ivrkit.trees._lint`);
  a language ivrkit has no words for hours in speaks them in English, a warning.
- **No invalid-input handling** (``no-invalid-handling``): a menu or collect whose
  ``on_invalid`` is ``retry``, with no ``max_retries``, no ``retry_prompt`` and no
  ``failure_message`` (in its capture or ``defaults.capture``): a caller pressing a wrong key
  hears the very same prompt again, forever, and is never told why.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ivrkit.calendars._speech import HOURS_PLACEHOLDER
from ivrkit.trees._context import template_names
from ivrkit.trees._issues import IssueCollector
from ivrkit.trees._model import RETRY, Collect, Menu, Node, Text, TreeSpec
from ivrkit.wire import MAX_TEXT_LENGTH

WORDS = {
    "zero": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "star": "*",
    "hash": "#",
    "pound": "#",
}
_KEY = r"(?:[0-9]+|[*#]|" + "|".join(WORDS) + r")"
_PRESS = re.compile(
    rf"\bpress\s+(?:the\s+)?(?P<keys>{_KEY}(?:\s*(?:,|\bor\b|\band\b)\s*{_KEY})*)(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_KEY_TOKEN = re.compile(rf"(?<![A-Za-z0-9]){_KEY}(?![A-Za-z0-9])", re.IGNORECASE)

Place = tuple[str, ...]


def check_prompts(spec: TreeSpec, found: IssueCollector) -> None:
    _check_lengths(spec, found)
    _check_templates(spec, found)
    _check_languages(spec, found)
    for name, node in spec.nodes.items():
        if node.menu is not None:
            _check_capture(spec, name, node.menu, found)
            _check_offered_keys(name, node.menu, found)
        asking = node.menu or node.collect
        if asking is not None:
            _check_retrying(spec, name, node.kind, asking, found)


def offered_keys(text: str) -> list[str]:
    """Keys a text tells the caller to press, in order (``press one or 2`` → ``["1", "2"]``)."""
    keys: list[str] = []
    for match in _PRESS.finditer(text):
        for token in _KEY_TOKEN.findall(match["keys"]):
            key = WORDS.get(token.lower(), token)
            if key not in keys:
                keys.append(key)
    return keys


def mentioned_keys(text: str) -> set[str]:
    """Every number or key word in a text, however phrased."""
    return {WORDS.get(token.lower(), token) for token in _KEY_TOKEN.findall(text)}


def _versions(text: Text, at: Place) -> Iterator[tuple[str, Place]]:
    """(text, where) for each language of a prompt."""
    if isinstance(text, str):
        yield text, at
    else:
        for language, value in text.items():
            yield value, (*at, language)


def _spoken(spec: TreeSpec) -> Iterator[tuple[str | None, Text, Place]]:
    """Every text the platform speaks: (node, text, where)."""
    for field in ("success_message", "failure_message"):
        value = getattr(spec.defaults.capture, field)
        if value is not None:
            yield None, value, ("defaults", "capture", field)
    for name, node in spec.nodes.items():
        at: Place = ("nodes", name, node.kind)
        asking = node.menu or node.collect
        if asking is not None:
            yield name, asking.prompt, (*at, "prompt")
            if asking.retry_prompt is not None:
                yield name, asking.retry_prompt, (*at, "retry_prompt")
            for field in ("success_message", "failure_message"):
                value = getattr(asking.capture, field)
                if value is not None:
                    yield name, value, (*at, "capture", field)
        if node.say is not None:
            yield name, node.say.text, (*at, "text")
        if node.hangup is not None and node.hangup.say is not None:
            yield name, node.hangup.say, (*at, "say")


def _filled(node: Node) -> Iterator[tuple[Text, Place]]:
    """Every text of a node whose ``{templates}`` the engine fills."""
    asking = node.menu or node.collect
    if asking is not None:
        yield asking.prompt, ("prompt",)
        if asking.retry_prompt is not None:
            yield asking.retry_prompt, ("retry_prompt",)
    if node.menu is not None:
        for digits in node.menu.routes:
            route = node.menu.target(digits)
            for variable, value in (route.set if route else {}).items():
                yield value, ("routes", digits, "set", variable)
    if node.say is not None:
        yield node.say.text, ("text",)
    if node.hangup is not None and node.hangup.say is not None:
        yield node.hangup.say, ("say",)
    if node.play is not None:
        yield node.play.url, ("url",)
    if node.transfer is not None:
        yield node.transfer.to, ("to",)
        yield node.transfer.caller_id, ("caller_id",)


def _check_lengths(spec: TreeSpec, found: IssueCollector) -> None:
    for name, text, at in _spoken(spec):
        for value, where in _versions(text, at):
            if len(value) > MAX_TEXT_LENGTH:
                found.add(
                    "prompt-too-long",
                    f"a text of {len(value)} characters; the platform takes at most "
                    f"{MAX_TEXT_LENGTH}",
                    node=name,
                    at=where,
                )


def set_variables(spec: TreeSpec) -> set[str]:
    """Variables the tree itself sets: collect variables and route ``set`` keys."""
    names: set[str] = set()
    for node in spec.nodes.values():
        if node.collect is not None:
            names.add(node.collect.variable)
        if node.menu is not None:
            for digits in node.menu.routes:
                route = node.menu.target(digits)
                names.update(route.set if route else {})
    return names


def _check_templates(spec: TreeSpec, found: IssueCollector) -> None:
    known = {"customer", *spec.numbers, *set_variables(spec)}
    hooked = any(node.hook is not None for node in spec.nodes.values())
    for name, node in spec.nodes.items():
        reported: set[str] = set()
        for text, field in _filled(node):
            for value, where in _versions(text, ("nodes", name, node.kind, *field)):
                for unknown in template_names(value):
                    if unknown in known or unknown in reported:
                        continue
                    reported.add(unknown)
                    hint = (
                        "; fine if a hook sets it"
                        if hooked
                        else "; the caller would hear it as written"
                    )
                    found.add(
                        "unknown-template",
                        f"{{{unknown}}} is not a number of `numbers`, `customer`, or a variable "
                        f"this tree sets{hint}",
                        node=name,
                        at=where,
                        severity="warning" if hooked else "error",
                    )


def hours_placeholders(spec: TreeSpec) -> Iterator[tuple[str, str, list[str], Place]]:
    """Every ``{hours:<calendar>}`` of the tree's texts: (node, calendar, the languages it is
    spoken in, where)."""
    every = sorted({spec.defaults.language, *spec.languages})
    for name, node in spec.nodes.items():
        for text, field in _filled(node):
            for value, where in _versions(text, ("nodes", name, node.kind, *field)):
                languages = every if isinstance(text, str) else [where[-1]]
                for match in HOURS_PLACEHOLDER.finditer(value):
                    yield name, match[1], languages, where


def _check_languages(spec: TreeSpec, found: IssueCollector) -> None:
    languages = {spec.defaults.language, *spec.languages}
    for name, text, at in _spoken(spec):
        if isinstance(text, str):
            continue
        for code in text:
            if code not in languages:
                found.add(
                    "unknown-language",
                    f"a text in {code!r}, which is not a language of the tree "
                    f"({', '.join(sorted(languages))}); add it to `languages`",
                    node=name,
                    at=(*at, code),
                )
        missing = sorted(languages - set(text))
        if missing:
            found.add(
                "missing-translation",
                f"no text in {', '.join(missing)}; callers in that language hear the "
                f"{spec.defaults.language!r} text",
                node=name,
                at=at,
            )
    for name, node in spec.nodes.items():
        if node.menu is None:
            continue
        for digits in node.menu.routes:
            route = node.menu.target(digits)
            chosen = route.set.get("language") if route else None
            if chosen is not None and "{" not in chosen and chosen not in languages:
                found.add(
                    "unknown-language",
                    f"route {digits!r} sets language {chosen!r}, which is not a language of the "
                    "tree; add it to `languages`",
                    node=name,
                    at=("nodes", name, "menu", "routes", digits, "set", "language"),
                )


def _check_capture(spec: TreeSpec, name: str, menu: Menu, found: IssueCollector) -> None:
    capture = {
        **spec.defaults.capture.model_dump(exclude_unset=True),
        **menu.capture.model_dump(exclude_unset=True),
    }
    least = capture.get("min_digits") or 1
    most = capture.get("max_digits")
    hash_ends = capture.get("complete_on_hash") is not False
    for key in menu.routes:
        at = ("nodes", name, "menu", "routes", key)
        problem = None
        if "#" in key and hash_ends:
            problem = (
                "'#' ends the entry (complete_on_hash is on, the platform's default) and is "
                "not part of the digits; set capture.complete_on_hash: false"
            )
        elif len(key) < least:
            problem = f"it has {len(key)} digit(s) and the menu waits for min_digits {least}"
        elif most is not None and len(key) > most:
            problem = f"it has {len(key)} digits and the menu captures at most {most}"
        if problem is not None:
            found.add(
                "route-uncapturable",
                f"route {key!r} can never be pressed: {problem}",
                node=name,
                at=at,
            )
        elif most is None and len(key) > 1:
            found.add(
                "route-needs-max-digits",
                f"route {key!r} needs {len(key)} digits but max_digits is unset, and the "
                "platform's default is 1 in its OpenAPI document (25 in its guide); set "
                "capture.max_digits",
                node=name,
                at=at,
            )


def _check_offered_keys(name: str, menu: Menu, found: IssueCollector) -> None:
    texts = [(menu.prompt, "prompt")]
    if menu.retry_prompt is not None:
        texts.append((menu.retry_prompt, "retry_prompt"))
    offered: dict[str, Place] = {}
    mentioned: set[str] = set()
    for text, field in texts:
        for value, where in _versions(text, ("nodes", name, "menu", field)):
            mentioned |= mentioned_keys(value)
            for key in offered_keys(value):
                offered.setdefault(key, where)
    for key, where in offered.items():
        if key not in menu.routes:
            found.add(
                "unrouted-digit",
                f"the prompt says 'press {key}' but menu {name!r} has no route for {key!r}",
                node=name,
                at=where,
            )
    if not offered:
        return
    for key in menu.routes:
        if key not in mentioned:
            found.add(
                "unmentioned-route",
                f"route {key!r} is not mentioned by any prompt of menu {name!r}, which tells "
                "callers what to press",
                node=name,
                at=("nodes", name, "menu", "routes", key),
            )


def _check_retrying(
    spec: TreeSpec, name: str, kind: str, asking: Menu | Collect, found: IssueCollector
) -> None:
    at: Place = ("nodes", name, kind)
    failure = {
        **spec.defaults.capture.model_dump(exclude_unset=True),
        **asking.capture.model_dump(exclude_unset=True),
    }.get("failure_message")
    if (
        asking.on_invalid == RETRY
        and asking.max_retries is None
        and asking.retry_prompt is None
        and failure is None
    ):
        found.add(
            "no-invalid-handling",
            f"{kind} {name!r} answers a wrong key with the same prompt, forever and without a "
            "word of why: give it a retry_prompt, a failure_message, max_retries, or an "
            "on_invalid node",
            node=name,
            at=(*at, "on_invalid"),
        )
    counts = RETRY in (asking.on_invalid, asking.on_no_input)
    if asking.on_max_retries is not None and asking.max_retries is None:
        found.add(
            "unused-retry-setting",
            f"on_max_retries is set but max_retries is not, so {kind} {name!r} retries forever",
            node=name,
            at=(*at, "on_max_retries"),
        )
    elif not counts and (asking.max_retries is not None or asking.on_max_retries is not None):
        found.add(
            "unused-retry-setting",
            "max_retries and on_max_retries only count retries, and neither on_invalid nor "
            f"on_no_input of {kind} {name!r} is retry",
            node=name,
            at=(*at, "max_retries" if asking.max_retries is not None else "on_max_retries"),
        )
