"""Renders a NormSpec: the fixed norm module plus a top fixing H, widths, eps and the gamma/beta tables."""

from __future__ import annotations

from accelsmith.hw_templates._base import Core, VerilogTemplate, packed_literal, register_template
from accelsmith.kinds.norm import NEWTON_STEPS, RSQRT_BITS, NormSpec


def v_width(spec: NormSpec) -> int:
    """Bits of the largest V = H*S2 + E (S2 <= H * 4^(in_bits-1), reached by rmsnorm on a vector of the most negative code)."""
    return (spec.hidden ** 2 * (1 << (2 * spec.in_bits - 2)) + spec.eps_codes).bit_length()


def norm_core(spec: NormSpec) -> Core:
    vw = v_width(spec)
    return Core(f"{spec.norm}_{spec.hidden}x{spec.lanes}l_top", "norm", {
        "P": spec.lanes, "NB": spec.beats, "H": spec.hidden, "IW": spec.in_bits, "OW": spec.out_bits,
        "GW": spec.gamma_bits, "SHB": RSQRT_BITS + spec.gamma_frac - spec.out_frac,
        "LN": int(spec.norm == "layernorm"), "VW": vw, "E": f"{vw}'d{spec.eps_codes}", "NS": NEWTON_STEPS,
        "NV": spec.vectors_in_flight,
        "GAMMA": packed_literal(spec.per_element(spec.gamma), spec.gamma_bits),
        "BETA": packed_literal(spec.per_element(spec.beta), spec.out_bits)},
        widths={"in_data": "P*IW", "out_data": "P*OW"},
        ranges={"E": "[VW-1:0]", "GAMMA": "[NB*P*GW-1:0]", "BETA": "[NB*P*OW-1:0]"})


NormTemplate = register_template(VerilogTemplate(NormSpec, norm_core))
