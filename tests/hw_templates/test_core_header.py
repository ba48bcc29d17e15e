"""The template modules' headers are generated from the spec's ports: every shipped Verilog file has one header line,
the rendered module declares the spec's fields with widths that evaluate to the spec's, and a core whose width
disagrees with its spec (or whose file has no header line) is refused with a one-line reason."""

from dataclasses import replace

import pytest
from pyslang.ast import Compilation
from pyslang.syntax import SyntaxTree

from accelsmith.hw_templates._base import HEADER, TEMPLATES, VerilogTemplate, core_text
from accelsmith.spec import spec_from_dict


def _plain_templates():
    for kind in TEMPLATES.names():
        t = TEMPLATES.get(kind)
        if isinstance(t, VerilogTemplate):
            yield kind, t


@pytest.mark.parametrize("kind", [k for k, _ in _plain_templates()])
def test_rendered_core_declares_the_specs_ports(kind):
    t = TEMPLATES.get(kind)
    spec = spec_from_dict({"kind": kind})
    core = t.core(spec)
    text = t.render(spec).files[core.source]
    assert HEADER not in text
    tree = SyntaxTree.fromText(text)
    comp = Compilation()
    comp.addSyntaxTree(tree)
    assert not [d for d in comp.getAllDiagnostics() if d.isError()]
    body = comp.getRoot().topInstances[0].body
    widths = {p.name: p.type.bitWidth for p in body.portList}
    ports = spec.ports()
    for side in ("in", "out"):
        for f in ports[side]["fields"].values():
            assert widths[f["signal"]] == f["lanes"] * f["bits"], f["signal"]
    assert {ports["clock"], ports["reset_n"], ports["in"]["valid"], ports["out"]["ready"]} <= set(widths)


def test_every_shipped_template_file_has_one_header_line():
    for _, t in _plain_templates():
        for f in t.folder.glob("*.v"):
            assert f.read_text().count(HEADER) == 1, f.name


def test_a_width_that_disagrees_with_the_spec_is_refused():
    t = TEMPLATES.get("add")
    spec = spec_from_dict({"kind": "add"})
    core = t.core(spec)
    wrong = replace(core, widths={**core.widths, "out_y": "LANES*IW+1"})
    with pytest.raises(ValueError, match=r"add: port out_y is LANES\*IW\+1 = 65 bits, the spec says 8 x 8"):
        core_text(t.folder, wrong, spec.ports())
    missing = replace(core, widths={"in_a": "LANES*IW"})
    with pytest.raises(ValueError, match="no width for port 'in_b'"):
        core_text(t.folder, missing, spec.ports())
    with pytest.raises(ValueError, match="only names, integers"):
        core_text(t.folder, replace(core, widths={**core.widths, "in_a": "__import__('os')"}), spec.ports())


def test_a_file_without_its_header_line_is_refused(tmp_path):
    t = TEMPLATES.get("add")
    spec = spec_from_dict({"kind": "add"})
    (tmp_path / "add.v").write_text((t.folder / "add.v").read_text().replace(HEADER, ""))
    with pytest.raises(ValueError, match="add.v: needs exactly one line '// @header'"):
        core_text(tmp_path, t.core(spec), spec.ports())


def test_a_module_reads_the_same_for_every_spec_of_its_kind():
    """Mutation over a grid (``mutate_across``) mutates the one text every spec renders, so the generated header
    must not depend on the spec (its parameter defaults come from the kind's default spec)."""
    from accelsmith.verification.campaigns.regress import grid_specs

    for kind in TEMPLATES.names():
        texts: dict[str, set[str]] = {}
        for s in grid_specs([kind], tier="fast"):
            for name, text in TEMPLATES.get(kind).render(s).files.items():
                if not name.endswith("_top.v"):
                    texts.setdefault(name, set()).add(text)
        assert texts and all(len(v) == 1 for v in texts.values()), kind
