"""README's generated blocks, rewritten from the committed results so that its numbers are never typed.

    python -m tools.readme           # rewrite the blocks in README.md
    python -m tools.readme --check   # exit 1 if a block is out of date (tests run the same check)

A block sits between ``<!-- generated: NAME -->`` and ``<!-- end: NAME -->``; ``make eval-full``
and ``make bench`` run this after they write ``results/``.
"""
from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable

import pandas as pd

import studies
from qa_helpers.examples import LANGUAGES
from studies import benchmark, calibration, decoding_reference, evaluation, no_answer, stored
from studies.report import markdown_table
from tools import ROOT
from tools.course import CHAPTERS, table_of_contents

README = ROOT / "README.md"

# The project's goals for lower precision (README, "Performance"): int8 path -> (its fp32 path, the speed-up asked of it),
# each also at most F1_BOUND held-out F1 points below fp32.
INT8_GOALS = {
    "ONNX Runtime int8": ("ONNX Runtime fp32", 2.0),
    "Spark NLP int8, DataFrame": ("Spark NLP fp32, DataFrame", 1.8),
    "Spark NLP int8, LightPipeline": ("Spark NLP fp32, LightPipeline", 1.8),
}
F1_BOUND = -1.0


def notebooks_table() -> str:
    rows = [f"| [{title}](notebooks/{stem}.ipynb) | {CHAPTERS[stem].track} | {teaches} |" for stem, title, teaches in table_of_contents()]
    return "\n".join(["| notebook | track | what it teaches |", "| --- | --- | --- |", *rows])


def _languages_done(summary: evaluation.EvaluationSummary) -> tuple[str, bool]:
    """How many of the 11 languages a committed run holds, in words, and whether that is all of them."""
    if len(summary.langs) == len(LANGUAGES):
        return f"all {len(LANGUAGES)} languages", True
    return f"{len(summary.langs)} of the {len(LANGUAGES)} languages so far ({', '.join(summary.langs)})", False


def evaluation_scores() -> str:
    summary = studies.load("evaluation", "repro")
    done, complete = _languages_done(summary)
    status = f"**{done}**" + ("" if complete else "; `make results` goes on with the rest where it stopped")
    return f"Languages in the committed run: {status}.\n\n{markdown_table(evaluation.score_table(summary))}"


def evaluation_time() -> str:
    return _time_and_memory(studies.load("evaluation", "repro"))


def _time_and_memory(summary: evaluation.EvaluationSummary) -> str:
    memory = summary.memory_mb
    return (
        f"{markdown_table(evaluation.time_table(summary))}\n\nPeak memory: {memory['python'] / 1024:.1f} GiB for "
        f"Python and {memory['jvm'] / 1024:.1f} GiB for the JVM."
    )


def evaluation_int8() -> str:
    """The int8 run's minutes per language and engine, and what int8 changed against the fp32 run."""
    summary = studies.load("evaluation", evaluation.run_name("repro", "int8"))
    done, _ = _languages_done(summary)
    change = markdown_table(evaluation.precision_table(studies.load("evaluation", "repro"), summary))
    return f"Languages in the committed int8 run: **{done}**.\n\n{_time_and_memory(summary)}\n\nAgainst the fp32 run:\n\n{change}"


def calibration_table() -> str:
    summary = studies.load("calibration", "repro")
    rows = calibration.threshold_rule(summary, studies.load_rows("calibration", "repro"))
    for row, result in zip(rows, summary.engines.values()):
        row["ECE"] = result.ece
        row["answers"] = result.answers
    table = pd.DataFrame(rows)[["engine", "answers", "ECE", "threshold", "answers kept", "right among kept", "right among all"]]
    return markdown_table(table.round(3))


def no_answer_table() -> str:
    return markdown_table(no_answer.rules_table(studies.load("no_answer", "repro")).reset_index().round(3))


def _report_markdown(study: str, relative: str) -> str:
    """A committed report's Markdown, after its JSON through the loader (which downloads it outside a checkout)."""
    studies.load(study)
    return stored.result_path(relative).read_text(encoding="utf-8").strip()


def benchmark_table() -> str:
    return _report_markdown("benchmark", "benchmark/results.md")


def goals_table() -> str:
    """The project's goals for int8, each against the committed benchmark: what was asked, what was measured."""
    report: benchmark.BenchmarkReport = studies.load("benchmark")
    rows = []
    for fast, (slow, target) in INT8_GOALS.items():
        speedup, change = report.speedup(slow, fast), report.path(fast).f1_change
        met = speedup >= target and change is not None and change >= F1_BOUND
        rows.append({"goal": f"{fast}: at least {target}x faster than {slow}, F1 change at least {F1_BOUND}",
                     "measured": f"{speedup:.2f}x, F1 change " + (f"{change:+.1f}" if change is not None else "not measured"),
                     "met": "met" if met else "**missed**"})
    ratio = report.speedup("transformers fp32, batched", "ONNX Runtime fp32")
    rows.append({"goal": "transformers fp32, batched: within 1.1x of ONNX Runtime fp32", "measured": f"{ratio:.2f}x",
                 "met": "met" if ratio <= 1.1 else "**missed**"})
    return markdown_table(pd.DataFrame(rows))


def int8_profile_table() -> str:
    return _report_markdown("int8_profile", "benchmark/int8_profile.md")


def decoding_table() -> str:
    """Our decoding against transformers' pipeline, and the rules' held-out F1 (studies/decoding_reference.py)."""
    return decoding_reference.to_markdown(studies.load("decoding", "repro")).rstrip("\n")


BLOCKS: dict[str, Callable[[], str]] = {
    "notebooks": notebooks_table,
    "evaluation scores": evaluation_scores,
    "evaluation time": evaluation_time,
    "evaluation int8": evaluation_int8,
    "calibration": calibration_table,
    "no answer": no_answer_table,
    "benchmark": benchmark_table,
    "goals": goals_table,
    "int8 profile": int8_profile_table,
    "decoding": decoding_table,
}


def render(text: str) -> str:
    """``text`` with every generated block replaced by its current content."""
    for name, make in BLOCKS.items():
        pattern = re.compile(rf"(<!-- generated: {name} -->\n).*?(\n<!-- end: {name} -->)", flags=re.S)
        if not pattern.search(text):
            raise ValueError(f"README has no block '{name}' (<!-- generated: {name} --> ... <!-- end: {name} -->)")
        text = pattern.sub(lambda m: m.group(1) + make() + m.group(2), text)  # noqa: B023 (used at once)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.readme", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether README is up to date")
    args = parser.parse_args(argv)
    current = README.read_text(encoding="utf-8")
    fresh = render(current)
    if args.check:
        print("README is up to date" if fresh == current else "README's generated blocks are out of date: python -m tools.readme")
        return 0 if fresh == current else 1
    README.write_text(fresh, encoding="utf-8")
    print("README's generated blocks rewritten" if fresh != current else "README already up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
