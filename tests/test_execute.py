"""Executing the notebooks: every slow cell is reported with what it printed, and no run leaves timing in a notebook."""
import nbformat

from tools import execute


def test_a_slow_cell_is_reported_with_its_first_line_and_the_timing_is_dropped(tmp_path, monkeypatch):
    monkeypatch.setattr(execute, "SLOW_CELL_S", 0.5)
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import time\nprint('step 1 of 2', flush=True)\ntime.sleep(1)\nprint('done')"),
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("import time\ntime.sleep(1)"),
    ])
    path = tmp_path / "slow.ipynb"
    nbformat.write(nb, path)
    ran = execute.execute(path)
    slow = execute.slow_cells(ran)
    assert [(index, first) for index, _, first in slow] == [(0, "step 1 of 2"), (2, "")]  # the silent one says nothing
    assert all(seconds >= 1.0 for _, seconds, _ in slow)
    assert all("execution" not in cell.metadata for cell in ran.cells)
