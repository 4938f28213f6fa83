"""handoff.reporting.vocabulary and GET /vocabulary.js: the pages' labels and colours, from the one list."""
from __future__ import annotations

import json
import re
import urllib.request

from bot.escalation.kinds import Kind
from handoff.reporting import vocabulary


def test_every_kind_has_a_label_and_a_colour() -> None:
    kinds = vocabulary.escalation_kinds()
    assert list(kinds) == [k.value for k in Kind]
    for k in Kind:
        assert kinds[k.value]["label"] == k.label
        assert re.fullmatch(r"#[0-9a-f]{6}", kinds[k.value]["color"])
    assert len({v["color"] for v in kinds.values()}) == len(kinds)  # one colour per series of the chart


def test_the_module_exports_exactly_that_vocabulary() -> None:
    js = vocabulary.javascript()
    body = re.search(r"ESCALATION_KINDS = Object\.freeze\((.*?)\);\n", js, re.DOTALL)
    assert body and json.loads(body.group(1)) == vocabulary.escalation_kinds()
    assert "export const UNKNOWN_KIND_COLOR" in js


def test_the_gateway_serves_it_as_a_javascript_module(bare_gateway: str) -> None:
    with urllib.request.urlopen(f"{bare_gateway}/vocabulary.js", timeout=10) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/javascript")
        assert resp.read().decode() == vocabulary.javascript()
