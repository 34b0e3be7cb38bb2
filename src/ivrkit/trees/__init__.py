"""IVR trees: the language (model), loading and checking (loader), and answering (engine)."""

from ivrkit.trees.engine import Decision, Engine, Outcome, Position, customer_number
from ivrkit.trees.loader import BUILTIN_FLOWS, Tree, builtin_path, load_tree, parse_tree
from ivrkit.trees.model import TreeSpec

__all__ = [
    "BUILTIN_FLOWS",
    "Decision",
    "Engine",
    "Outcome",
    "Position",
    "Tree",
    "TreeSpec",
    "builtin_path",
    "customer_number",
    "load_tree",
    "parse_tree",
]
