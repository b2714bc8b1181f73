"""Shared CLI plumbing: JSON output, rich console, error translation."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from qmlsec.exceptions import QmlsecError

console = Console(stderr=True)
#: set by a command whose process may end without tearing down the heap (see ``run``)
exit_fast = False
F = TypeVar("F", bound=Callable[..., Any])


def emit_json(obj: Any) -> None:
    """Print exactly one JSON object on stdout."""
    sys.stdout.write(json.dumps(obj, indent=2, sort_keys=True, default=_default) + "\n")
    sys.stdout.flush()


def _default(obj: Any) -> Any:
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    raise TypeError(f"cannot serialise {type(obj).__name__} to JSON")


def handle_errors(func: F) -> F:
    """Turn a :class:`QmlsecError` into a one-line message (and hint) and its exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except QmlsecError as err:
            console.print(f"[bold red]error[/]: {escape(err.message)}", soft_wrap=True)
            if err.hint:
                console.print(f"[yellow]hint[/]: {escape(err.hint)}", soft_wrap=True)
            raise typer.Exit(code=err.exit_code) from err

    return wrapper  # type: ignore[return-value]
