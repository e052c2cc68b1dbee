"""Inline validation: every value goes through `ExperimentSpec`, its errors land on the widgets.

`ExperimentSpec.from_dict` reports one error at a time, so `validate_spec` asks again with each
offending value taken out (back to its default) until the spec validates; that way every bad
field is marked at once, each with the `SpecError` message that names it.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from PySide6.QtWidgets import QWidget

from neurolab.errors import SpecError
from neurolab.spec import ExperimentSpec

_FIELD = re.compile(r"^([A-Za-z_][\w.]*): ")
_MAX_ROUNDS = 24


def validate_spec(raw: dict[str, Any]) -> tuple[ExperimentSpec | None, dict[str, str]]:
    """The spec, or None and ``{dotted field: message}`` for every field that is wrong."""
    errors: dict[str, str] = {}
    trial = copy.deepcopy(raw)
    spec: ExperimentSpec | None = None
    for _ in range(_MAX_ROUNDS):
        try:
            spec = ExperimentSpec.from_dict(trial)
            break
        except SpecError as exc:
            message = str(exc)
            fields = _fields_of(message, trial)
            if not fields or all(f in errors for f in fields):
                errors.setdefault(_section_of(message), message)
                break
            for name in fields:
                errors.setdefault(name, message)
                _remove(trial, name)
    return (spec if not errors else None), errors


def _section_of(message: str) -> str:
    """The dotted path a message starts with, cut before a list index (`batch_sizes.1`)."""
    match = _FIELD.match(message)
    if not match:
        return "spec"
    parts = match.group(1).split(".")
    while parts and parts[-1].isdigit():
        parts.pop()
    return ".".join(parts)


def _fields_of(message: str, raw: dict[str, Any]) -> list[str]:
    """The leaf fields a message is about: its path, or for a section-level rule (min > max,
    elites >= population) every field of that section the message names."""
    path = _section_of(message)
    node = _lookup(raw, path)
    if not isinstance(node, dict):
        return [path] if path != "spec" else []
    named = [key for key in node if re.search(rf"\b{re.escape(key)}\b", message[len(path) :])]
    return [f"{path}.{key}" for key in named]


def _lookup(raw: dict[str, Any], dotted: str) -> Any:
    node: Any = raw
    for key in dotted.split("."):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _remove(raw: dict[str, Any], dotted: str) -> None:
    *parents, leaf = dotted.split(".")
    node: Any = raw
    for key in parents:
        node = node.get(key) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(leaf, None)


def mark(widget: QWidget, message: str | None) -> None:
    """A red border and the message as tooltip; None clears both (the stylesheet keys on the
    `invalid` property)."""
    invalid = message is not None
    if widget.property("helpTip") is None:
        widget.setProperty("helpTip", widget.toolTip())  # the help text, restored when valid
    tip = message if invalid else widget.property("helpTip")
    if bool(widget.property("invalid")) == invalid and widget.toolTip() == tip:
        return
    widget.setProperty("invalid", invalid)
    widget.setToolTip(tip)
    # A dynamic property only restyles after an explicit re-polish.
    widget.style().unpolish(widget)
    widget.style().polish(widget)
    widget.update()


def mark_fields(fields: dict[str, QWidget], errors: dict[str, str]) -> list[str]:
    """Mark every widget in `fields` (dotted name -> widget); returns errors no widget shows."""
    for name, widget in fields.items():
        mark(widget, errors.get(name))
    return [message for name, message in errors.items() if name not in fields]
