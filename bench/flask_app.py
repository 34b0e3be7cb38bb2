"""The vendor-style baseline of the webhook benchmark: a Flask backend as 8x8's sample writes one
(run under gunicorn, one sync worker). It parses the JSON, branches on the digit and builds each
callflow dict by hand: no authentication, no validation, no storage, no idempotency. It is the
counter-example ivrkit is measured against, not a pattern (the wire format lives in ivrkit.wire)."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, request

app = Flask(__name__)

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


@app.route("/healthz", methods=["GET"])
def healthz() -> Any:
    return jsonify({"status": "ok"})
