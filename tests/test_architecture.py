"""The design holds: the library (qa_helpers) in floors, every import pointing down, the studies above it and never
imported by it, no import cycle, one curated surface for the notebooks, every module in README's map, settings read in
one module, lint and types clean where they are checked."""
import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import qa_helpers as qa
from tools import ROOT, readme

PACKAGE = ROOT / "qa_helpers"
STUDIES = ROOT / "studies"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for folder in (PACKAGE, STUDIES) for p in sorted(folder.rglob("*.py"))}


def imports_of(name: str) -> tuple[set[str], set[str]]:
    """The package's modules that ``name`` imports: (at module level, inside functions)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top_level = {id(node) for node in tree.body}
    found: tuple[set[str], set[str]] = (set(), set())
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in MODULES else module for a in node.names]
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        for target in targets:
            if target in MODULES:
                # importing a.b.c first runs the __init__ of every package above it that is not the importer's own
                chain = [".".join(target.split(".")[:k]) for k in range(2, target.count(".") + 2)]
                edges = {t for t in chain if not name.startswith(t + ".") and t != name}
                found[0 if id(node) in top_level else 1].update(edges)
    return found


GRAPH = {name: imports_of(name) for name in MODULES}


def test_no_module_imports_the_top_level_package_or_hides_an_import_in_a_function():
    """Modules import each other at the top, by their own names: then the graph below is the whole truth."""
    assert {n for n, (top, _) in GRAPH.items() if "qa_helpers" in top and n.startswith("qa_helpers")} == set()
    assert {n: sorted(inner) for n, (_, inner) in GRAPH.items() if inner} == {}


# The library's floors, ground first: a module imports only from its own floor or below (within a floor, no cycle).
FLOORS = [
    {"config", "downloads", "writing_systems", "results", "validation", "machine", "examples", "installing"},  # settings, types, data
    {"xquad", "metrics", "decoding"},  # XQuAD and its scores, spans from logits
    {"models"},  # where models come from
    {"engines"},  # the two engines
    {"api", "finetune"},  # the door; the training recipe (it builds on the engine's windows)
    {"analysis"},  # what the chapters draw and compare
    {"qa_helpers", "__main__"},  # the curated surface and the command line
]


def floor(name: str) -> int:
    """The floor of a module: the library's by its first name under qa_helpers; the studies stand above them all."""
    if name.startswith("studies"):
        return len(FLOORS)
    part = name.split(".")[1] if "." in name else name
    return next(k for k, rooms in enumerate(FLOORS) if part in rooms)


def test_every_import_points_down_and_the_library_never_imports_the_studies():
    for name in MODULES:
        assert floor(name) >= 0, name
    back_up = {(name, target) for name, (top, _) in GRAPH.items() for target in top if floor(target) > floor(name)}
    assert back_up == set(), "imports that run back up a floor"
    assert {n for n in MODULES if n.startswith("qa_helpers") and any(t.startswith("studies") for t in GRAPH[n][0])} == set()


def test_settings_are_read_in_one_module():
    """Every environment variable the package reads, read in qa_helpers.config; nothing rewrites os.environ for
    another module to read (PySpark's own PYSPARK_PYTHON aside, which it reads from nowhere else)."""
    readers = {name for name, path in MODULES.items()
               if re.search(r"os\.environ\.get\(\"QA_|os\.getenv\(\"QA_|environ\[\"QA_", path.read_text(encoding="utf-8"))}
    assert readers == {"qa_helpers.config"}
    rewrites = {name for name, path in MODULES.items() if re.search(r"os\.environ\.(update|__setitem__)|os\.environ\[[^]]+\] =",
                                                                       path.read_text(encoding="utf-8"))}
    assert rewrites == set()


def test_there_is_no_import_cycle():
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> None:
        state[name] = "open"
        for target in sorted(GRAPH[name][0] - {"qa_helpers"}):
            if state.get(target) == "open":
                pytest.fail("import cycle: " + " -> ".join(path[path.index(target):] + [target]))
            if target not in state:
                visit(target, path + [target])
        state[name] = "done"

    for name in MODULES:
        if name not in state:
            visit(name, [name])


def reachable(name: str) -> set[str]:
    seen, todo = set(), [name]
    while todo:
        for target in GRAPH[todo.pop()][0] - seen:
            seen.add(target)
            todo.append(target)
    return seen


