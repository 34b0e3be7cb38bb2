"""The tree language as a JSON Schema, for editors that check YAML as it is typed.

It is the :class:`~ivrkit.trees._model.TreeSpec` schema plus what the models accept before they
validate (a node's one-line forms: ``say: text``, ``goto: node``, ``hangup:``), so every file the
loader takes is valid against it. ``docs/tree.schema.json`` is this schema; a test keeps it so.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from ivrkit.trees._model import KINDS, TreeSpec

SCHEMA_ID = "urn:ivrkit:schema:tree"
"""No published URL yet: a URN names the schema until there is one."""
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def tree_schema() -> dict[str, Any]:
    schema = copy.deepcopy(TreeSpec.model_json_schema(by_alias=True))
    node = schema["$defs"]["Node"]
    for kind, short in (("say", "A text to say, then hang up."), ("goto", "The node to go to.")):
        node["properties"][kind]["anyOf"].insert(0, {"type": "string", "description": short})
    node["minProperties"] = 1
    node["maxProperties"] = 1
    node["additionalProperties"] = False
    node["description"] = f"One node: exactly one of {', '.join(KINDS)}."
    return {
        "$schema": DIALECT,
        "$id": SCHEMA_ID,
        **{key: value for key, value in schema.items() if key != "title"},
        "title": "ivrkit IVR tree",
    }


def schema_text() -> str:
    """The schema as ``ivrkit schema`` prints it and ``docs/tree.schema.json`` holds it."""
    return json.dumps(tree_schema(), indent=2, ensure_ascii=False) + "\n"
