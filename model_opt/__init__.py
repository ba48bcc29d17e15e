"""Model optimisation: compress a real model and feed its workload shapes back as design constraints.

``compress_(model, config)`` applies one typed config (quantise, prune, LoRA-recover);
``optimize(model_path, recipe_path, out_dir)`` runs a YAML recipe end to end;
``extract_profile`` / ``derive_constraints`` / ``specs_from_profile`` turn a model into BlockSpecs.
"""

from accelsmith.model_opt._array import ArrayChoice, choose_array, gemm_cycles
from accelsmith.model_opt._constraints import DesignBudget, DesignConstraints, derive_constraints, specs_from_profile
from accelsmith.model_opt._errors import BudgetError, CompressionFailed, ModelLoadError, ModelOptError, RecipeError
from accelsmith.model_opt._extract import extract_profile
from accelsmith.model_opt._profile import AttentionShape, GemmOp, PrunedDim, VectorOp, WorkloadProfile, load_profile

__all__ = [
    "ArrayChoice", "AttentionShape", "BudgetError", "CompressionFailed", "DesignBudget", "DesignConstraints",
    "GemmOp", "ModelLoadError", "ModelOptError", "PrunedDim", "RecipeError", "VectorOp", "WorkloadProfile",
    "choose_array", "derive_constraints", "extract_profile", "gemm_cycles", "load_profile", "specs_from_profile",
]
