"""Every notebook opens the same way: title, what you learn, Colab badge, set-up, active model."""
import re
import subprocess
import sys

import nbformat
import pytest

from tools import ROOT, colab, course

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_structure(path):
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0].source
    assert first.startswith("# ") and "What you will learn" in first
    assert colab.badge(path) in first
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[0].source == colab.setup_source(course.needs_spark(path.stem)) and code[0].metadata.get("tags") == [colab.SETUP_TAG]  # folded on the website
    assert "source = qa.resolve_model()" in code[1].source and "qa.describe(source)" in code[1].source  # resolved once, printed
    assert code[1].outputs and code[1].outputs[0]["text"].startswith("Active model -> repro: ")  # make notebooks
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "## Summary" in text and "## Exercises" in text


def test_the_setup_cell_is_four_lines_that_install_the_tracks_package_in_colab_alone():
    for path in NOTEBOOKS:
        cell = next(c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
        assert len(cell.source.splitlines()) == 4 and f'%pip install --quiet "{colab.install_target(course.needs_spark(path.stem))}"' in cell.source
    assert "[spark]" not in colab.install_target(False) and "qa_helpers[spark] @ git+https://" in colab.install_target(True)


def test_the_setup_cell_does_nothing_outside_colab(tmp_path):
    code = colab.setup_source(spark=True) + "\nprint('done')"
    out = subprocess.run([sys.executable, "-m", "IPython", "--no-banner", "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "done"


def test_importing_the_package_says_in_one_line_when_a_restart_is_needed(monkeypatch, capsys):
    import numpy

    from qa_helpers import installing

    monkeypatch.setattr(installing, "KEPT", ("numpy",))  # other tests may stand in for other modules
    installing.say_if_restart_needed()
    assert capsys.readouterr().out == ""
    monkeypatch.setattr(numpy, "__version__", f"{numpy.__version__}+cpu")  # a local build tag is the same release
    installing.say_if_restart_needed()
    assert capsys.readouterr().out == ""
    monkeypatch.setattr(numpy, "__version__", "0.1")  # as if pip had replaced an imported numpy
    installing.say_if_restart_needed()
    assert capsys.readouterr().out == "Restart the session (Runtime > Restart session) and run the notebook again: numpy changed.\n"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_exercise_has_its_answer_and_every_code_answer_ran(path):
    nb = nbformat.read(path, as_version=4)
    exercises = next(c.source for c in nb.cells if c.cell_type == "markdown" and "## Exercises" in c.source).split("## Exercises", 1)[1]
    count = len(re.findall(r"^\d+\. ", exercises, re.M))
    answered = [int(n) for c in nb.cells if c.cell_type == "markdown"
                for n in re.findall(r"<details>\n<summary><b>Answer to exercise (\d+)</b></summary>\n\n", c.source)]
    assert count >= 1 and answered == list(range(1, count + 1))
    for cell in (c for c in nb.cells if c.cell_type == "code" and c.source.startswith("# Answer to exercise")):
        assert cell.metadata.get("tags") == ["hide-cell"]  # folded on the website, like a spoiler
        assert cell.outputs and not any(o.output_type == "error" for o in cell.outputs)  # nbval runs it like every cell


def test_the_tracks_are_the_same_in_the_course_readme_landing_page_and_teachers_guide():
    core = [stem for stem, chapter in course.CHAPTERS.items() if chapter.track == course.CORE]
    assert core == ["01_quickstart", "02_inside_extractive_qa", "04_visualising_logits", "05_multilingual_tour",
                    "07_evaluation_xquad", "08_scores_and_no_answer", "10_how_the_model_was_made"]
    notebook_1 = nbformat.read(ROOT / "notebooks" / "01_quickstart.ipynb", as_version=4).cells
    half = next(k for k, c in enumerate(notebook_1) if c.cell_type == "markdown" and course.SPARK_HALF in c.source)
    assert not any("spark" in c.source.lower() for c in notebook_1[:half] if c.cell_type == "code")  # transformers alone first
    assert any("qa.install_spark()" in c.source for c in notebook_1[half:])
    guide = (ROOT / "docs" / "teaching.md").read_text(encoding="utf-8")
    for stem, chapter in course.CHAPTERS.items():
        assert re.search(rf"\| \[{int(stem[:2])}\. [^]]+\]\(\.\./notebooks/{stem}\.ipynb\) \| {chapter.track} \|", guide), stem


def test_the_guides_run_times_are_written_from_a_colab_check_report():
    from tools.colab_check import run_times_table

    seconds = {(stem if course.needs_spark(stem) or stem == "01_quickstart" else f"{stem}.core"): 60.0 * (k + 1)
               for k, stem in enumerate(course.CHAPTERS)} | {"01_quickstart.core": 30.0}  # as main() records them
    setup = {"core": {"download_mb": 12.3, "seconds": 9.0}, "engineering": {"download_mb": 345.6, "seconds": 40.0}}
    table = run_times_table({"runtime": "Colab 2026-08-19", "model": "repro", "setup": setup, "notebook_seconds": seconds}, "2026-12-02")
    assert "| [1. Quickstart](../notebooks/01_quickstart.ipynb) | core | the second half | 0.5 (first half), 1.0 (whole) |" in table
    assert "| [3. The Spark NLP pipeline](../notebooks/03_spark_nlp_pipeline.ipynb) | engineering | yes | 3.0 |" in table
    assert "downloaded 12 MB in 9 s; the engineering set-up cell 346 MB in 40 s" in table
