"""Recipes: YAML naming an ordered list of compression steps (passes as data) plus calibration and budget."""

from __future__ import annotations

import glob
import sysconfig
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from accelsmith.model_opt._compress import CompressConfig
from accelsmith.model_opt._constraints import DesignBudget
from accelsmith.model_opt._errors import RecipeError
from accelsmith.model_opt._lora import LoRAConfig
from accelsmith.model_opt._prune import PruneConfig
from accelsmith.model_opt._quantize import MixedPrecisionConfig, UniformQuantConfig

STEP_TYPES: dict[str, type[CompressConfig]] = {
    "prune": PruneConfig, "lora": LoRAConfig, "quantize": UniformQuantConfig, "mixed_precision": MixedPrecisionConfig,
}


class Calibration(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    files: list[str] = Field(default_factory=lambda: ["stdlib:json/*.py"],
                             description="globs relative to the recipe; 'stdlib:' means the Python stdlib")
    window: int = Field(128, ge=8, description="tokens per calibration sequence")
    calib_tokens: int = Field(2048, ge=8)
    eval_tokens: int = Field(1024, ge=8, description="held-out tokens for the quality report")


class Decoding(BaseModel):
    """The decoding schedule the hardware serves: speculative decoding with a draft model or prompt lookup."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal["draft_model", "prompt_lookup"] = "draft_model"
    draft_model: str | None = Field(None, description="a causal LM sharing the model's tokenizer: a folder or .gguf "
                                                      "file (relative to the recipe) or a cached hub id")
    draft_tokens: int = Field(4, ge=1, le=32, description="tokens drafted per step (k); the verify pass takes k + 1")
    context: int | None = Field(None, ge=0, description="cached tokens the verify pass attends over (default: "
                                                        "the recipe's seq_len)")

    @model_validator(mode="after")
    def _draft_named(self) -> Decoding:
        if (self.method == "draft_model") != (self.draft_model is not None):
            raise ValueError("method draft_model needs draft_model; prompt_lookup takes none")
        return self


class Recipe(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    seq_len: int = Field(128, ge=1, description="sequence length of the workload profile")
    image_tokens: int = Field(0, ge=0)
    calibration: Calibration = Calibration()
    steps: list[dict[str, Any]]
    budget: DesignBudget = DesignBudget()
    decoding: Decoding | None = None
    fusion: bool = Field(True, description="capture the compressed model's graph (torch.export) and record the fused "
                                           "groups and bytes per layer in the profile")
    cascade_before: list[str] = Field(default_factory=list, description=(
        "models that answer before this one in an inference cascade, smallest first (folders or .gguf files relative "
        "to the recipe, or cached hub ids): their GEMMs go into the profile beside this model's"))


def step_configs(recipe: Recipe, source: str = "<recipe>") -> list[tuple[str, CompressConfig]]:
    out = []
    for i, step in enumerate(recipe.steps):
        params = dict(step)
        kind = params.pop("type", None)
        if kind not in STEP_TYPES:
            raise RecipeError(f"{source}: step {i}: unknown type {kind!r}; known: {', '.join(STEP_TYPES)}")
        try:
            out.append((kind, STEP_TYPES[kind](**params)))
        except ValidationError as err:
            e = err.errors()[0]
            raise RecipeError(f"{source}: step {i} ({kind}): {'.'.join(map(str, e['loc'])) or 'config'}: "
                              f"{e['msg']} (got {e.get('input')!r})") from None
    return out


def load_recipe(path: str | Path) -> tuple[Recipe, list[tuple[str, CompressConfig]]]:
    p = Path(path)
    if not p.is_file():
        raise RecipeError(f"recipe not found: {str(p)!r}")
    try:
        data = yaml.safe_load(p.read_text())
        recipe = Recipe.model_validate(data)
    except yaml.YAMLError as err:
        raise RecipeError(f"{str(p)!r}: not valid YAML: {str(err).splitlines()[0]}") from None
    except ValidationError as err:
        e = err.errors()[0]
        raise RecipeError(f"{str(p)!r}: field {'.'.join(map(str, e['loc']))!r}: {e['msg']} "
                          f"(got {e.get('input')!r})") from None
    return recipe, step_configs(recipe, str(p))


def calibration_files(cal: Calibration, base: Path) -> list[Path]:
    files: list[Path] = []
    for pattern in cal.files:
        root = Path(sysconfig.get_paths()["stdlib"]) if pattern.startswith("stdlib:") else base
        pat = pattern.removeprefix("stdlib:")
        files += sorted(Path(f) for f in glob.glob(str(root / pat), recursive=True) if Path(f).is_file())
    if not files:
        raise RecipeError(f"calibration files {cal.files!r} match nothing")
    return files
