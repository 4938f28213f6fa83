"""Replacing members of Rasa's classes, only where we know what we replace.

A replacement written against one Rasa release can go wrong silently on another: if Rasa renamed the
member, the assignment would add a dead attribute and every test calling the replacement directly would
still pass; if Rasa changed its signature or moved it to a base class, ours would be called with
arguments it does not expect. So a `Patch` names its target and the signature it was written against,
and `install()` refuses (`RasaPatchRefused`, naming the target) unless

- the installed Rasa is one of `TESTED_RASA_VERSIONS` (the suite ran on it; docs/upgrading-rasa.md),
- the target class defines the member itself, as a function (or staticmethod) of that class and module,
  with the parameter names it was written against.

A refusal changes nothing: every target is checked before the first one is replaced.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

# The Rasa releases the whole suite (tests/bot/test_rasa_speedups.py, tests/handoff/assistant/) has run on.
# Add one only after that: docs/upgrading-rasa.md.
TESTED_RASA_VERSIONS = frozenset({"3.6.21"})


class RasaPatchRefused(RuntimeError):
    """A replacement was not installed: the Rasa version is untested, or its target is not what it was
    written against. `target` is the member ("rasa.core.processor.MessageProcessor.run") or "rasa"."""

    def __init__(self, target: str, reason: str) -> None:
        super().__init__(f"not patching {target}: {reason} (see docs/upgrading-rasa.md)")
        self.target = target
        self.reason = reason


@dataclass(frozen=True)
class Patch:
    """Replace `module.owner.name` (Rasa's, with `parameters`) by `replacement`."""

    module: str
    owner: str
    name: str
    parameters: tuple[str, ...]
    replacement: Callable[..., Any]
    static: bool = False

    @property
    def target(self) -> str:
        return f"{self.module}.{self.owner}.{self.name}"

    def owner_class(self) -> Any:
        return getattr(importlib.import_module(self.module), self.owner)

    def installed(self) -> Callable[..., Any] | None:
        """The function the owner class holds under `name` now (a staticmethod unwrapped); None if none."""
        raw = self.owner_class().__dict__.get(self.name)
        return getattr(raw, "__func__", raw)

    def original(self) -> Callable[..., Any]:
        """Rasa's member, checked to be the one this patch was written against; raises RasaPatchRefused."""
        try:
            owner = self.owner_class()
        except (ImportError, AttributeError) as exc:
            raise RasaPatchRefused(self.target, f"{self.module}.{self.owner} does not exist ({exc})") from None
        raw = owner.__dict__.get(self.name)
        if raw is None:
            raise RasaPatchRefused(self.target, f"{self.owner} defines no {self.name}")
        if isinstance(raw, staticmethod) != self.static:
            raise RasaPatchRefused(self.target, "expected a " + ("staticmethod" if self.static else "method"))
        func = getattr(raw, "__func__", raw)
        if func is self.replacement:
            raise RasaPatchRefused(self.target, "already replaced")
        if not inspect.isfunction(func) or func.__module__ != self.module or \
                func.__qualname__ != f"{self.owner}.{self.name}":
            raise RasaPatchRefused(self.target, f"it is {func!r}, not Rasa's own function")
        found = tuple(inspect.signature(func).parameters)
        if found != self.parameters:
            raise RasaPatchRefused(self.target, f"its parameters are {found}, not {self.parameters}")
        return func


def rasa_version() -> str:
    from rasa.version import __version__

    return __version__


def check_version(version: str | None = None) -> None:
    version = rasa_version() if version is None else version
    if version not in TESTED_RASA_VERSIONS:
        raise RasaPatchRefused("rasa", f"Rasa {version} is untested; tested: {', '.join(sorted(TESTED_RASA_VERSIONS))}")


def install(patches: Sequence[Patch]) -> dict[str, Callable[..., Any]]:
    """Check the Rasa version and every target, then replace them all; Rasa's originals by target.
    Raises RasaPatchRefused (nothing replaced) where a check fails."""
    check_version()
    originals = {patch.target: patch.original() for patch in patches}
    for patch in patches:
        value = staticmethod(patch.replacement) if patch.static else patch.replacement
        setattr(patch.owner_class(), patch.name, value)
    return originals
