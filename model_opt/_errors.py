"""Domain errors of model_opt; user mistakes subclass SpecError so the CLI shell exits 2 on them."""

from __future__ import annotations

from accelsmith.errors import AccelsmithError, SpecError


class ModelOptError(SpecError):
    """A model, recipe, profile or budget given by the user cannot be used as asked."""


class RecipeError(ModelOptError):
    """A recipe YAML is malformed or names an unknown step."""


class ModelLoadError(ModelOptError):
    """A model path, hub id or GGUF file cannot be loaded offline."""


class BudgetError(ModelOptError):
    """A bit, memory, PE or buffer budget cannot be met by any choice."""


class CompressionFailed(AccelsmithError):
    """A compression pass met a model structure it cannot handle."""
