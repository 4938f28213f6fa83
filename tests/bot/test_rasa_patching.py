"""Rasa members are replaced only on a tested Rasa and only where the target is the member a patch was
written against (bot/rasa_patching.py); a refusal names the target and replaces nothing."""

from __future__ import annotations

from typing import Any

import pytest

from bot import rasa_patching, rasa_speedups
from bot.rasa_patching import Patch, RasaPatchRefused


class Target:
    def method(self, a: int) -> int:
        return a

    @staticmethod
    def static(a: int) -> int:
        return a


def _ours(self: Any, a: int) -> int:
    return -a


def _ours_static(a: int) -> int:
    return -a


@pytest.fixture
def target(monkeypatch: pytest.MonkeyPatch) -> type[Target]:
    """Target with its own members put back after the test."""
    monkeypatch.setattr(Target, "method", Target.__dict__["method"])
    monkeypatch.setattr(Target, "static", Target.__dict__["static"])
    return Target


def _patches(**changes: Any) -> list[Patch]:
    method = Patch(__name__, "Target", "method", ("self", "a"), _ours)
    static = Patch(__name__, "Target", "static", ("a",), _ours_static, static=True)
    return [Patch(**{**vars(method), **changes}), static]


def test_a_tested_rasa_and_matching_targets_are_replaced_and_the_originals_returned(target: type[Target]) -> None:
    original = target.__dict__["method"]
    originals = rasa_patching.install(_patches())
    assert target().method(2) == -2 and target.static(2) == -2
    assert originals[f"{__name__}.Target.method"] is original
    assert all(patch.installed() is patch.replacement for patch in _patches())


def test_an_untested_rasa_version_is_refused_naming_it(target: type[Target], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rasa_patching, "rasa_version", lambda: "3.7.0")
    with pytest.raises(RasaPatchRefused, match=r"not patching rasa: Rasa 3\.7\.0 is untested; tested: 3\.6\.21"):
        rasa_patching.install(_patches())
    assert target().method(2) == 2


@pytest.mark.parametrize("changes, reason", [
    ({"name": "renamed"}, "Target defines no renamed"),
    ({"owner": "Gone"}, "Gone does not exist"),
    ({"module": "tests.bot.no_such_module"}, "does not exist"),
    ({"parameters": ("self", "b")}, r"its parameters are \('self', 'a'\), not \('self', 'b'\)"),
    ({"static": True}, "expected a staticmethod"),
])
def test_a_target_that_is_not_what_the_patch_was_written_against_is_refused_and_nothing_is_replaced(
        target: type[Target], changes: dict[str, Any], reason: str) -> None:
    patches = _patches(**changes)
    with pytest.raises(RasaPatchRefused, match=reason) as refused:
        rasa_patching.install(patches)
    assert refused.value.target == patches[0].target and patches[0].target in str(refused.value)
    assert target().method(2) == 2 and target.static(2) == 2  # the good patch was not installed either


def test_a_member_inherited_or_already_replaced_is_refused(target: type[Target]) -> None:
    class Child(Target):
        pass

    globals()["Child"] = Child
    try:
        with pytest.raises(RasaPatchRefused, match="Child defines no method"):
            rasa_patching.install([Patch(__name__, "Child", "method", ("self", "a"), _ours)])
    finally:
        del globals()["Child"]
    rasa_patching.install(_patches())
    with pytest.raises(RasaPatchRefused, match="already replaced"):
        rasa_patching.install(_patches())


def test_the_speedups_refuse_an_untested_rasa_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rasa_speedups, "_applied", False)
    monkeypatch.setattr(rasa_patching, "rasa_version", lambda: "3.6.22")
    with pytest.raises(RasaPatchRefused, match=r"Rasa 3\.6\.22 is untested"):
        rasa_speedups.apply()


def test_the_speedups_refuse_a_missing_target_naming_it_and_replace_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa.core.policies.rule_policy import RulePolicy

    rasa_speedups.apply()
    for patch in rasa_speedups.PATCHES:  # Rasa as shipped, but for one member it no longer defines
        original = rasa_speedups.RASA_ORIGINALS[patch.target]
        monkeypatch.setattr(patch.owner_class(), patch.name, staticmethod(original) if patch.static else original)
    monkeypatch.delattr(RulePolicy, "_get_possible_keys")
    monkeypatch.setattr(rasa_speedups, "_applied", False)
    with pytest.raises(RasaPatchRefused, match=r"not patching rasa\.core\.policies\.rule_policy\.RulePolicy"
                                                r"\._get_possible_keys: RulePolicy defines no _get_possible_keys"):
        rasa_speedups.apply()
    for patch in (p for p in rasa_speedups.PATCHES if p is not rasa_speedups._RULES):
        assert patch.installed() is rasa_speedups.RASA_ORIGINALS[patch.target], patch.target


def test_every_speedup_target_was_rasas_own_member() -> None:
    rasa_speedups.apply()
    assert set(rasa_speedups.RASA_ORIGINALS) == {patch.target for patch in rasa_speedups.PATCHES}
    for patch in rasa_speedups.PATCHES:
        original = rasa_speedups.RASA_ORIGINALS[patch.target]
        assert (original.__module__, original.__qualname__) == (patch.module, f"{patch.owner}.{patch.name}")
