"""The engine is NumPy/SciPy code that knows nothing about scikit-learn."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import skdropout._engine

ENGINE_DIR = Path(skdropout._engine.__file__).parent
PACKAGE_DIR = ENGINE_DIR.parent
ENGINE_SOURCES = sorted(ENGINE_DIR.glob("*.py"))
ALLOWED_THIRD_PARTY = {"numpy", "scipy"}


def _modules_loaded_after(code):
    """Names in ``sys.modules`` after running ``code`` in a fresh interpreter."""
    script = f"{code}\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=PACKAGE_DIR.parent,
        env={**os.environ, "PYTHONPATH": str(PACKAGE_DIR.parent)},
    )
    return set(result.stdout.split())


def _imported_modules(path):
    """(module, level) of every import statement in one source file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, 0
        elif isinstance(node, ast.ImportFrom):
            yield node.module or "", node.level


def test_the_engine_has_source_files():
    assert {p.name for p in ENGINE_SOURCES} >= {"__init__.py", "_trainer.py"}


def test_engine_modules_load_without_sklearn():
    # A bare stand-in for the parent package, so that only the engine's own
    # imports run (skdropout/__init__.py loads the estimators).
    code = (
        "import sys, types\n"
        "parent = types.ModuleType('skdropout')\n"
        f"parent.__path__ = [{str(PACKAGE_DIR)!r}]\n"
        "sys.modules['skdropout'] = parent\n"
        "import skdropout._engine"
    )

    loaded = _modules_loaded_after(code)

    assert "skdropout._engine._trainer" in loaded
    assert not {m for m in loaded if m == "sklearn" or m.startswith("sklearn.")}


def test_importing_skdropout_engine_does_not_import_sklearn():
    loaded = _modules_loaded_after("import skdropout._engine")

    assert "skdropout._engine" in loaded
    assert "sklearn" not in loaded


@pytest.mark.parametrize("path", ENGINE_SOURCES, ids=lambda p: p.name)
def test_engine_source_imports_only_numpy_scipy_and_the_standard_library(path):
    for module, level in _imported_modules(path):
        if level:
            # Relative imports must stay inside the engine package.
            assert level == 1, f"{path.name} imports from outside the engine"
            continue
        top = module.split(".")[0]
        assert top in ALLOWED_THIRD_PARTY or top in sys.stdlib_module_names, (
            f"{path.name} imports {module}"
        )
