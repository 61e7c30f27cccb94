"""Centers keep out of each other's tables (DESIGN rule 2): the import-linter contracts in
setup.cfg hold, and every exception they allow is written there with its reason."""
import configparser
import io
from contextlib import redirect_stdout
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[2]


def test_import_linter_contracts_hold():
    out = io.StringIO()
    with redirect_stdout(out):
        code = lint_imports(config_filename=str(ROOT / "setup.cfg"), no_cache=True)
    assert code == 0, out.getvalue()


def test_every_center_with_tables_has_a_contract():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    guarded = {m.strip() for name in config.sections() if name.startswith("importlinter:contract:")
               for m in config[name].get("forbidden_modules", "").split()}
    with_tables = {f"app.blueprints.{p.parent.name}.models" for p in (ROOT / "app" / "blueprints").glob("*/models.py")}
    assert with_tables <= guarded, with_tables - guarded


def test_every_allowed_exception_gives_its_reason():
    text = (ROOT / "setup.cfg").read_text(encoding="utf-8")
    lines = text[text.index("[importlinter]"):].splitlines()
    for i, line in enumerate(lines):
        if "->" in line and not line.lstrip().startswith("#"):
            above = next(l for l in reversed(lines[:i]) if "->" not in l)
            assert above.lstrip().startswith("#"), f"no reason written above: {line.strip()}"


def test_no_center_imports_another_centers_pages():
    """A center's `views` module is its HTTP layer: what another center needs of it (labels, rules)
    lives in that center's services or queries (the finance reports once read the order sources'
    labels from orders.views)."""
    import re

    import grimp

    graph = grimp.build_graph("app", include_external_packages=False)
    crossing = []
    for module in sorted(graph.modules):
        own = re.match(r"app\.blueprints\.([^.]+)", module)
        for imported in graph.find_modules_directly_imported_by(module) if own else ():
            other = re.fullmatch(r"app\.blueprints\.([^.]+)\.views", imported)
            if other and other.group(1) != own.group(1):
                crossing.append(f"{module} -> {imported}")
    assert crossing == []
