"""Imports run one way: down swarmreg's layers, never in a cycle, lazy imports included.

The graph is read from the source (``ast``), so an import inside a function counts as
much as one at the top of a module: a lazy import hides a dependency from the reader,
not from the graph.
"""

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "swarmreg"

#: swarmreg's layers, lowest first: a module imports from its own layer and those below,
#: never from one above.  "" is the package itself (``swarmreg/__init__.py``, which
#: imports the public names); a name ending in ".*" covers a subpackage's modules.
LAYERS = (
    ("leaf", ("_version",)),
    ("utilities and data-only files", ("_io", "_runtime", "_archive", "_modelfile", "_checkpoint",
                                       "_docs")),
    ("kernels", ("_kernels", "_kernels.*")),
    ("argument checks", ("_validation",)),
    ("network and error", ("network", "error", "lambdas", "lambdas.*", "datasets",
                           "datasets.*")),
    ("results", ("result",)),
    ("swarm algorithms and devices", ("algorithms", "algorithms.*", "devices", "devices.*")),
    ("trainers, and what reads their results", ("_loop", "_training", "pso", "backprop",
                                                "lbfgs", "ridge", "plotting", "checkpoints")),
    ("estimators", ("_sklearn_compat", "estimators")),
    ("saving", ("saving",)),
    ("the package", ("",)),
    ("applications", ("cli", "cli.*", "__main__", "sweep", "experiments", "experiments.*")),
)

#: Upward imports that are known and owned elsewhere: (importer, imported) -> why.
#: Delete an entry when its import is gone.
KNOWN_UPWARD = {}


def module_name(path):
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules():
    """Module name (without ``swarmreg.``; "" for the package) -> path."""
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def import_graph():
    """(importer, imported, line, lazy) for every import of a swarmreg module by another."""
    mods = modules()
    edges = []
    for name, path in mods.items():
        tree = ast.parse(path.read_text(), str(path))
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        nested = {id(node) for func in ast.walk(tree)
                  if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef))
                  for node in ast.walk(func) if node is not func}
        for node in ast.walk(tree):
            for target in _targets(node, package, mods):
                if target != name:
                    edges.append((name, target, node.lineno, id(node) in nested))
    return edges


def _join(*parts):
    return ".".join(p for p in parts if p)


def _targets(node, package, mods):
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names if a.name.split(".")[0] == "swarmreg"]
        return [_within(n.partition(".")[2], mods) for n in names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        base = package.split(".") if package else []
        base = base[: len(base) - (node.level - 1)]
        source = _join(".".join(base), node.module or "")
    elif (node.module or "").split(".")[0] == "swarmreg":
        source = node.module.partition(".")[2]
    else:
        return []
    return [_join(source, a.name) if _join(source, a.name) in mods else _within(source, mods)
            for a in node.names]


def _within(name, mods):
    """The module ``name`` names, or the nearest package that holds it."""
    while name not in mods:
        name = name.rpartition(".")[0]
    return name


def layer_of(name):
    for rank, (_, members) in enumerate(LAYERS):
        for member in members:
            if name == member or (member.endswith(".*") and name.startswith(member[:-1])):
                return rank
    return None


def cycles(edges):
    """Every cycle as a list of modules (one per strongly connected component)."""
    graph = {}
    for src, dst, *_ in edges:
        graph.setdefault(src, set()).add(dst)
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_graph_reader_sees_relative_absolute_and_lazy_imports():
    edges = {(src, dst): lazy for src, dst, _, lazy in import_graph()}
    assert edges[("", "_runtime")] is False  # from . import _runtime
    assert edges[("", "estimators")] is True  # inside __getattr__
    assert edges[("backprop", "_kernels.backprop")] is False  # from ._kernels import backprop as ...
    assert edges[("experiments._common", "")] is False  # import swarmreg as sr


def test_every_module_has_a_layer():
    assert [name for name in modules() if layer_of(name) is None] == []


def test_no_import_cycle_among_swarmregs_modules():
    assert cycles(import_graph()) == []


def test_every_import_runs_down_the_layers():
    upward = [f"swarmreg/{(src or '__init__').replace('.', '/')}: line {line} imports "
              f"{'swarmreg.' + dst if dst else 'swarmreg'} ({LAYERS[layer_of(dst)][0]}) from "
              f"{LAYERS[layer_of(src)][0]}{' (lazily)' if lazy else ''}"
              for src, dst, line, lazy in import_graph()
              if layer_of(dst) > layer_of(src) and (src, dst) not in KNOWN_UPWARD]
    assert upward == []


def test_known_upward_imports_are_still_there():
    # An entry whose import is gone would let it come back unnoticed.
    edges = {(src, dst) for src, dst, *_ in import_graph()}
    assert [pair for pair in KNOWN_UPWARD if pair not in edges] == []


@pytest.mark.filterwarnings("ignore")
def test_saving_a_result_imports_nothing_above_it(tmp_path):
    script = textwrap.dedent(f"""
        import json, sys, numpy as np, swarmreg as sr
        X, y = np.random.default_rng(0).normal(size=(8, 2)), np.arange(8) % 2
        res = sr.train_pso(sr.Network([2, 2, 2]), X, y, swarm_size=3, max_iter=2, seed=0)
        res.save({str(tmp_path / "r.swarmreg")!r})
        print(json.dumps(sorted(m for m in sys.modules
                                if m in ("swarmreg.saving", "swarmreg.estimators", "sklearn"))))
        """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []
    assert (tmp_path / "r.swarmreg").exists()
