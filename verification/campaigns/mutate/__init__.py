"""Mutation testing of a template's RTL: how much of the RTL's behaviour does its derived bench pin down?

``generate_mutants`` makes single-edit mutants (operator flips, constant and width changes, inverted
conditions, stuck ready/valid, swapped port connections); ``mutate`` runs the bench on each with
Icarus in parallel, then tries a yosys sequential-equivalence proof on every survivor. Mutants that
do not build are stillborn; proved-equivalent ones leave the denominator; nothing is assumed equivalent.
"""

from accelsmith.verification.campaigns.mutate.equivalence import (PARAMS_UNCHANGED, REVIEWED, _apply_reviews,
                                                                   elaborated_parameters, in_parameter_code,
                                                                   mutated_lines, parameters_unchanged,
                                                                   prove_equivalent, reviewed_equivalents)
from accelsmith.verification.campaigns.mutate.operators import BUG_CLASS_OPERATORS, Mutant, generate_mutants
from accelsmith.verification.campaigns.mutate.report import MutantResult, _report, class_lines, format_report
from accelsmith.verification.campaigns.mutate.run import mutate, mutate_across

__all__ = ["BUG_CLASS_OPERATORS", "PARAMS_UNCHANGED", "REVIEWED", "Mutant", "MutantResult", "class_lines",
           "elaborated_parameters", "format_report", "generate_mutants", "in_parameter_code", "mutate", "mutate_across",
           "mutated_lines", "parameters_unchanged", "prove_equivalent", "reviewed_equivalents"]
