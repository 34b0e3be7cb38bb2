"""Lint checks against the platform: voice profiles it knows, and every callflow the tree would
answer (each node, in each language, and the initial callback request), judged by
:func:`ivrkit.rules.validate` as the platform would."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import ValidationError

from ivrkit import rules, wire
from ivrkit.trees._context import CallContext
from ivrkit.trees._engine import Engine
from ivrkit.trees._issues import IssueCollector, suggest
from ivrkit.trees._model import TreeSpec
from ivrkit.trees._parse import SAMPLE_CUSTOMER

_VOICE_CODE = -1002
"""Left out of ``callflow-rejected``: every voice profile is already ``unknown-voice-profile``."""


def check_voices(spec: TreeSpec, known: frozenset[str], found: IssueCollector) -> None:
    places: list[tuple[str, str | None, tuple[str, ...]]] = [
        (spec.defaults.voice_profile, None, ("defaults", "voice_profile"))
    ]
    places += [
        (language.voice_profile, None, ("languages", code, "voice_profile"))
        for code, language in spec.languages.items()
    ]
    for name, node in spec.nodes.items():
        voice = getattr(node.body, "voice_profile", None)
        if isinstance(voice, str) and voice:
            places.append((voice, name, ("nodes", name, node.kind, "voice_profile")))
    for voice, node_name, at in places:
        if voice not in known:
            found.add(
                "unknown-voice-profile",
                f"voice profile {voice!r} is not one the platform knows (it would answer -1002)"
                f"{suggest(voice, known)}",
                node=node_name,
                at=at,
            )


def check_callflows(spec: TreeSpec, platform: rules.Platform | None, found: IssueCollector) -> None:
    """What the platform says of each node's callflow, in every language, and of the initial
    request. Nodes with a text over the limit are skipped (already ``prompt-too-long``)."""
    engine = Engine(spec)
    languages = engine.languages()
    long_default = any(i.code == "prompt-too-long" and i.node is None for i in found.issues)
    for name, node in spec.nodes.items():
        if "prompt-too-long" in found.codes_for(name) or (
            long_default and (node.menu or node.collect)
        ):
            continue
        at = ("nodes", name)
        try:
            callflows = list(engine.node_callflows(name))
        except ValueError as exc:  # pydantic's ValidationError is a ValueError
            found.add(
                "callflow-rejected",
                f"node {name!r}: its callflow cannot be built: {_first_error(exc)}",
                node=name,
                at=at,
                key=True,
            )
            continue
        refused: dict[tuple[int, str], list[str]] = {}
        for language, callflow in callflows:
            finding = _refusal(callflow, rules.Mode.ANSWER, platform)
            if finding is not None:
                refused.setdefault((finding.code, finding.message), []).append(language)
        for (code, message), failing in refused.items():
            only = f" (language {', '.join(failing)})" if len(failing) < len(languages) else ""
            found.add(
                "callflow-rejected",
                f"node {name!r}{only} answers a callflow the platform refuses: {code} {message}",
                node=name,
                at=at,
                key=True,
            )
    source = spec.numbers.get("caller_id")
    blocking = {
        "dangling-target",
        "retry-not-allowed",
        "loop-never-waits",
        "chain-too-long",
        "prompt-too-long",
    }
    if source and not any(issue.code in blocking for issue in found.issues):
        _check_initial_request(engine, source, platform, found)


def _check_initial_request(
    engine: Engine, source: str, platform: rules.Platform | None, found: IssueCollector
) -> None:
    """The Send Callflow body of a callback, built like ``Engine.initial_request`` but without
    running hooks (lint calls no user code)."""
    context = CallContext(customer=SAMPLE_CUSTOMER)
    try:
        start = engine.entry_callflow(SAMPLE_CUSTOMER)
        dial = wire.make_call(
            engine.dial(SAMPLE_CUSTOMER), engine.dial(engine.fill(source, context))
        )
    except ValueError as exc:
        found.add(
            "callflow-rejected",
            f"the initial callflow cannot be built: {_first_error(exc)}",
            at=("numbers", "caller_id"),
        )
        return
    request = wire.SendCallflowRequest(callflow=[dial, *start.callflow])
    # The entry node's own actions were judged with the node; only the call itself is new here.
    finding = _refusal(request, rules.Mode.REQUEST, platform, _about_the_call)
    if finding is not None:
        found.add(
            "callflow-rejected",
            "the initial callflow (a callback from numbers.caller_id) is refused by the "
            f"platform: {finding.code} {finding.message}",
            at=("numbers", "caller_id"),
        )


def _refusal(
    body: rules.Body,
    mode: rules.Mode,
    platform: rules.Platform | None,
    keep: Callable[[rules.Finding], bool] = lambda finding: True,
) -> rules.Finding | None:
    verdict = rules.validate(body, mode=mode, platform=platform)
    return next((f for f in verdict.findings if f.code != _VOICE_CODE and keep(f)), None)


def _about_the_call(finding: rules.Finding) -> bool:
    """A finding on the request or its makeCall, not on the entry node's actions after it."""
    path = finding.path or "$"
    return not path.startswith("$.callflow[") or path.startswith("$.callflow[0]")


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"{where}: {first['msg']}" if where else str(first["msg"])
    return str(exc)
