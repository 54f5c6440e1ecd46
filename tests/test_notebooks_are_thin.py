"""The report notebooks stay thin: narrative, a parameters cell of literals, package calls.

Logic belongs in ``cw_pophealth`` (STYLE-ANCHORS practices 5-7): no function or class
definitions, no loops, no file I/O except through ``report.save_*``, and no stored outputs.
"""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
EXPECTED = {"window_of_need.ipynb", "risk_factors.ipynb", "area_profile.ipynb",
            "neighbours.ipynb", "framework_claims.ipynb", "behavioural_risk_burden.ipynb",
            "inequalities.ipynb"}

#: Calls that write files (only report.save_figure / save_table may do that).
FILE_IO_ATTRIBUTES = {"to_csv", "to_parquet", "to_excel", "to_json", "savefig", "write_text",
                      "write_bytes", "mkdir", "unlink", "rmtree"}
LOOP_NODES = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp,
              ast.GeneratorExp)
DEFINITION_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def _parameters_cells(nb):
    return [c for c in _code_cells(nb) if "parameters" in c.metadata.get("tags", [])]


def test_the_report_notebooks_exist():
    assert EXPECTED <= {p.name for p in NOTEBOOKS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
class TestNotebookIsThin:
    def test_it_is_a_valid_notebook_on_the_python3_kernel(self, path):
        nb = _read(path)
        nbformat.validate(nb)
        assert nb.metadata["kernelspec"]["name"] == "python3"

    def test_it_has_no_stored_outputs_or_execution_counts(self, path):
        cells = _code_cells(_read(path))
        assert all(not c.outputs and c.execution_count is None for c in cells)

    def test_it_has_exactly_one_parameters_cell(self, path):
        assert len(_parameters_cells(_read(path))) == 1

    def test_the_parameters_cell_is_the_first_code_cell(self, path):
        nb = _read(path)
        assert _code_cells(nb)[0] is _parameters_cells(nb)[0]

    def test_the_parameters_cell_holds_only_annotated_literals(self, path):
        cell = _parameters_cells(_read(path))[0]
        for node in ast.parse(cell.source).body:
            assert isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name), (
                f"{path.name}: parameters cell line {node.lineno} is not `name: type = value`")
            ast.literal_eval(node.value)  # raises if the value is not a plain literal

    def test_every_parameter_has_a_help_comment(self, path):
        cell = _parameters_cells(_read(path))[0]
        lines = [ln for ln in cell.source.splitlines() if ln.strip()]
        assert all("  # " in ln for ln in lines), f"{path.name}: a parameter lacks '# help'"

    def test_it_declares_output_dir_defaulting_to_do_not_save(self, path):
        cell = _parameters_cells(_read(path))[0]
        assigned = {n.target.id: ast.literal_eval(n.value) for n in ast.parse(cell.source).body}
        assert assigned.get("output_dir") == ""

    def test_no_function_or_class_definitions(self, path):
        for cell in _code_cells(_read(path)):
            tree = ast.parse(cell.source)
            found = [type(n).__name__ for n in ast.walk(tree) if isinstance(n, DEFINITION_NODES)]
            assert not found, f"{path.name}: {found} in cell:\n{cell.source}"

    def test_no_loops(self, path):
        for cell in _code_cells(_read(path)):
            tree = ast.parse(cell.source)
            found = [type(n).__name__ for n in ast.walk(tree) if isinstance(n, LOOP_NODES)]
            assert not found, f"{path.name}: {found} in cell:\n{cell.source}"

    def test_no_file_io_outside_reporting(self, path):
        for cell in _code_cells(_read(path)):
            for node in ast.walk(ast.parse(cell.source)):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                assert not (isinstance(func, ast.Name) and func.id == "open"), path.name
                assert not (isinstance(func, ast.Attribute) and func.attr in FILE_IO_ATTRIBUTES), (
                    f"{path.name}: .{func.attr}() writes files; use report.save_*")

    def test_it_imports_only_the_package_and_display_helpers(self, path):
        allowed = {"cw_pophealth", "IPython.display"}
        for cell in _code_cells(_read(path)):
            for node in ast.walk(ast.parse(cell.source)):
                if isinstance(node, ast.ImportFrom):
                    assert node.module in allowed, f"{path.name}: from {node.module} import"
                elif isinstance(node, ast.Import):
                    assert all(a.name.split(".")[0] == "cw_pophealth" for a in node.names)

    def test_it_starts_with_a_markdown_narrative(self, path):
        first = _read(path).cells[0]
        assert first.cell_type == "markdown" and first.source.startswith("# ")
