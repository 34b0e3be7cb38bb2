"""The tree engine: from a CALL_ACTION event (digits + `clientActionId`) to the next callflow.

The engine keeps no state between webhooks. Where the call is in the tree, and how many times the
current menu was replayed, travel in the `clientActionId` the platform echoes back (``main``,
``main#2``, with the tree version's tag when a server answers: ``main#2~3fa9c1``; see
:mod:`ivrkit.trees._position`), so any replica can answer any webhook; session variables are
passed in and the changes handed back for the store to keep.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from functools import cached_property

from ivrkit import wire
from ivrkit.calendars import Calendar, Switch
from ivrkit.calendars._speech import HOURS_PLACEHOLDER, spoken_hours
from ivrkit.trees._conditions import holds
from ivrkit.trees._context import CallContext, fill, template_names
from ivrkit.trees._hooks import HookCall, HookFunction, HookRegistry, run_hook
from ivrkit.trees._model import RETRY, Collect, Menu, Node, Text, TreeSpec
from ivrkit.trees._observers import OBSERVERS, tell
from ivrkit.trees._position import (
    ActionId,
    Decision,
    DecisionKind,
    Position,
    RouteKind,
    RouteTaken,
)

SAMPLE_VALUE = "6512345678"
"""Stands in for a session variable when a node is rendered to be checked: digits, so that it
reads as a number where a number is expected (a transfer to a collected number)."""

MAX_CHAIN = 32
"""Most nodes one answer may pass through (say → branch → menu ...)."""


class Engine:
    """Answers events for one tree."""

    def __init__(
        self,
        spec: TreeSpec,
        *,
        hooks: HookRegistry | None = None,
        clock: Callable[[], datetime] | None = None,
        calendars: Mapping[str, Calendar] | None = None,
    ) -> None:
        self.spec = spec
        self.hooks = hooks or HookRegistry()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.calendars: Mapping[str, Calendar] = dict(calendars or {})
        self._said_hours: dict[tuple[str, str], str] = {}
        self.version_tag: str | None = None
        """The version tag written into every `clientActionId` this tree answers (None: none,
        as outside a server); the server sets it (:mod:`ivrkit.server._treeset`)."""

    @cached_property
    def version(self) -> str:
        """The tree's version: a short hash of its content and its calendars'
        (:func:`spec_version`)."""
        return spec_version(self.spec, self.calendars)

    @cached_property
    def uses_calendars(self) -> bool:
        """Whether a branch asks a calendar (the server then reads the emergency switches)."""
        return any(
            case.when.calendar is not None
            for node in self.spec.nodes.values()
            if node.branch is not None
            for case in node.branch.cases
        )

    @cached_property
    def uses_variables(self) -> bool:
        """Whether an answer can depend on session variables (else the server skips them)."""
        spec = self.spec
        if spec.languages:
            return True
        for node in spec.nodes.values():
            if node.collect or node.hook or node.branch:
                return True
            if node.menu and any(
                not isinstance(r, str) and r.set for r in node.menu.routes.values()
            ):
                return True
        known = {*spec.numbers, "customer"}
        texts = spec.model_dump_json(include={"nodes"})
        return any(name not in known for name in template_names(texts))

    @cached_property
    def reads_variables(self) -> bool:
        """Whether an answer can read session variables (a language, a branch, a hook, or a
        template naming one). A tree may set variables (a menu route's ``set:``, a collect)
        without reading them: its answers then depend on the event alone."""
        spec = self.spec
        if spec.languages:
            return True
        if any(node.hook or node.branch for node in spec.nodes.values()):
            return True
        known = {*spec.numbers, "customer"}
        texts = spec.model_dump_json(include={"nodes"})
        return any(name not in known for name in template_names(texts))

    @cached_property
    def uses_hooks(self) -> bool:
        """Whether answering may call a hook (user code or an HTTP request: it may block)."""
        return any(node.hook for node in self.spec.nodes.values())

    def hook(self, name: str) -> Callable[[HookFunction], HookFunction]:
        """Register a Python hook: ``@tree.hook("check_booking")``."""
        return self.hooks.register(name)

    # -- what the platform gets ------------------------------------------------------------------

    def initial_request(
        self,
        customer: str,
        *,
        caller_id: str | None = None,
        client_request_id: str | None = None,
        variables: Mapping[str, str] | None = None,
        run_hooks: bool = True,
        reached: list[str] | None = None,
    ) -> wire.SendCallflowRequest:
        """The Send Callflow body of an outbound call: dial the customer, then the entry node.

        ``run_hooks=False`` takes every hook's default route and every branch's ``else`` on the
        way to the first menu (for checking a tree without calling the user's code). The nodes
        passed are appended to ``reached`` when it is given.
        """
        source = caller_id or self.spec.numbers.get("caller_id")
        if not source:
            raise ValueError("the tree has no numbers.caller_id and no caller ID was given")
        context = CallContext(customer=customer, variables=dict(variables or {}))
        start = Position(self.spec.entry)
        actions, _ = self.render(
            start if run_hooks else self._first_waiting(start), context, reached
        )
        if OBSERVERS and run_hooks:
            tell(self.spec, self.version, context.routes)
        dial = wire.make_call(self.dial(customer), self.dial(self.fill(source, context)))
        request = wire.SendCallflowRequest(callflow=[dial, *actions])
        if client_request_id is not None:
            request.client_request_id = client_request_id
        return request

    def entry_callflow(self, customer: str | None) -> wire.Callflow:
        """The entry node as a VCA answer (the safe fallback), without running hooks."""
        context = CallContext(customer=customer)
        position = self._first_waiting(Position(self.spec.entry))
        actions, where = self.render(position, context)
        return self._callflow(actions, where)

    def answer(
        self,
        event: wire.CallActionEvent,
        variables: Mapping[str, str] | None = None,
        *,
        switches: Mapping[str, Switch] | None = None,
    ) -> Decision:
        """The next callflow for ``event``, given the session's ``variables`` and the emergency
        ``switches`` that are on (by calendar name)."""
        context = CallContext(
            customer=customer_number(event),
            session_id=event.payload.session_id,
            digits=event.digits,
            variables=dict(variables or {}),
            switches=dict(switches or {}),
        )
        entry = Position(self.spec.entry)
        if event.is_new_inbound_call:
            return self._decide(entry, context, DecisionKind.INBOUND)
        action_id = event.payload.client_action_id
        # The first event of an outbound call carries no clientActionId (Send Callflow has none):
        # the callee answered the node the initial request waited at.
        action = ActionId.decode(action_id) if action_id else ActionId(self._first_heard(context))
        if action is not None and action.version and not self.version.startswith(action.version):
            note = (
                f"clientActionId {_shown(action_id)} is of version {action.version} of tree "
                f"{self.spec.name!r}, which is not known; answered version {self.version}"
            )
            return self._decide(entry, context, DecisionKind.STALE, note)
        if action is None or action.position.node not in self.spec.nodes:
            note = f"clientActionId {_shown(action_id)} names no node of tree {self.spec.name!r}"
            return self._decide(entry, context, DecisionKind.STALE, note)
        position = action.position
        return self._decide(self._next_after(position, context), context, heard=position)

    def render(
        self, position: Position, context: CallContext, reached: list[str] | None = None
    ) -> tuple[list[wire.Action], Position | None]:
        """The actions from ``position`` on, through pass-through nodes, up to the first node
        that waits for the platform; and where the call then is (None: it hangs up). The nodes
        passed are appended to ``reached`` when it is given."""
        actions: list[wire.Action] = []
        current: Position | None = position
        for _ in range(MAX_CHAIN):
            if current is None:
                return actions, None
            if reached is not None:
                reached.append(current.node)
            step, following, waits = self._step(current, context)
            actions.extend(step)
            node = self.spec.nodes[current.node]
            if node.say is not None or node.play is not None:
                to = following.node if following is not None else None
                context.routes.append(RouteTaken(current.node, RouteKind.NEXT, None, to))
            if waits:
                return actions, following
            current = following
        raise ValueError(
            f"from node {position.node!r}, {MAX_CHAIN} nodes pass without one that waits for "
            "the caller"
        )

    def node_callflows(self, name: str) -> Iterator[tuple[str, wire.Callflow]]:
        """The callflow a node itself answers, once per language (hooks and branches have
        none); for checking a tree before it meets a caller."""
        node = self.spec.nodes[name]
        if node.kind in ("branch", "hook", "goto"):
            return
        known = {*self.spec.numbers, "customer"}
        names = template_names(node.model_dump_json())
        samples = {name: SAMPLE_VALUE for name in names if name not in known}
        for language in self.languages():
            context = CallContext(
                customer="+6512345678", variables={**samples, "language": language}
            )
            step, following, waits = self._step(Position(name), context)
            yield language, self._callflow(step, following if waits else None)

    def languages(self) -> list[str]:
        return sorted({self.spec.defaults.language, *self.spec.languages})

    # -- moving through the tree -----------------------------------------------------------------

    def _decide(
        self,
        position: Position | None,
        context: CallContext,
        kind: DecisionKind = DecisionKind.ANSWERED,
        note: str | None = None,
        *,
        heard: Position | None = None,
    ) -> Decision:
        if position is None:
            if OBSERVERS:
                tell(self.spec, self.version, context.routes)
            callflow = wire.Callflow(callflow=[wire.hangup()])
            return Decision(
                callflow,
                "(hangup)",
                kind,
                note,
                context.changed,
                heard=heard,
                routes=tuple(context.routes),
            )
        reached: list[str] = []
        actions, where = self.render(position, context, reached)
        if not actions:
            actions = [wire.hangup()]
            where = None
        if OBSERVERS:
            tell(self.spec, self.version, context.routes)
        return Decision(
            self._callflow(actions, where),
            position.node,
            kind,
            note,
            context.changed,
            self.label_of(reached),
            heard=heard,
            routes=tuple(context.routes),
            reached=tuple(reached),
        )

    def label_of(self, reached: list[str]) -> str | None:
        """The outcome label of the last labelled node among ``reached`` (None: no label)."""
        nodes = self.spec.nodes
        for name in reversed(reached):
            label = nodes[name].outcome
            if label is not None:
                return label
        return None

    def _next_after(self, position: Position, context: CallContext) -> Position | None:
        """Where the call goes when the platform reports back from ``position`` (the route
        taken is added to ``context.routes``)."""
        node = self.spec.nodes[position.node]
        kind, value, following = self._leave(node, position, context)
        context.routes.append(
            RouteTaken(position.node, kind, value, following.node if following else None)
        )
        return following

    def _leave(
        self, node: Node, position: Position, context: CallContext
    ) -> tuple[RouteKind, str | None, Position | None]:
        if node.menu is not None:
            digits = context.digits
            route = node.menu.target(digits) if digits else None
            if route is not None and digits is not None:
                for name, value in route.set.items():
                    context.set(name, self.fill(value, context))
                return RouteKind.KEY, digits, Position(route.to)
            return self._retry(node.menu, position, digits)
        if node.collect is not None:
            entry = (context.digits or "").rstrip("#")
            if entry and _collect_accepts(node.collect, entry):
                context.set(node.collect.variable, entry)
                return RouteKind.COLLECTED, None, Position(node.collect.next)
            return self._retry(node.collect, position, entry)
        if node.transfer is not None:
            after = Position(node.transfer.after) if node.transfer.after else None
            return RouteKind.NEXT, None, after
        if node.say is not None:
            return RouteKind.NEXT, None, Position(node.say.next) if node.say.next else None
        if node.play is not None:
            return RouteKind.NEXT, None, Position(node.play.next) if node.play.next else None
        if node.hangup is not None:
            return RouteKind.NEXT, None, None
        # A branch, hook or goto heard back from (it waits for nothing): evaluate it again.
        return RouteKind.GOTO, None, position

    @staticmethod
    def _retry(
        node: Menu | Collect, position: Position, digits: str | None
    ) -> tuple[RouteKind, str | None, Position | None]:
        kind = RouteKind.INVALID if digits else RouteKind.NO_INPUT
        target = node.on_no_input if not digits else node.on_invalid
        if target != RETRY:
            return kind, None, Position(target)
        retries = position.retries + 1
        if node.max_retries is not None and retries > node.max_retries:
            after = Position(node.on_max_retries) if node.on_max_retries else None
            return RouteKind.RETRIES_EXHAUSTED, None, after
        return kind, None, Position(position.node, retries)

    def _first_heard(self, context: CallContext) -> Position:
        """The node an outbound call's initial request waited at: from the entry through
        gotos, branches (decided again, as they were) and says or plays that go on. A hook
        stops the walk (it is not run twice): the call is then answered from the hook."""
        position = Position(self.spec.entry)
        for _ in range(MAX_CHAIN):
            node = self.spec.nodes[position.node]
            if node.goto is not None or node.branch is not None:
                position = self._pick(node, context)[2]
            elif node.say is not None and node.say.next is not None:
                position = Position(node.say.next)
            elif node.play is not None and node.play.next is not None:
                position = Position(node.play.next)
            else:
                return position
        return position

    def _first_waiting(self, position: Position) -> Position:
        """Skip branches and hooks (for the fallback answer, which must not call user code)."""
        for _ in range(MAX_CHAIN):
            node = self.spec.nodes[position.node]
            if node.branch is not None:
                position = Position(node.branch.otherwise)
            elif node.hook is not None:
                position = Position(node.hook.default)
            elif node.goto is not None:
                position = Position(node.goto.node)
            else:
                return position
        return position

    def _step(
        self, position: Position, context: CallContext
    ) -> tuple[list[wire.Action], Position | None, bool]:
        """(actions of one node, the position that follows, whether the call then waits)."""
        node = self.spec.nodes[position.node]
        if node.menu is not None or node.collect is not None:
            return [self._capture(node, position, context)], position, True
        if node.say is not None:
            spoken = node.say
            say = wire.say(
                self.fill(self.text(spoken.text, context), context),
                self.voice(spoken.voice_profile, context),
                repetition=spoken.repetition or self.spec.defaults.repetition,
                speed=spoken.speed or self._speed(context),
            )
            if spoken.next is None:
                return [say, wire.hangup()], None, True
            return [say], Position(spoken.next), False
        if node.play is not None:
            play = wire.play_file(
                self.fill(node.play.url, context), repetition=node.play.repetition
            )
            if node.play.next is None:
                return [play, wire.hangup()], None, True
            return [play], Position(node.play.next), False
        if node.transfer is not None:
            bridge = wire.make_call(
                self.dial(self.fill(node.transfer.to, context)),
                self.dial(self.fill(node.transfer.caller_id, context)),
            )
            return [bridge], position, True
        if node.hangup is not None:
            goodbye: list[wire.Action] = []
            if node.hangup.say is not None:
                text = self.fill(self.text(node.hangup.say, context), context)
                goodbye.append(
                    wire.say(
                        text,
                        self.voice(None, context),
                        speed=self._speed(context),
                        repetition=self.spec.defaults.repetition,
                    )
                )
            return [*goodbye, wire.hangup()], None, True
        return [], self._choose(position.node, node, context), False

    def _choose(self, name: str, node: Node, context: CallContext) -> Position:
        """Where a branch, hook or goto leads (the route taken is added to ``context.routes``)."""
        kind, value, following = self._pick(node, context)
        context.routes.append(RouteTaken(name, kind, value, following.node))
        return following

    def _pick(self, node: Node, context: CallContext) -> tuple[RouteKind, str | None, Position]:
        if node.goto is not None:
            return RouteKind.GOTO, None, Position(node.goto.node)
        if node.branch is not None:
            moment = self.clock()
            for case in node.branch.cases:
                if holds(
                    case.when,
                    context.variables,
                    moment,
                    calendars=self.calendars,
                    switches=context.switches,
                ):
                    return RouteKind.CASE, case.to, Position(case.to)
            return RouteKind.ELSE, None, Position(node.branch.otherwise)
        assert node.hook is not None
        call = HookCall(
            context.session_id, context.customer, context.digits, dict(context.variables)
        )
        result = run_hook(node.hook, call, self.hooks)
        if result is None:
            return RouteKind.DEFAULT, None, Position(node.hook.default)
        for name, value in result.variables.items():
            context.set(name, value)
        to = node.hook.routes.get(result.result)
        if to is None:
            return RouteKind.DEFAULT, result.result, Position(node.hook.default)
        return RouteKind.RESULT, result.result, Position(to)

    def _capture(self, node: Node, position: Position, context: CallContext) -> wire.Action:
        asking = node.menu or node.collect
        assert asking is not None
        text = asking.prompt
        if position.retries and asking.retry_prompt is not None:
            text = asking.retry_prompt
        params: dict[str, object] = {
            "prompt_message": self.fill(self.text(text, context), context),
            "voice_profile": self.voice(asking.voice_profile, context),
        }
        defaults = self.spec.defaults
        if defaults.repetition is not None:
            params["repetition"] = defaults.repetition
        speed = self._speed(context)
        if speed is not None:
            params["speed"] = speed
        params.update(defaults.capture.model_dump(exclude_unset=True))
        if node.collect is not None:
            # The platform reports an entry shorter than minDigits as no digits at all, so the
            # tree would take a short entry for silence: it gets minDigits 1 and the engine
            # judges the length (`_collect_accepts`), so `123#` for 8 digits is a wrong entry.
            params.update(min_digits=1, max_digits=node.collect.max_digits)
        params.update(asking.capture.model_dump(exclude_unset=True))
        for message in ("success_message", "failure_message"):
            if isinstance(params.get(message), str):
                params[message] = self.fill(str(params[message]), context)
        return wire.SayAndCapture(params=wire.SayAndCaptureParams.model_validate(params))

    # -- words and numbers -----------------------------------------------------------------------

    def language(self, context: CallContext) -> str:
        return context.variables.get("language") or self.spec.defaults.language

    def text(self, text: Text, context: CallContext) -> str:
        """The prompt in the caller's language (else the tree's default language)."""
        if isinstance(text, str):
            return text
        language = self.language(context)
        return (
            text.get(language) or text.get(self.spec.defaults.language) or next(iter(text.values()))
        )

    def voice(self, override: str | None, context: CallContext) -> str:
        if override:
            return override
        language = self.spec.languages.get(self.language(context))
        return language.voice_profile if language else self.spec.defaults.voice_profile

    def _speed(self, context: CallContext) -> float | None:
        language = self.spec.languages.get(self.language(context))
        if language is not None and language.speed is not None:
            return language.speed
        return self.spec.defaults.speed

    def fill(self, template: str, context: CallContext) -> str:
        """Replace ``{hours:<calendar>}`` (its weekly hours in the caller's language),
        ``{customer}``, ``{<number name>}`` and ``{<variable>}`` in a template."""
        if "{hours:" in template:
            template = HOURS_PLACEHOLDER.sub(
                lambda match: self._hours(match[1], self.language(context), match[0]), template
            )
        values = {**self.spec.numbers, **context.variables}
        if context.customer:
            values["customer"] = self.dial(context.customer)
        return fill(template, values)

    def _hours(self, calendar: str, language: str, written: str) -> str:
        """A calendar's hours in words, said once per calendar and language (an unknown
        calendar is left as written; lint reports it)."""
        key = (calendar, language)
        said = self._said_hours.get(key)
        if said is None:
            known = self.calendars.get(calendar)
            if known is None:
                return written
            said = self._said_hours[key] = spoken_hours(known, language)
        return said

    def dial(self, number: str) -> str:
        """Write a number in the tree's `dial_format`."""
        digits = number.strip()
        if self.spec.dial_format == "digits":
            return digits.removeprefix("+")
        return digits if digits.startswith("+") or not digits.isdigit() else f"+{digits}"

    def _callflow(self, actions: list[wire.Action], position: Position | None) -> wire.Callflow:
        if position is None:
            return wire.Callflow(callflow=actions)
        action_id = ActionId(position, self.version_tag).encode()
        return wire.Callflow(callflow=actions, client_action_id=action_id)


VERSION_LENGTH = 10
"""Hex digits of a tree version: 40 bits, so two versions of one tree collide only by accident
(one in a trillion pairs)."""


def spec_version(spec: TreeSpec, calendars: Mapping[str, Calendar]) -> str:
    """A tree's version: the start of the SHA-256 of its content in canonical JSON (key order and
    formatting of the YAML file do not change it; any change a caller could notice does,
    including a change to a calendar it uses or to the holidays a calendar imports).

    The one owner of the version: the served tree (:attr:`Engine.version`), ``lint``, ``diff``,
    ``replay`` and the dashboard all come here. ``calendars`` has no default so that no caller
    can forget them (a tree from a file: :func:`ivrkit.trees._loader.file_version`)."""
    content: dict[str, object] = spec.model_dump(mode="json")
    if calendars:
        content["calendar_rules"] = {
            name: {
                "weekly": [[list(span) for span in day] for day in calendar.weekly],
                "zone": calendar.zone.key,
                "holidays": {str(day): label for day, label in sorted(calendar.holidays.items())},
                "overrides": {
                    str(day): [list(span) for span in spans]
                    for day, spans in sorted(calendar.overrides.items())
                },
            }
            for name, calendar in sorted(calendars.items())
        }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:VERSION_LENGTH]


def spec_text(spec: TreeSpec) -> str:
    """The tree's content as JSON of what its file set (what the store keeps of each version):
    ``TreeSpec.model_validate_json`` reads it back to a tree of the same version."""
    return spec.model_dump_json(exclude_unset=True)


SHOWN_ID = 80
"""Most characters of a received `clientActionId` quoted in a note (a tampered one may be long)."""


def _shown(action_id: str | None) -> str:
    if action_id is not None and len(action_id) > SHOWN_ID:
        return f"{action_id[:SHOWN_ID]!r}... ({len(action_id)} characters)"
    return repr(action_id)


def _collect_accepts(collect: Collect, entry: str) -> bool:
    if not entry.isdigit() or not collect.min_digits <= len(entry) <= collect.max_digits:
        return False
    return collect.pattern is None or re.fullmatch(collect.pattern, entry) is not None


def customer_number(event: wire.CallActionEvent) -> str | None:
    """The customer's number: the callee of an outbound call, the caller of an inbound one."""
    payload = event.payload
    if (payload.call_direction or "").upper() == "INBOUND":
        return payload.source
    return payload.destination