def test_settings_are_leaves_and_resolution_points_one_way():
    """Resolving and building a model never runs an engine, an analysis or a study."""
    for leaf in ("config", "downloads", "writing_systems", "results", "validation"):
        assert GRAPH[f"qa_helpers.{leaf}"][0] == set(), leaf
    below = reachable("qa_helpers.models.sources")
    assert {"qa_helpers.models.repro", "qa_helpers.models.random_models"} <= below
    assert {m for m in below if m.startswith(("qa_helpers.engines", "qa_helpers.analysis", "qa_helpers.api", "studies",
                                              "qa_helpers.finetune"))} == set()


def test_engines_and_analysis_take_a_resolved_model():
    """The model is resolved once, at the door (the API, the widget, each study's entry point): engines and the
    analyses never resolve a name again."""
    resolving = {name for name, path in MODULES.items() if "resolve_model(" in path.read_text(encoding="utf-8")}
    assert {n for n in resolving if n.startswith(("qa_helpers.engines", "qa_helpers.analysis.compare",
                                                  "qa_helpers.analysis.multilingual", "qa_helpers.analysis.plotting"))} == set()


def test_every_module_declares_its_public_names_and_the_curated_surface_resolves():
    for name in MODULES:
        if name.endswith("__main__") or MODULES[name].name == "__init__.py" and name != "qa_helpers":
            continue
        module = __import__(name, fromlist=["_"])
        assert hasattr(module, "__all__"), f"{name} has no __all__"
        assert [n for n in module.__all__ if not hasattr(module, n)] == [], name
    assert [n for n in qa.__all__ if not hasattr(qa, n)] == []


NOTEBOOK_CODE = {
    path.name: "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    for path in sorted((ROOT / "notebooks").glob("*.ipynb"))
}


@pytest.mark.parametrize("notebook", NOTEBOOK_CODE)
def test_notebooks_use_only_the_curated_surface(notebook):
    """``import qa_helpers as qa`` and ``qa.<name>`` only (and ``import studies`` for what the studies measured), so
    moving a module never breaks a stored notebook."""
    code = NOTEBOOK_CODE[notebook]
    assert re.findall(r"^\s*(?:from (?:qa_helpers|studies)\S* import|import qa_helpers(?! as qa$)|import studies\S).*$", code,
                      flags=re.M) == []
    assert set(re.findall(r"\bqa\.(\w+)", code)) <= set(qa.__all__)
    assert re.findall(r"\btf\b", code) == [], "the transformers engine is 'hf' or 'transformers', never 'tf'"


RECEIVED = {"Answer", "Example", "RowResult", "TokenLogits", "InputError", "ModelLoadError"}  # what the API returns and raises


def test_every_name_of_the_curated_surface_is_called_by_a_chapter():
    """``qa.__all__`` is what the chapters call, not the whole package: each name in it is used by a notebook, but for
    the types the API hands back and the errors it raises."""
    used = set().union(*(re.findall(r"\bqa\.(\w+)", code) for code in NOTEBOOK_CODE.values()))
    assert set(qa.__all__) - used == RECEIVED


def test_readme_module_map_lists_every_module():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"`((?:qa_helpers|studies)/[\w/]+\.py|qa_helpers/\w+/)`", readme))
    present = {  # a subpackage of the library is listed by its folder
        str(p.parent.relative_to(ROOT)) + "/" if p.name == "__init__.py" and p.parent not in (PACKAGE, STUDIES) else str(p.relative_to(ROOT))
        for folder in (PACKAGE, STUDIES) for p in folder.rglob("*.py")
    }
    assert present - listed == set(), "modules missing from README's map"
    assert listed - present == set(), "README lists modules that do not exist"


def test_readme_generated_blocks_match_the_committed_results():
    """README's result tables are written by `python -m tools.readme` from results/, never typed."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.render(text) == text, "run: python -m tools.readme"


@pytest.mark.parametrize("tool", [["ruff", "check", "."], ["mypy"]])
def test_lint_and_types_pass(tool):
    """ruff on everything; mypy on the modules pyproject.toml names (strict where it is cheap)."""
    executable = shutil.which(tool[0], path=str(Path(sys.executable).parent))
    assert executable, f"{tool[0]} is not installed: `make` installs it with the dev extras"
    result = subprocess.run([executable, *tool[1:]], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
