"""``cascade``: the small model's draft is kept when it passes the self-test, else the large one answers."""

from __future__ import annotations

import pytest

from agents_designs import BROKEN_RTL, GOOD_RTL, SPEC, fenced
from agents_oai_server import PLAN_JSON, ScriptedServer, is_plan_request

pytestmark = pytest.mark.sim


def by_model(small_rtl: str):
    def responder(body: dict) -> dict:
        if is_plan_request(body):
            return {"text": PLAN_JSON}
        return fenced(small_rtl if body["model"] == "small" else GOOD_RTL)

    return responder


def _stages(srv) -> dict:
    return {"stages": "openai:small,openai:large"}


# the small model's good design with its internal signals declared `wire` and driven from an always block: the
# mechanical fixes clear that, so it is no reason to ask the large model
FIXABLE = GOOD_RTL.replace("    genvar i;", "    wire [31:0] y_q;\n    always @(posedge clk) y_q <= in_x;\n    genvar i;")


@pytest.mark.parametrize("small_rtl, escalations, models", [(BROKEN_RTL, 1, ["small", "large"]),
                                                            (GOOD_RTL, 0, ["small"]), (FIXABLE, 0, ["small"])])
def test_cascade_escalates_only_when_the_self_test_fails(run_design, small_rtl, escalations, models):
    with ScriptedServer(by_model(small_rtl)) as srv:
        final = run_design(srv, SPEC, backend="cascade", backend_options=_stages(srv))
    assert final["status"] == "verified" and final["iteration"] == 1
    drafted_by = [r["body"]["model"] for r in srv.requests if not is_plan_request(r["body"])]
    assert drafted_by == models
    assert final["cost"].get("escalations", 0) == escalations
    for m in models:
        assert final["cost"][f"tokens_out.{m}"] > 0
