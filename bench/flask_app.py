"""The vendor-style peer of the webhook benchmark: a Flask backend as 8x8's sample writes one
(run under gunicorn, one sync worker). It parses the JSON, branches on the digit and builds each
callflow dict by hand: no authentication, no validation, no idempotency. It is the
counter-example ivrkit is measured against, not a pattern (the wire format lives in ivrkit.wire).

Without ``BENCH_FLASK_DB`` it stores nothing. With it (a SQLite file), every delivery is one
INSERT and one COMMIT before the answer, as a naive backend stores it (WAL and
``synchronous=NORMAL``, the durability ivrkit's SQLite store has).
"""

from __future__ import annotations

import os
import sqlite3
import time
from typing import Any

from flask import Flask, jsonify, request

app = Flask(__name__)

_DB_PATH = os.environ.get("BENCH_FLASK_DB")
_db: sqlite3.Connection | None = None
if _DB_PATH:
    _db = sqlite3.connect(_DB_PATH, check_same_thread=False)
    _db.execute("PRAGMA journal_mode=WAL")
    _db.execute("PRAGMA synchronous=NORMAL")
    _db.execute(
        "CREATE TABLE IF NOT EXISTS deliveries (id INTEGER PRIMARY KEY, event_id TEXT, "
        "session_id TEXT, received_at REAL, body TEXT)"
    )
    _db.commit()


def _store(payload: dict[str, Any]) -> None:
    if _db is not None:
        _db.execute(
            "INSERT INTO deliveries (event_id, session_id, received_at, body) VALUES (?, ?, ?, ?)",
            (
                payload.get("eventId"),
                payload.get("sessionId"),
                time.time(),
                request.get_data(as_text=True),
            ),
        )
        _db.commit()


MENU = (
    "Dear customer, Thank you for contacting Xyz technical support recently. "
    "If you have resolved your issue already, press one. Or press two to speak to an agent."
)


def _menu() -> dict[str, Any]:
    return {
        "clientActionId": "main",
        "callflow": [
            {
                "action": "sayAndCapture",
                "params": {
                    "promptMessage": MENU,
                    "voiceProfile": "en-US-BenjaminRUS",
                    "speed": 1,
                    "repetition": 1,
                    "minDigits": 1,
                    "maxDigits": 1,
                    "digitTimeout": 10000,
                    "overallTimeout": 10000,
                    "completeOnHash": False,
                    "noOfTries": 2,
                    "successMessage": None,
                    "failureMessage": "Invalid input, please try again",
                },
            }
        ],
    }


@app.route("/webhooks/vca", methods=["POST"])
def vca() -> Any:
    data = request.get_json()
    payload = data["payload"]
    _store(payload)
    if data["eventType"] != "CALL_ACTION":
        return jsonify({})
    dtmf = (payload.get("eventData") or {}).get("dtmf")
    if dtmf == "1":
        return jsonify({"clientActionId": "resolved", "callflow": [{"action": "hangup"}]})
    if dtmf == "2":
        return jsonify(
            {
                "clientActionId": "agent",
                "callflow": [
                    {
                        "action": "makeCall",
                        "params": {
                            "source": payload["destination"].lstrip("+"),
                            "destination": "6561115777",
                        },
                    }
                ],
            }
        )
    return jsonify(_menu())


@app.route("/webhooks/vss", methods=["POST"])
def vss() -> Any:
    _store(request.get_json()["payload"])
    return jsonify({})


@app.route("/healthz", methods=["GET"])
def healthz() -> Any:
    return jsonify({"status": "ok"})
