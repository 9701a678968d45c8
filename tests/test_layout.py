"""The package layout as an architecture: imports point one way, each task keeps its own modules.

Read from the source with ``ast`` (nothing is executed), so a function-local
import counts like any other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tfft.tasks import TASKS

PACKAGE = Path(__file__).resolve().parent.parent / "tfft"

# Units are tfft's first-level packages and modules. A unit may import only the units listed for it.
FOUNDATION = {"tfft", "config", "backbones", "run_folder", "summaries", "logs", "hardware", "quiet_start", "heartbeat"}
SHARED = {"data", "text", "evaluation", "layers"}
ALLOWED = {
    **{unit: FOUNDATION for unit in FOUNDATION},
    "text": FOUNDATION,
    "data": FOUNDATION | {"text"},
    "layers": FOUNDATION,
    "evaluation": FOUNDATION | {"data", "text"},
    "peft": FOUNDATION,
    "tasks": FOUNDATION | SHARED | {"peft"},
    "training": FOUNDATION | SHARED | {"peft", "tasks"},
    "pretraining": FOUNDATION | SHARED | {"peft", "tasks", "training"},
    "export": FOUNDATION | SHARED | {"peft", "tasks", "training"},
    "serving": FOUNDATION | SHARED | {"export"},
    "retrieval": FOUNDATION | SHARED | {"export"},
    "assistant": FOUNDATION | SHARED | {"export", "retrieval"},
    "explain": FOUNDATION | SHARED | {"tasks", "training", "export"},
    "monitor": FOUNDATION | SHARED | {"export", "serving"},
    "commands": FOUNDATION | SHARED | {"peft", "tasks", "training", "pretraining", "export", "serving",
                                       "retrieval", "assistant", "explain", "monitor"},
    "cli": FOUNDATION | {"commands"},
    "__main__": {"cli"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path) -> list[tuple[str, int]]:
    """(imported tfft module, line) for every import in the file, at any depth."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names if alias.name.split(".")[0] == "tfft"]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the importing module's package
                package = module_name(path).split(".")
                if path.name != "__init__.py":
                    package = package[:-1]
                base = ".".join(package[:len(package) - node.level + 1] + ([base] if base else []))
            if base.split(".")[0] != "tfft":
                continue
            for alias in node.names:  # `from tfft.x import y` imports module tfft.x.y when y is one
                submodule = f"{base}.{alias.name}"
                found.append((submodule if submodule in MODULES else base, node.lineno))
    return found


def unit_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "tfft"


def test_every_unit_has_a_rule():
    assert {unit_of(module) for module in MODULES} - {"sample_data"} <= set(ALLOWED)


def test_imports_point_one_way():
    upward = []
    for module, path in MODULES.items():
        unit = unit_of(module)
        for imported, line in imports_of(path):
            target = unit_of(imported)
            if target != unit and target not in ALLOWED[unit]:
                upward.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {unit} imports {imported} "
                              f"({unit} may import only {', '.join(sorted(ALLOWED[unit]))})")
    assert not upward, "upward imports:\n" + "\n".join(upward)


def test_no_import_cycles():
    graph = {module: {imported for imported, _ in imports_of(path) if imported in MODULES and imported != module}
             for module, path in MODULES.items()}
    cycles, state = [], {}

    def visit(module: str, stack: list[str]) -> None:
        state[module] = "open"
        for imported in sorted(graph[module]):
            if state.get(imported) == "open":
                cycles.append(" -> ".join(stack[stack.index(imported):] + [imported]))
            elif imported not in state:
                visit(imported, stack + [imported])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_one_folder_and_task_file_per_registered_task():
    folders = {cls.__module__.rsplit(".", 1)[0] for cls in TASKS.values()}
    for cls in TASKS.values():
        assert cls.__module__.startswith("tfft.tasks.") and cls.__module__.endswith(".task"), cls
    task_files = sorted(path.parent.name for path in (PACKAGE / "tasks").rglob("task.py"))
    assert task_files == sorted(folder.rsplit(".", 1)[1] for folder in folders)


def test_a_module_only_one_task_uses_lives_in_that_task():
    task_packages = {name for name in MODULES if name.count(".") == 2 and name.startswith("tfft.tasks.")
                     and MODULES[name].name == "__init__.py"}
    users: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        owner = next((package for package in task_packages if module.startswith(package + ".")), module)
        for imported, _ in imports_of(path):
            users.setdefault(imported, set()).add(owner)
    misplaced = [f"{imported} is used only by {next(iter(owners))}"
                 for imported, owners in sorted(users.items())
                 if len(owners) == 1 and next(iter(owners)) in task_packages
                 and not imported.startswith(next(iter(owners)) + ".") and imported != "tfft.tasks.base"
                 and not imported.startswith("tfft.tasks")]
    assert not misplaced, "\n".join(misplaced)


@pytest.mark.parametrize("source, expected", [
    ("import tfft.data.readers\n", [("tfft.data.readers", 1)]),
    ("def f():\n    from tfft.training.run import train\n", [("tfft.training.run", 2)]),
    ("from tfft.data import readers\n", [("tfft.data.readers", 1)]),
    ("import numpy\n", []),
])
def test_imports_are_found_wherever_they_are(tmp_path, source, expected):
    path = PACKAGE / "data" / "probe_module.py"
    # written beside the real modules so relative-name resolution matches theirs, removed at once
    path.write_text(source, encoding="utf-8")
    try:
        assert imports_of(path) == expected
    finally:
        path.unlink()
