"""Campaigns over the judge: mutation testing (``mutate``), regression over each kind's grid (``regress``), the
SCALE-Sim cycle cross-check (``scalesim``) and the handshake proofs of template instances (``formal``). They may
render templates; the judge below them (derive, bench, simulators, lint, scan, proofs of given RTL) never does."""
