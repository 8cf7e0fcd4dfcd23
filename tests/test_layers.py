"""The package's layers depend one way, and the two scales are converted in one place each.

Layers, bottom to top; a module may import its own layer and the ones below, never one above, and no chain
of imports (at module level or inside functions) comes back to where it started.
"""

import ast
import io
import tokenize
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "poseau"
LAYERS = [
    {"constants", "errors", "fileio", "plotting", "progress", "download", "options", "config", "scales", "threads"},
    {"faces"},
    {"data", "synth"},
    {"models"},
    {"train", "evaluate", "explain"},
    {"infer", "export"},
    {"cli", "recipes", "demo", "pretrain", "card", "report", "__init__", "__main__"},
]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int:
    top = module.split(".")[1] if "." in module else "__init__"
    for i, names in enumerate(LAYERS):
        if top in names:
            return i
    raise AssertionError(f"{module} is in no layer: add it to LAYERS")


def imports(path: Path) -> set[str]:
    """Every poseau module ``path`` imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "poseau"}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "poseau":
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names
                      if (PACKAGE.parent / f"{node.module}.{a.name}".replace(".", "/")).with_suffix(".py").is_file()}
    return found


def import_graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {m: {i for i in imports(p) if i in modules and i != m} for m, p in modules.items()}


def test_every_module_has_a_layer_and_imports_none_above_it():
    upward = [f"{m} (layer {layer_of(m)}) imports {i} (layer {layer_of(i)})"
              for m, targets in import_graph().items() for i in sorted(targets) if layer_of(i) > layer_of(m)]
    assert not upward, "\n".join(upward)


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = 2
        stack.pop()
        return []

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return []


def test_no_import_cycles_between_modules_or_packages():
    graph = import_graph()
    parents = {m: {p for p in graph if m.startswith(p + ".")} for m in graph}
    # a package's __init__ imports nothing of its own at module level here, so edges into a package mean its modules
    assert find_cycle({m: t - parents[m] for m, t in graph.items()}) == []
    packages: dict[str, set[str]] = {}
    for m, targets in graph.items():
        packages.setdefault(".".join(m.split(".")[:2]), set()).update(".".join(t.split(".")[:2]) for t in targets)
    assert find_cycle({p: t - {p, "poseau"} for p, t in packages.items() if p != "poseau"}) == []


def test_find_cycle_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []


def scaling_sites(source: str) -> list[str]:
    """Where code (not comments or strings) uses 255 or multiplies or divides by INTENSITY_MAX or 5."""
    tokens = [t for t in tokenize.generate_tokens(io.StringIO(source).readline)
              if t.type not in (tokenize.COMMENT, tokenize.STRING, tokenize.NL, tokenize.NEWLINE)]
    sites = []
    for k, tok in enumerate(tokens):
        near = {tokens[j].string for j in (k - 1, k + 1) if 0 <= j < len(tokens)}
        if tok.type == tokenize.NUMBER and float(tok.string) == 255:
            sites.append(f"line {tok.start[0]}: 255")
        elif (tok.string == "INTENSITY_MAX" or (tok.type == tokenize.NUMBER and float(tok.string) == 5)) \
                and near & {"*", "/", "*=", "/="}:
            sites.append(f"line {tok.start[0]}: {tok.string} scaling")
    return sites


def test_pixels_and_intensities_are_scaled_in_one_module():
    found = {str(p.relative_to(PACKAGE)): s for p in PACKAGE.rglob("*.py") if (s := scaling_sites(p.read_text()))}
    assert set(found) == {"scales.py"}, found
    assert scaling_sites("x = y / 255.0  # 255\ns = '255'\nz = a * INTENSITY_MAX\nw = b / 5") == [
        "line 1: 255", "line 3: INTENSITY_MAX scaling", "line 4: 5 scaling"]
