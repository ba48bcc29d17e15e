import xml.etree.ElementTree as ET

import pytest

from accelsmith.verification._regress import grid_specs, regress, write_junit


def test_unknown_kind_is_a_helpful_miss():
    with pytest.raises(ValueError, match=r"^unknown template 'fft'; known: .*requant"):
        grid_specs(["fft"])


def test_every_template_has_specs():
    from accelsmith import hw_templates

    kinds = {s.kind for s in grid_specs()}
    assert kinds == set(hw_templates.known_templates())


def test_junit_lists_failures(tmp_path):
    results = [{"name": "a", "kind": "k", "sim": "icarus", "passed": False, "summary": "x", "diagnostics": [],
                "seconds": 1.0, "cases": [{"case": "c1", "passed": True}, {"case": "c2", "passed": False}]}]
    root = ET.parse(write_junit(results, tmp_path / "j.xml")).getroot()
    assert root.find("testsuite").get("failures") == "1"
    assert [tc.get("name") for tc in root.iter("testcase") if tc.find("failure") is not None] == ["c2[icarus]"]


@pytest.mark.sim
def test_regress_requant_on_icarus(tmp_path):
    report = regress(jobs=2, kinds=["requant"], sims=["icarus"], junit=tmp_path / "r.xml", workdir=tmp_path)
    assert report["failed"] == 0 and report["runs"] == 3
    assert ET.parse(tmp_path / "r.xml").getroot().tag == "testsuites"
