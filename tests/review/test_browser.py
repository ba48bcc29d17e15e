"""The review page in Chromium over real design runs: RTL, diff, failing case, waveform, chart, filters."""

from __future__ import annotations

from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "review"
GOOD_PORTS = ".in_a(in_a), .in_b(in_b)"      # as the gemm template writes them
SWAPPED_PORTS = ".in_a(in_b), .in_b(in_a)"   # the test backends' broken draft

pytestmark = [pytest.mark.browser, pytest.mark.sim]


def test_run_list_shows_both_runs_and_filters_by_status(page, live_server, real_runs):
    page.goto(live_server + "/")
    rows = page.locator("#runs tbody tr")
    assert rows.count() == 2
    assert page.locator(f"#runs a:text-is('{real_runs['failed']}')").count() == 1
    assert page.locator("#runs").inner_text().count("review-flaky") == 1
    page.screenshot(path=str(ARTIFACTS / "run_list.png"))
    page.select_option("select[name=status]", "failed")
    page.click("#filters button")
    page.wait_for_url("**status=failed**")
    assert page.locator("#runs tbody tr").count() == 1
    assert page.locator("#runs tbody").inner_text().startswith(real_runs["failed"])


def test_repaired_run_shows_rtl_diff_failing_case_and_chart(page, live_server, real_runs):
    page.goto(f"{live_server}/runs/{real_runs['repaired']}")
    page.screenshot(path=str(ARTIFACTS / "repaired_run.png"))
    assert GOOD_PORTS in page.locator("#final-rtl").inner_text()
    assert page.locator("#final-rtl pre.code span.k").count() > 0, "RTL is not syntax highlighted"
    diff = page.locator("#iter-2 .diff")
    assert SWAPPED_PORTS in diff.locator(".del").inner_text()
    assert GOOD_PORTS in diff.locator(".add").inner_text()
    failing = page.locator("#iter-1 table.bench tr.fail")
    assert failing.count() >= 1
    assert "expected" in failing.first.inner_text()
    assert failing.first.locator("td").first.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(253, 236, 234)"
    assert page.locator("#iter-2 table.bench tr.fail").count() == 0
    bars = page.locator("#iteration-chart g.iter")
    assert [bars.nth(i).get_attribute("class") for i in range(bars.count())] == ["iter fail", "iter pass"]
    page.locator("#iter-1").screenshot(path=str(ARTIFACTS / "repaired_iter1_failing_cases.png"))
    page.locator("#iter-2").screenshot(path=str(ARTIFACTS / "repaired_iter2_diff.png"))


def test_failing_iteration_shows_waveform_svg(page, live_server, real_runs):
    if not real_runs["wave"]:
        pytest.skip("verilator not installed: no waveform to draw (CI installs it)")
    page.goto(f"{live_server}/runs/{real_runs['repaired']}")
    svg = page.locator("#waveform-svg")
    assert svg.count() == 1
    labels = svg.locator("text").all_text_contents()
    assert {"in_valid", "out_valid", "out_data"} <= set(labels)
    assert svg.locator("path").count() >= 3 and svg.locator("polygon").count() >= 3
    assert ".vcd" in page.locator("#waveform p").inner_text()
    page.locator("#waveform").screenshot(path=str(ARTIFACTS / "failing_iteration_waveform.png"))


def test_lint_failure_links_diagnostic_to_source_line(page, live_server, real_runs):
    page.goto(f"{live_server}/runs/{real_runs['failed']}")
    assert page.locator("#summary td.failed").inner_text() == "failed"
    link = page.locator("#iter-1 table.diagnostics tr.fail a").first
    assert "expected ';'" in page.locator("#iter-1 table.diagnostics tr.fail").first.inner_text()
    target = link.get_attribute("href")
    link.click()
    line = page.locator(f"[id='{target[1:]}']")
    assert page.evaluate("location.hash") == target
    assert line.is_visible(), "the linked RTL line should be opened and scrolled to"
    assert line.inner_text().rstrip().endswith(")"), "the link should land on the line missing its ';'"
    page.locator("#iter-1").screenshot(path=str(ARTIFACTS / "lint_failure.png"))
