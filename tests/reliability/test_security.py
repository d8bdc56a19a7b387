"""Static security rules over ``src/``: no pickle, no unsafe YAML or torch.load, no shell, no
remote code, and Ray started in exactly one audited place.

Each rule is an AST check (comments and docstrings cannot trip it), and each is also run on a
snippet that breaks it, so a rule that can no longer fire fails here too. Behaviour behind the
static rules is proven elsewhere: Ray's loopback binding in
tests/sweep/test_sweep_ray.py::test_local_mode_starts_a_private_loopback_ray_without_dashboard,
HTML escaping of the report in tests/report/test_build.py::test_markup_in_names_and_notes_is_escaped.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Callable, Iterator

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "xstilts"
PICKLE_MODULES = frozenset({"pickle", "cPickle", "_pickle", "dill", "cloudpickle", "shelve", "marshal", "joblib"})
UNSAFE_YAML = frozenset({"load", "load_all", "full_load", "full_load_all", "unsafe_load", "unsafe_load_all"})
SHELL_CALLS = frozenset({("os", "system"), ("os", "popen"), ("subprocess", "getoutput"), ("subprocess", "getstatusoutput")})
RAY_INIT_HOME = ("sweep/ray_runner.py", "connect")  # the one audited place that starts or joins Ray


def _dotted(node: ast.AST) -> str:
    """'torch.load' for torch.load(...), 'ray.init' for self.ray.init(...) is '.ray.init'."""
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else ""


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _is_true(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _calls(tree: ast.AST) -> Iterator[ast.Call]:
    return (node for node in ast.walk(tree) if isinstance(node, ast.Call))


def _imported_modules(tree: ast.AST) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield node.lineno, node.module or ""


def no_pickle(tree: ast.AST) -> list[int]:
    imports = [line for line, name in _imported_modules(tree) if name.split(".")[0] in PICKLE_MODULES]
    pandas_pickle = [c.lineno for c in _calls(tree) if _dotted(c.func).endswith(("read_pickle", "to_pickle"))]
    numpy_pickle = [c.lineno for c in _calls(tree) if _is_true(_keyword(c, "allow_pickle"))]
    return imports + pandas_pickle + numpy_pickle


def torch_load_weights_only(tree: ast.AST) -> list[int]:
    return [c.lineno for c in _calls(tree) if _dotted(c.func) == "torch.load" and not _is_true(_keyword(c, "weights_only"))]


def yaml_safe_load_only(tree: ast.AST) -> list[int]:
    return [c.lineno for c in _calls(tree) if _dotted(c.func).split(".")[-2:] in (["yaml", n] for n in UNSAFE_YAML)]


def no_shell(tree: ast.AST) -> list[int]:
    shell_true = [c.lineno for c in _calls(tree) if _is_true(_keyword(c, "shell"))]
    shell_calls = [c.lineno for c in _calls(tree) if tuple(_dotted(c.func).split(".")[-2:]) in SHELL_CALLS]
    return shell_true + shell_calls


def no_eval_or_exec(tree: ast.AST) -> list[int]:
    return [c.lineno for c in _calls(tree) if isinstance(c.func, ast.Name) and c.func.id in ("eval", "exec")]


def no_remote_code(tree: ast.AST) -> list[int]:
    return [c.lineno for c in _calls(tree) if _is_true(_keyword(c, "trust_remote_code"))]


RULES: dict[str, Callable[[ast.AST], list[int]]] = {
    "no pickle": no_pickle,
    "torch.load only with weights_only=True": torch_load_weights_only,
    "YAML only through safe_load": yaml_safe_load_only,
    "no shell": no_shell,
    "no eval or exec": no_eval_or_exec,
    "no trust_remote_code": no_remote_code,
}
BREAKING_SNIPPETS = {
    "no pickle": "import pickle\nfrom joblib import dump\nframe = pd.read_pickle(p)\nnp.load(p, allow_pickle=True)",
    "torch.load only with weights_only=True": "torch.load(p)\ntorch.load(p, weights_only=False)",
    "YAML only through safe_load": "yaml.load(text, Loader=yaml.Loader)\nyaml.unsafe_load(text)",
    "no shell": "subprocess.run(cmd, shell=True)\nos.system(cmd)",
    "no eval or exec": "eval(text)\nexec(code)",
    "no trust_remote_code": "AutoModel.from_pretrained(name, trust_remote_code=True)",
}


def source_files() -> list[Path]:
    files = sorted(SRC.rglob("*.py"))
    assert len(files) > 50, f"src/xstilts not found at {SRC}"
    return files


@pytest.mark.parametrize("rule", RULES, ids=list(RULES))
def test_source_obeys(rule):
    violations = []
    for path in source_files():
        for line in RULES[rule](ast.parse(path.read_text(encoding="utf-8"))):
            violations.append(f"{path.relative_to(SRC)}:{line}")
    assert violations == []


@pytest.mark.parametrize("rule", RULES, ids=list(RULES))
def test_rule_flags_code_that_breaks_it(rule):
    snippet = BREAKING_SNIPPETS[rule]
    assert len(RULES[rule](ast.parse(snippet))) == snippet.count("\n") + 1
    assert RULES[rule](ast.parse("torch.load(p, weights_only=True)\nyaml.safe_load(text)\nsubprocess.run(cmd)")) == []


def _ray_init_sites(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    sites = []
    for function in (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
        sites += [function.name for c in _calls(function) if _dotted(c.func).endswith("ray.init")]
    return sites


def _starts_a_ray_cluster(node: ast.AST) -> bool:
    """A command list like ["ray", "start", ...] (the shell form is already banned by no-shell)."""
    items = node.elts if isinstance(node, (ast.List, ast.Tuple)) else []
    words = [item.value for item in items[:2] if isinstance(item, ast.Constant)]
    return words == ["ray", "start"]


def test_ray_is_started_only_by_the_audited_connect():
    """connect() binds a private Ray to 127.0.0.1 unless an address is given (tested behaviourally
    in tests/sweep/test_sweep_ray.py); no other code may call ray.init or run `ray start`."""
    sites = {str(p.relative_to(SRC)): _ray_init_sites(p) for p in source_files()}
    assert {path: names for path, names in sites.items() if names} == {RAY_INIT_HOME[0]: [RAY_INIT_HOME[1]]}
    ray_start = [f"{p.relative_to(SRC)}:{n.lineno}" for p in source_files()
                 for n in ast.walk(ast.parse(p.read_text(encoding="utf-8"))) if _starts_a_ray_cluster(n)]
    assert ray_start == []
    assert _starts_a_ray_cluster(ast.parse('subprocess.run(["ray", "start", "--head"])').body[0].value.args[0])
