"""The import layers (docs/architecture.md): the core imports no plug-in, the judge never the designer, campaigns
sit above both. bench/import_layers.py reads every module's imports (ast) and names any edge that breaks a rule."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_no_import_breaks_a_layer_rule():
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "import_layers.py")], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "layer rule broken by 0 imports" in out.stdout
    assert "import cycles (all, deferred too): 0" in out.stdout, out.stdout  # plug-ins load by name (registry.importing)


def test_the_checker_names_an_import_that_breaks_a_rule(tmp_path):
    """A copy of the tree whose core imports a template: the checker must fail, naming the file and line."""
    import shutil

    for folder in ("accelsmith", "agents", "prompts", "hw_templates", "verification", "model_opt"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    spec = tmp_path / "accelsmith" / "spec.py"
    spec.write_text(spec.read_text() + "\n\ndef _bad():\n    import accelsmith.hw_templates  # noqa\n")
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "import_layers.py"), "--root", str(tmp_path)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 1
    assert "accelsmith/spec.py" in out.stdout and "accelsmith.spec (core) imports accelsmith.hw_templates (designer)" \
        in out.stdout, out.stdout
