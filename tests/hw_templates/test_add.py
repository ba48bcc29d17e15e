"""The residual add kind: its golden model against plain integer arithmetic, its spec's limits, and the
registration rules every kind follows (one class per kind, ports required)."""

import itertools

import pytest
import torch

from accelsmith.errors import DuplicateRegistration, SpecError
from accelsmith.kinds.add import AddSpec, add_golden
from accelsmith.spec import BlockSpec, register_spec, spec_from_dict


def _expected(a: int, b: int, spec: AddSpec) -> int:
    s, w = a + b, spec.out_bits
    lo, hi = (-(1 << (w - 1)), (1 << (w - 1)) - 1) if spec.signed else (0, (1 << w) - 1)
    if spec.overflow == "saturate":
        return min(hi, max(lo, s))
    s %= 1 << w
    return s - (1 << w) if spec.signed and s > hi else s


@pytest.mark.parametrize("signed, out_bits, overflow", [(True, 4, "saturate"), (True, 4, "wrap"), (True, 5, "saturate"),
                                                        (False, 4, "saturate"), (False, 4, "wrap"), (False, 5, "wrap")])
def test_golden_model_matches_integer_arithmetic_on_every_pair(signed, out_bits, overflow):
    spec = AddSpec(lanes=1, in_bits=4, out_bits=out_bits, signed=signed, overflow=overflow)
    vals = range(-8, 8) if signed else range(16)
    pairs = list(itertools.product(vals, vals))
    got = add_golden(torch.tensor([a for a, _ in pairs]), torch.tensor([b for _, b in pairs]), spec).tolist()
    assert got == [_expected(a, b, spec) for a, b in pairs]


def test_a_sum_wider_than_it_can_be_is_refused_in_one_line():
    with pytest.raises(SpecError, match=r"out_bits 10 is more than in_bits \+ 1 = 9"):
        spec_from_dict({"kind": "add", "in_bits": 8, "out_bits": 10})


def test_a_second_class_for_a_kind_and_a_class_without_ports_are_refused():
    class Other(BlockSpec):
        kind = "add"

        def ports(self) -> dict:
            return AddSpec().ports()

    with pytest.raises(DuplicateRegistration, match="block kind 'add' is registered twice"):
        register_spec(Other)

    class Portless(BlockSpec):
        kind = "portless"

    with pytest.raises(TypeError, match="must define ports"):
        register_spec(Portless)


def test_the_top_port_list_is_the_spec_ports():
    from accelsmith.hw_templates import get

    spec = AddSpec(lanes=3, in_bits=6, out_bits=7)
    top = get(spec).render(spec).files["add_3l_top.v"]
    for line in ("input  wire [17:0] in_a,", "input  wire [17:0] in_b,", "output wire [20:0] out_y"):
        assert line in top, top
