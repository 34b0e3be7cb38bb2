"""Hooks: the tree asks the user's code (a Python function or an HTTP endpoint) what comes next.

A hook gets the session's variables and answers a result word the tree routes on, optionally
with variables to keep. A hook that fails or times out takes the node's ``default`` route: the
caller is never left without an answer.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ivrkit import _tracing as tracing
from ivrkit.trees._model import Hook

log = logging.getLogger("ivrkit.trees")


@dataclass(frozen=True)
class HookCall:
    """What a hook is told."""

    session_id: str | None
    customer: str | None
    digits: str | None
    variables: Mapping[str, str]

    def to_json(self) -> dict[str, Any]:
        return {
            "sessionId": self.session_id,
            "customer": self.customer,
            "digits": self.digits,
            "variables": dict(self.variables),
        }


@dataclass(frozen=True)
class HookResult:
    """What a hook answers: a result word to route on, and variables to keep."""

    result: str
    variables: dict[str, str] = field(default_factory=dict)


HookFunction = Callable[[HookCall], "HookResult | str"]


class HookRegistry:
    """Python hooks by name: ``@tree.hook("check_booking")``."""

    def __init__(self) -> None:
        self._functions: dict[str, HookFunction] = {}

    def register(self, name: str) -> Callable[[HookFunction], HookFunction]:
        def decorate(function: HookFunction) -> HookFunction:
            self._functions[name] = function
            return function

        return decorate

    def names(self) -> set[str]:
        return set(self._functions)

    def resolve(self, name: str) -> HookFunction | None:
        """A registered function, else ``module:function`` imported; None when neither."""
        if name in self._functions:
            return self._functions[name]
        module_name, _, attribute = name.partition(":")
        if not attribute:
            return None
        try:
            function = getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError):
            return None
        return function if callable(function) else None


def run_hook(hook: Hook, call: HookCall, registry: HookRegistry) -> HookResult | None:
    """Call the hook; None when it failed (the tree then takes the hook's default route)."""
    try:
        if hook.python is not None:
            function = registry.resolve(hook.python)
            if function is None:
                log.error("hook %r is not registered and cannot be imported", hook.python)
                return None
            answer = function(call)
            return HookResult(answer) if isinstance(answer, str) else answer
        assert hook.url is not None
        return _post(hook.url, call, hook.timeout)
    except Exception:  # noqa: BLE001 - user code may fail in any way; the call goes on
        log.exception("hook %s failed", hook.python or hook.url)
        return None


def _post(url: str, call: HookCall, timeout: float) -> HookResult | None:
    """An HTTP hook, in a span of its own when tracing is on (its context goes along in the
    ``traceparent`` header)."""
    import httpx  # here: an HTTP client is only loaded by trees that call one

    attributes: tracing.Attributes = {"http.request.method": "POST", "url.full": _shown(url)}
    with tracing.start("ivrkit.hook", "client", attributes) as span:
        response = httpx.post(
            url, json=call.to_json(), timeout=timeout, headers=tracing.propagation_headers()
        )
        span.set("http.response.status_code", response.status_code)
        response.raise_for_status()
        body = response.json()
        result = body.get("result") if isinstance(body, dict) else None
        if not isinstance(result, str):
            log.error("hook %s answered without a string 'result': %.200s", url, body)
            span.fail("the hook answered without a string 'result'")
            return None
        span.set("ivrkit.hook.result", result)
        variables = body.get("variables") or {}
        return HookResult(result, {str(k): str(v) for k, v in dict(variables).items()})


def _shown(url: str) -> str:
    """The URL without credentials, query or fragment (they may hold secrets)."""
    parsed = urlsplit(url)
    port = f":{parsed.port}" if parsed.port is not None else ""
    return f"{parsed.scheme}://{parsed.hostname or ''}{port}{parsed.path}"
