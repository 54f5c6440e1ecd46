"""Every string from the API or the data that a notebook shows as Markdown is HTML-escaped.

A notebook shows data in Markdown only through :func:`cw_pophealth.report.markdown`, which
escapes the values it fills in; a bare ``IPython.display.Markdown`` may hold only the notebook's
own text and the package's constants (and a fenced code block, shown as text). Tables go
through ``report.display_table``, which escapes (tests/runner/test_published.py runs a real
report with a script for an area name).
"""

from __future__ import annotations

import ast
import json

import pytest

from cw_pophealth import report
from cw_pophealth.config import PROJECT_ROOT

SCRIPT = "<script>alert(1)</script>"
NOTEBOOKS = sorted((PROJECT_ROOT / "notebooks").glob("*.ipynb"))


def _is_fence(node: ast.expr) -> bool:
    """``"```\\n" + anything + "\\n```"``: a fenced code block, which Markdown shows as text."""
    left, right = node, node
    while isinstance(left, ast.BinOp):
        left = left.left
    while isinstance(right, ast.BinOp):
        right = right.right
    return (isinstance(left, ast.Constant) and str(left.value).startswith("```")
            and isinstance(right, ast.Constant) and str(right.value).endswith("```"))


def trusted(node: ast.expr) -> bool:
    """Text the notebook or the package wrote: string constants and UPPERCASE constants."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return all(trusted(v.value) if isinstance(v, ast.FormattedValue) else trusted(v)
                   for v in node.values)
    if isinstance(node, ast.Name):
        return node.id.isupper()
    if isinstance(node, ast.Attribute):
        return node.attr.isupper()
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _is_fence(node) or (trusted(node.left) and trusted(node.right))
    return False


def bare_markdown_with_data(notebook) -> list[str]:
    found = []
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        for node in ast.walk(ast.parse(source)):
            name = getattr(getattr(node, "func", None), "id", None) or getattr(
                getattr(node, "func", None), "attr", None)
            if isinstance(node, ast.Call) and name == "Markdown" and not all(
                    trusted(a) for a in node.args):
                found.append(ast.get_source_segment(source, node).splitlines()[0])
    return found


class TestNotebooksEscapeData:
    def test_every_notebook_is_checked(self):
        assert len(NOTEBOOKS) >= 7

    @pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
    def test_data_reaches_markdown_only_through_report_markdown(self, notebook):
        assert bare_markdown_with_data(notebook) == []

    def test_the_check_catches_data_in_a_bare_markdown(self):
        source = ("display(Markdown(analysis.selection_note(areas)))\n"
                  "display(Markdown(f'**Source:** {burden[\"release\"].iloc[0]}'))")
        calls = [n for n in ast.walk(ast.parse(source))
                 if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "Markdown"]
        assert [trusted(c.args[0]) for c in calls] == [False, False]

    def test_the_check_lets_constants_and_code_fences_through(self):
        source = ('Markdown("**Bold** text")\nMarkdown(stats.WINDOW_OF_NEED_METHOD)\n'
                  'Markdown("```\\n" + analysis.live_pull_command(codes) + "\\n```")')
        calls = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call)
                 and getattr(n.func, "id", "") == "Markdown"]
        assert all(trusted(c.args[0]) for c in calls)


class TestReportMarkdown:
    def test_values_are_escaped(self):
        shown = report.markdown("**Area:** {name}", name=SCRIPT).data
        assert SCRIPT not in shown and "&lt;script&gt;" in shown

    def test_the_template_is_kept_as_markdown(self):
        assert report.markdown("**Area:** {name}", name="Coventry").data == "**Area:** Coventry"
