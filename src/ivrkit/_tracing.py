"""OpenTelemetry spans, when the ``otel`` extra is installed and the program has set a tracer
provider; otherwise every call here is a no-op that imports nothing.

>>> with tracing.start("ivrkit.hook", "client", {"url.full": url}) as span:
...     span.set("http.response.status_code", 200)
"""

from __future__ import annotations

from time import monotonic
from types import ModuleType, TracebackType
from typing import Any, Literal

SpanKind = Literal["server", "client", "internal"]
Attributes = dict[str, str | int | float | bool]

_NOT_LOADED: Any = object()
_trace: ModuleType | None = _NOT_LOADED
_context: ModuleType | None = None
_propagate: ModuleType | None = None
_tracers: tuple[object, Any] | None = None
"""(provider, its ivrkit tracer): the tracer of the provider set last."""
_none_until = 0.0
"""Until then (time.monotonic) there is no tracer to look for."""
RECHECK = 1.0
"""Seconds between looks for a tracer provider while none is set."""


def _load() -> ModuleType | None:
    """The OpenTelemetry API, imported on first use; None when it is not installed."""
    global _trace, _context, _propagate
    if _trace is _NOT_LOADED:
        try:
            import opentelemetry.context as context
            import opentelemetry.propagate as propagate
            import opentelemetry.trace as trace
        except ImportError:
            _trace = None
        else:
            _trace, _context, _propagate = trace, context, propagate
    return _trace


def _tracer() -> Any:
    """ivrkit's tracer from the global tracer provider; None while none is set (looked for
    again at most every :data:`RECHECK` seconds: a delivery must not pay for the search)."""
    global _tracers, _none_until
    if _none_until and monotonic() < _none_until:
        return None
    trace = _load()
    if trace is None:
        _none_until = float("inf")
        return None
    provider = trace.get_tracer_provider()
    if isinstance(provider, trace.ProxyTracerProvider):
        _none_until = monotonic() + RECHECK  # nobody collects spans: do not make any
        return None
    _none_until = 0.0
    cached = _tracers
    if cached is not None and cached[0] is provider:
        return cached[1]
    tracer = provider.get_tracer("ivrkit")
    _tracers = (provider, tracer)
    return tracer


def refresh() -> None:
    """Look for the tracer provider again at the next span (call it after setting one, to have
    spans from the very next delivery on rather than within :data:`RECHECK` seconds)."""
    global _none_until
    _none_until = 0.0


class Span:
    """A started span, current in this context until it ends; a no-op when tracing is off."""

    __slots__ = ("_span", "_token")

    def __init__(self, span: Any = None, token: object = None) -> None:
        self._span = span
        self._token = token

    @property
    def recording(self) -> bool:
        return self._span is not None

    def set(self, key: str, value: str | int | float | bool | None) -> None:
        if self._span is not None and value is not None:
            self._span.set_attribute(key, value)

    def fail(self, description: str) -> None:
        """Mark the span as failed."""
        if self._span is not None:
            assert _trace is not None
            self._span.set_status(_trace.Status(_trace.StatusCode.ERROR, description))

    def end(self) -> None:
        span = self._span
        if span is None:
            return
        self._span = None
        assert _context is not None
        try:
            _context.detach(self._token)
        finally:
            span.end()

    def __enter__(self) -> Span:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._span is not None and isinstance(exc, Exception):
            self._span.record_exception(exc)
            self.fail(f"{type(exc).__name__}: {exc}")
        self.end()


NO_SPAN = Span()


def start(name: str, kind: SpanKind, attributes: Attributes | None = None) -> Span:
    """Start a span and make it current (its children are the spans started inside it)."""
    tracer = _tracer()
    if tracer is None:
        return NO_SPAN
    assert _trace is not None and _context is not None
    span = tracer.start_span(name, kind=_KINDS[kind](_trace), attributes=attributes)
    token = _context.attach(_trace.set_span_in_context(span))
    return Span(span, token)


def propagation_headers() -> dict[str, str]:
    """Headers that carry the current span to the server being called (W3C ``traceparent``)."""
    if _tracer() is None:
        return {}
    assert _propagate is not None
    headers: dict[str, str] = {}
    _propagate.inject(headers)
    return headers


_KINDS = {
    "server": lambda trace: trace.SpanKind.SERVER,
    "client": lambda trace: trace.SpanKind.CLIENT,
    "internal": lambda trace: trace.SpanKind.INTERNAL,
}
