"""OpenTelemetry spans, collected with the SDK's in-memory exporter: one per delivery with its
attributes, one per HTTP hook inside it (its context sent along in `traceparent`); and nothing at
all when the extra is missing or no tracer provider is set."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ivrkit import _tracing as tracing
from ivrkit._serving import BackgroundServer, free_port
from ivrkit.server import create_app
from ivrkit.trees import parse_tree
from tests.server.observing import call_action, hook_tree_text, summary

_EXPORTER = InMemorySpanExporter()


@pytest.fixture()
def spans() -> Iterator[InMemorySpanExporter]:
    """The process's tracer provider (set once: OpenTelemetry refuses to replace it)."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
        trace.set_tracer_provider(provider)
    tracing.refresh()
    _EXPORTER.clear()
    yield _EXPORTER
    _EXPORTER.clear()


@pytest.fixture()
def hook_server() -> Iterator[tuple[str, list[str]]]:
    """An HTTP hook that answers "ok" and notes the traceparent header of each call."""
    seen: list[str] = []

    async def hook(request: Request) -> JSONResponse:
        seen.append(request.headers.get("traceparent", ""))
        return JSONResponse({"result": "ok"})

    with BackgroundServer(Starlette(routes=[Route("/hook", hook, methods=["POST"])])) as server:
        yield server.url + "/hook", seen


def _named(finished: tuple[ReadableSpan, ...], name: str) -> list[ReadableSpan]:
    return [span for span in finished if span.name == name]


@pytest.mark.e2e
def test_a_delivery_and_its_hook_are_spans_of_one_trace(
    spans: InMemorySpanExporter, hook_server: tuple[str, list[str]], tmp_path: Path
) -> None:
    hook_url, traceparents = hook_server
    app = create_app(parse_tree(hook_tree_text(hook_url)), db=f"sqlite:///{tmp_path / 'x.db'}")
    with BackgroundServer(app) as server:
        event = call_action("e-1", "1", session_id="s-1", action_id="main")
        assert httpx.post(server.url + "/webhooks/vca", json=event).status_code == 200

    finished = spans.get_finished_spans()
    (delivery,) = _named(finished, "ivrkit.delivery")
    (hook,) = _named(finished, "ivrkit.hook")
    assert delivery.kind is trace.SpanKind.SERVER
    assert dict(delivery.attributes or {}) == {
        "ivrkit.channel": "vca",
        "ivrkit.event_type": "CALL_ACTION",
        "ivrkit.session_id": "s-1",
        "ivrkit.event_id": "e-1",
        "ivrkit.client_action_id": "main",
        "ivrkit.outcome": "answered",
        "http.response.status_code": 200,
    }
    assert delivery.status.is_ok
    assert hook.kind is trace.SpanKind.CLIENT
    assert hook.parent is not None and hook.parent.span_id == delivery.context.span_id
    assert hook.context.trace_id == delivery.context.trace_id
    assert dict(hook.attributes or {}) == {
        "http.request.method": "POST",
        "url.full": hook_url,
        "http.response.status_code": 200,
        "ivrkit.hook.result": "ok",
    }
    # The hook's server can continue the trace: W3C traceparent 00-<trace id>-<span id>-<flags>.
    (traceparent,) = traceparents
    version, trace_id, parent_id, _ = traceparent.split("-")
    assert (version, trace_id, parent_id) == (
        "00",
        f"{hook.context.trace_id:032x}",
        f"{hook.context.span_id:016x}",
    )


@pytest.mark.e2e
def test_a_failing_hook_is_a_failed_span_with_its_exception(
    spans: InMemorySpanExporter, tmp_path: Path
) -> None:
    dead = f"http://user:secret@127.0.0.1:{free_port()}/hook?token=t"
    app = create_app(parse_tree(hook_tree_text(dead)), db=f"sqlite:///{tmp_path / 'x.db'}")
    with BackgroundServer(app) as server:
        event = call_action("e-2", "1", session_id="s-2", action_id="main")
        assert httpx.post(server.url + "/webhooks/vca", json=event).status_code == 200
    (hook,) = _named(spans.get_finished_spans(), "ivrkit.hook")
    assert not hook.status.is_ok
    assert [event.name for event in hook.events] == ["exception"]
    url = str((hook.attributes or {})["url.full"])
    assert "secret" not in url and "token" not in url  # credentials and query stay out


@pytest.mark.e2e
def test_a_summary_span_has_no_event_id(spans: InMemorySpanExporter, tmp_path: Path) -> None:
    body = summary("s-3", "BUSY")
    app = create_app(db=f"sqlite:///{tmp_path / 'x.db'}")
    with BackgroundServer(app) as server:
        assert httpx.post(server.url + "/webhooks/vss", json=body).status_code == 200
    (delivery,) = _named(spans.get_finished_spans(), "ivrkit.delivery")
    attributes = dict(delivery.attributes or {})
    assert attributes["ivrkit.outcome"] == "summary"
    assert attributes["ivrkit.session_id"] == "s-3"
    assert "ivrkit.event_id" not in attributes


def test_no_spans_are_made_while_no_tracer_provider_is_set(
    spans: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(trace, "get_tracer_provider", trace.ProxyTracerProvider)
    monkeypatch.setattr(tracing, "_none_until", 0.0)
    assert tracing.start("ivrkit.delivery", "server") is tracing.NO_SPAN
    assert tracing.propagation_headers() == {}
    monkeypatch.undo()  # a provider is set again: the next look finds it
    tracing.refresh()
    with tracing.start("ivrkit.delivery", "server") as span:
        assert span.recording


def test_without_the_extra_tracing_is_a_no_op(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [name for name in sys.modules if name.split(".")[0] == "opentelemetry"]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "opentelemetry", None)
    monkeypatch.setattr(tracing, "_trace", tracing._NOT_LOADED)
    monkeypatch.setattr(tracing, "_none_until", 0.0)
    with tracing.start("ivrkit.hook", "client", {"url.full": "http://x"}) as span:
        span.set("http.response.status_code", 200)
    assert span is tracing.NO_SPAN and not span.recording
    assert tracing.propagation_headers() == {}
    assert tracing._trace is None


@pytest.mark.e2e
def test_importing_ivrkit_does_not_import_opentelemetry() -> None:
    import subprocess

    code = "import sys, ivrkit.server, ivrkit.trees; print('opentelemetry' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
