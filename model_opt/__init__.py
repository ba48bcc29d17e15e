"""Model optimisation: compress a real model and feed its workload shapes back as design constraints.

``compress_(model, config)`` applies one typed config (quantise, prune, LoRA-recover);
``optimize(model_path, recipe_path, out_dir)`` runs a YAML recipe end to end;
``extract_profile`` / ``derive_constraints`` / ``specs_from_profile`` turn a model into BlockSpecs.
"""

from accelsmith.model_opt._array import ArrayChoice, choose_array, gemm_cycles
from accelsmith.model_opt._allocate import Unit, allocate_bits
from accelsmith.model_opt._compress import CompressConfig, compress_, known_configs, register_handler
from accelsmith.model_opt._constraints import DesignBudget, DesignConstraints, derive_constraints, specs_from_profile
from accelsmith.model_opt._errors import BudgetError, CompressionFailed, ModelLoadError, ModelOptError, RecipeError
from accelsmith.model_opt._extract import extract_profile
from accelsmith.model_opt._loading import load_compressed, load_model, save_compressed
from accelsmith.model_opt._lora import LoRAConfig
from accelsmith.model_opt._optimize import optimize
from accelsmith.model_opt._packed_linear import PackedLinear
from accelsmith.model_opt._profile import AttentionShape, GemmOp, PrunedDim, VectorOp, WorkloadProfile, load_profile
from accelsmith.model_opt._prune import PruneConfig
from accelsmith.model_opt._quantize import MixedPrecisionConfig, UniformQuantConfig
from accelsmith.model_opt._recipe import Recipe, load_recipe
from accelsmith.model_opt._sensitivity import measure_sensitivity

__all__ = [
    "ArrayChoice", "AttentionShape", "BudgetError", "CompressConfig", "CompressionFailed", "DesignBudget",
    "DesignConstraints", "GemmOp", "LoRAConfig", "PruneConfig", "Recipe", "MixedPrecisionConfig", "ModelLoadError", "ModelOptError", "PackedLinear",
    "PrunedDim", "RecipeError", "Unit", "UniformQuantConfig", "VectorOp", "WorkloadProfile", "allocate_bits",
    "choose_array", "compress_", "derive_constraints", "extract_profile", "gemm_cycles", "known_configs",
    "load_compressed", "load_model", "load_profile", "load_recipe", "measure_sensitivity", "optimize",
    "register_handler", "save_compressed", "specs_from_profile",
]
