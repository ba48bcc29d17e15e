"""Model optimisation: compress a real model and feed its workload shapes back as design constraints.

``compress_(model, config)`` applies one typed config (quantise, prune, LoRA-recover);
``optimize(model_path, recipe_path, out_dir)`` runs a YAML recipe end to end;
``extract_profile`` / ``derive_constraints`` / ``specs_from_profile`` turn a model into BlockSpecs.
"""

import importlib

_EXPORTS = {
    "ArrayChoice": "_array", "Cascade": "_cascade", "CascadePoint": "_cascade", "LookupDrafter": "_speculative",
    "ModelDrafter": "_speculative", "SpecStats": "_speculative", "choose_point": "_cascade",
    "cost_quality_curve": "_cascade", "fit_temperature": "_cascade", "speculative_generate": "_speculative", "AttentionShape": "_profile", "BudgetError": "_errors",
    "CompressConfig": "_compress", "CompressionFailed": "_errors", "DesignBudget": "_constraints",
    "DesignConstraints": "_constraints", "GemmOp": "_profile", "LoRAConfig": "_lora",
    "MixedPrecisionConfig": "_quantize", "ModelLoadError": "_errors", "ModelOptError": "_errors",
    "PackedLinear": "_packed_linear", "PruneConfig": "_prune", "PrunedDim": "_profile", "Recipe": "_recipe",
    "RecipeError": "_errors", "UniformQuantConfig": "_quantize", "Unit": "_allocate", "VectorOp": "_profile",
    "WorkloadProfile": "_profile", "allocate_bits": "_allocate", "choose_array": "_array",
    "compress_": "_compress", "derive_constraints": "_constraints", "extract_profile": "_extract",
    "gemm_cycles": "_array", "known_configs": "_compress", "load_compressed": "_loading",
    "load_model": "_loading", "load_profile": "_profile", "load_recipe": "_recipe",
    "measure_sensitivity": "_sensitivity", "optimize": "_optimize", "register_handler": "_compress",
    "save_compressed": "_loading", "specs_from_profile": "_constraints",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    # names load on first use: importing the package (e.g. for the CLI) does not import torch
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
