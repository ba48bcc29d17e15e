"""accelsmith: spec in, verified accelerator RTL out.

The shared core lives here (specs, errors, diagnostics, run store, CLI); the work happens in
``accelsmith.agents``, ``accelsmith.hw_templates``, ``accelsmith.verification`` and ``accelsmith.model_opt``.
"""

__version__ = "0.1.0"
