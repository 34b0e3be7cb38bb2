"""Placing a tree's outbound callback: Send Callflow with the tree's entry menu, then note the
session in the store, so `ivrkit sessions` shows it before its first webhook arrives.

`ivrkit call`, the ``ivr`` pytest fixture and `ivrkit demo` all place calls through
:func:`place_callback`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from ivrkit.client import VoiceClient
from ivrkit.store import SessionUpdate, Store
from ivrkit.store._records import CALL_PLACED, OutboundCall
from ivrkit.trees import Tree
from ivrkit.wire import SendCallflowResponse

__all__ = ["place_callback", "send_callback"]


def place_callback(
    client: VoiceClient,
    tree: Tree,
    number: str,
    *,
    store: Store,
    client_request_id: str | None = None,
    variables: Mapping[str, str] | None = None,
) -> SendCallflowResponse:
    """Call ``number`` back with ``tree``'s entry menu and record the session in ``store``.

    ``variables`` are the session's variables from the start (a campaign contact's columns):
    the first prompt speaks them and they are stored for the answers that follow.

    Raises the client's :class:`~ivrkit.errors.ApiError` family when the platform refuses the
    call; nothing is recorded then.
    """
    response, call = send_callback(
        client, tree, number, client_request_id=client_request_id, variables=variables
    )
    if call is not None:
        store.record_outbound_calls([call])
    return response


def send_callback(
    client: VoiceClient,
    tree: Tree,
    number: str,
    *,
    client_request_id: str | None = None,
    variables: Mapping[str, str] | None = None,
) -> tuple[SendCallflowResponse, OutboundCall | None]:
    """:func:`place_callback` without the recording: the platform's answer, and the session to
    note with :meth:`~ivrkit.store.Store.record_outbound_calls` (None when no call was made),
    for a caller that records many calls at once."""
    reached: list[str] = []
    request = tree.initial_request(
        number, client_request_id=client_request_id, variables=variables, reached=reached
    )
    placed_at = datetime.now(UTC)
    response = client.send_callflow(request)
    if not response.session_id:
        return response, None
    call = OutboundCall(
        session_id=response.session_id,
        at=placed_at,
        customer=number,
        sub_account_id=client.subaccount,
        flow=tree.name,
        request_id=response.call_flow_request_id,
        client_request_id=client_request_id,
        # The first step of its path: the nodes the callee hears before any event comes.
        step=SessionUpdate(
            response.session_id,
            at=placed_at,
            flow=tree.name,
            version=tree.version,
            route=CALL_PLACED,
            passed=" ".join(reached),
        ),
        variables=dict(variables or {}),
    )
    return response, call
