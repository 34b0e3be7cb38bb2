"""The pages' figures against what the simulator was asked to do: three calls of the simple IVR
(one resolves at once, one goes to the agent, one presses 9 then 1) and a campaign of two calls
(one resolves, one goes to the agent) and a do-not-call contact."""

from __future__ import annotations

from html.parser import HTMLParser

from ivrkit.dashboard._browse import Browser
from ivrkit.dashboard._timeline import timeline
from ivrkit.store import Store
from tests.dashboard.conftest import CAMPAIGN, Calls, Serve


class Elements(HTMLParser):
    """Every element's attributes and its text (its children's included), in document order."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str], list[str]]] = []
        self._open: list[int] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {k: v or "" for k, v in attrs}, []))
        if tag not in ("input", "meta", "link", "br", "img"):
            self._open.append(len(self.found) - 1)

    def handle_endtag(self, tag: str) -> None:
        if self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for index in self._open:
            self.found[index][2].append(data)

    def by(self, **attrs: str) -> list[tuple[dict[str, str], str]]:
        wanted = {k.replace("_", "-"): v for k, v in attrs.items()}
        return [
            (found, "".join(text).strip())
            for _, found, text in self.found
            if all(found.get(k) == v for k, v in wanted.items())
        ]

    def text(self, testid: str) -> str:
        matches = self.by(data_testid=testid)
        assert len(matches) == 1, f"{testid}: {len(matches)} elements"
        return matches[0][1]


def test_the_overview_counts_the_calls(serve: Serve, calls: Calls) -> None:
    page = Elements(serve().get("/dashboard/").text)
    assert page.text("stat-calls-today") == "5"
    assert page.text("stat-calls-range") == "5"
    assert page.text("stat-containment") == "60.0%"  # 3 resolved of 5 ended
    assert page.text("stat-agent-rate") == "40.0%"
    assert page.text("stat-abandon-rate") == "0.0%"
    assert page.text("stat-in-progress") == "0"
    assert page.by(data_testid="chart-calls")
    live = {attrs["data-session-id"] for attrs, _ in page.by(data_testid="live-call")}
    assert live == set(calls.all)


def test_the_overview_range_and_tree_filter(serve: Serve, calls: Calls) -> None:
    client = serve()
    later = Elements(client.get("/dashboard/", params={"since": "2099-01-01"}).text)
    assert later.by(data_testid="page-error")
    empty = Elements(client.get("/dashboard/", params={"flow": "another"}).text)
    assert empty.text("stat-calls-range") == "0"
    body = client.get("/dashboard/api/overview", params={"flow": "simple_ivr"}).json()
    assert (body["sessions"], body["contained"], body["transferred"]) == (5, 3, 2)


def test_the_tree_view_shows_the_funnel_on_the_diagram_and_in_the_table(
    serve: Serve, calls: Calls
) -> None:
    client = serve()
    trees = Elements(client.get("/dashboard/trees").text)
    assert [attrs["data-flow"] for attrs, _ in trees.by(data_testid="tree-row")] == ["simple_ivr"]
    page = Elements(client.get("/dashboard/trees/simple_ivr").text)
    main = [attrs for attrs, _ in page.by(data_node="main") if "data-reached" in attrs]
    assert main and main[0]["data-reached"] == "5" and main[0]["data-dropped"] == "0"
    edges = {
        (attrs["data-from"], attrs["data-to"]): int(attrs["data-count"])
        for _, attrs, _ in page.found
        if "data-count" in attrs
    }
    assert edges[("main", "resolved")] == 3
    assert edges[("main", "agent")] == 2
    table = _node_table(page)
    assert table["main"]["reached"] == "5"
    assert table["main"]["key:1"] == "3"
    assert table["main"]["key:2"] == "2"
    assert table["main"]["invalid"] == "1"
    assert table["resolved"]["reached"] == "3"
    assert table["agent"]["reached"] == "2"


def _node_table(page: Elements) -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = {}
    current = None
    for tag, attrs, text in page.found:
        if tag == "tr" and "data-node" in attrs:
            current = table.setdefault(attrs["data-node"], {})
        elif tag == "td" and current is not None and "data-field" in attrs:
            current[attrs["data-field"]] = "".join(text).strip()
    return table


def test_the_funnel_api_mirrors_the_table(serve: Serve, calls: Calls) -> None:
    body = serve().get("/dashboard/api/funnel/simple_ivr").json()
    assert body["nodes"]["main"]["reached"] == 5
    assert body["nodes"]["main"]["keys"] == {"1": 3, "2": 2}


def test_sessions_filters(serve: Serve, calls: Calls) -> None:
    client = serve()

    def listed(**params: str) -> tuple[str, set[str]]:
        page = Elements(client.get("/dashboard/sessions", params=params).text)
        rows = {attrs["data-session-id"] for attrs, _ in page.by(data_testid="session-row")}
        return page.text("session-count"), rows

    assert listed() == ("5", set(calls.all))
    assert listed(outcome="agent")[1] == {calls.agent, calls.campaign[1]}
    assert listed(outcome="resolved", number="+65 1234 5678")[1] == {calls.resolved, calls.retried}
    assert listed(campaign=CAMPAIGN)[1] == set(calls.campaign)
    assert listed(q=calls.retried[:13])[1] == {calls.retried}
    assert listed(q="98765432")[1] == {calls.agent}
    assert listed(status="IN_PROGRESS") == ("0", set())
    assert listed(status="COMPLETED", flow="simple_ivr")[0] == "5"
    assert listed(outcome="hung-up") == ("0", set())
    assert listed(since="2099-01-01") == ("0", set())
    bad = client.get("/dashboard/sessions", params={"since": "yesterday-ish"})
    assert bad.status_code == 400 and 'data-testid="page-error"' in bad.text


def test_sessions_paging(serve: Serve, calls: Calls) -> None:
    client = serve()
    seen: list[str] = []
    page = Elements(client.get("/dashboard/sessions", params={"per_page": "2"}).text)
    assert not page.by(data_testid="page-prev")
    while True:
        seen += [attrs["data-session-id"] for attrs, _ in page.by(data_testid="session-row")]
        following = page.by(data_testid="page-next")
        if not following:
            break
        page = Elements(client.get(following[0][0]["href"].replace("&amp;", "&")).text)
        assert page.by(data_testid="page-prev")
    assert len(seen) == 5 and set(seen) == set(calls.all)


def test_the_timeline_of_a_call_that_pressed_a_wrong_key(serve: Serve, calls: Calls) -> None:
    page = Elements(serve().get(f"/dashboard/sessions/{calls.retried}").text)
    entries = [(attrs, text) for attrs, text in page.by(data_testid="timeline-entry")]
    kinds = [attrs["data-kind"] for attrs, _ in entries]
    keys = [text.split() for attrs, text in entries if attrs["data-kind"] == "keys"]
    assert [words[2] for words in keys] == ["9", "1"]  # time, kind, the keys, at node
    prompts = " ".join(text for attrs, text in entries if attrs["data-kind"] == "prompt")
    assert "Sorry, we did not understand your response" in prompts
    answers = [attrs for attrs, _ in entries if attrs["data-kind"] == "answer"]
    assert len(answers) == 2
    assert all(float(attrs["data-latency-ms"]) >= 0 for attrs in answers)
    assert kinds.count("summary") == 1 and kinds.count("leg") == 1
    assert kinds.index("summary") > kinds.index("answer")
    assert "webhook" in kinds


def test_the_timeline_of_a_transfer_shows_both_legs(serve: Serve, calls: Calls) -> None:
    page = Elements(serve().get(f"/dashboard/sessions/{calls.agent}").text)
    legs = [
        text for attrs, text in page.by(data_testid="timeline-entry") if attrs["data-kind"] == "leg"
    ]
    assert len(legs) == 2
    missing = serve().get("/dashboard/sessions/no-such-session")
    assert missing.status_code == 404


def test_the_timeline_is_oldest_first_with_the_legs_where_they_began(
    store: Store, calls: Calls
) -> None:
    detail = Browser(store).detail(calls.agent)
    assert detail is not None and detail.summary is not None
    entries = timeline(detail, show_numbers=False)
    times = [entry.at for entry in entries if entry.at is not None]
    assert times == sorted(times)
    first_leg = min(leg.initiated for leg in detail.summary.legs if leg.initiated)
    assert first_leg <= detail.deliveries[0].received_at
    # A callback: the Send Callflow that placed it, then the leg it made.
    assert [entry.kind for entry in entries[:2]] == ["placed", "leg"]


def test_the_campaigns_page_counts_contacts_calls_and_outcomes(serve: Serve, calls: Calls) -> None:
    page = Elements(serve().get("/dashboard/campaigns").text)
    rows = page.by(data_testid="campaign-row")
    assert [attrs["data-campaign"] for attrs, _ in rows] == [CAMPAIGN]
    cells = {
        attrs["data-field"]: text
        for tag, attrs, text in [(t, a, "".join(x).strip()) for t, a, x in page.found]
        if tag == "td" and "data-field" in attrs
    }
    assert cells["contacts"] == "3"
    assert (cells["called"], cells["skipped"], cells["cancelled"]) == ("2", "1", "0")
    assert cells["pending"] == "0"
    assert cells["calls"] == "2"
    assert cells["outcome:resolved"] == "1"
    assert cells["outcome:agent"] == "1"
    assert cells["outcome:do-not-call"] == "1"
