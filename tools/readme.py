"""README's generated blocks, rewritten from the committed results so that its numbers are never typed.

    python -m tools.readme           # rewrite the blocks in README.md
    python -m tools.readme --check   # exit 1 if a block is out of date (tests run the same check)

A block sits between ``<!-- generated: NAME -->`` and ``<!-- end: NAME -->``; ``make eval-full``
and ``make bench`` run this after they write ``results/``.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable

import pandas as pd

from qa_helpers.evaluation import benchmark, calibration, int8_profile, no_answer, runner, stored
from qa_helpers.evaluation.report import markdown_table
from qa_helpers.examples import LANGUAGES
from tools import ROOT, decoding_reference
from tools.course import table_of_contents

README = ROOT / "README.md"


def notebooks_table() -> str:
    rows = [f"| [{title}](notebooks/{stem}.ipynb) | {teaches} |" for stem, title, teaches in table_of_contents()]
    return "\n".join(["| notebook | what it teaches |", "| --- | --- |", *rows])


def _languages_done(summary: dict) -> tuple[str, bool]:
    """How many of the 11 languages a committed run holds, in words, and whether that is all of them."""
    langs = list(dict.fromkeys(row["lang"] for row in summary["rows"]))
    if len(langs) == len(LANGUAGES):
        return f"all {len(LANGUAGES)} languages", True
    return f"{len(langs)} of the {len(LANGUAGES)} languages so far ({', '.join(langs)})", False


def evaluation_scores() -> str:
    summary = runner.stored_summary("repro")
    done, complete = _languages_done(summary)
    status = f"**{done}**" + ("" if complete else "; `make eval-full` goes on with the rest where it stopped")
    return f"Languages in the committed run: {status}.\n\n{markdown_table(runner.score_table(summary))}"


def evaluation_time() -> str:
    return _time_and_memory(runner.stored_summary("repro"))


def _time_and_memory(summary: dict) -> str:
    memory = summary["memory"]
    return (
        f"{markdown_table(runner.time_table(summary))}\n\nPeak memory: {memory['python_peak_mb'] / 1024:.1f} GiB for "
        f"Python and {memory['jvm_peak_mb'] / 1024:.1f} GiB for the JVM."
    )


def evaluation_int8() -> str:
    """The int8 run's minutes per language and engine, and what int8 changed against the fp32 run."""
    summary = runner.stored_summary("repro-int8")
    done, _ = _languages_done(summary)
    change = markdown_table(runner.precision_table(runner.stored_summary("repro"), summary))
    return f"Languages in the committed int8 run: **{done}**.\n\n{_time_and_memory(summary)}\n\nAgainst the fp32 run:\n\n{change}"


def calibration_table() -> str:
    summary = calibration.stored_summary("repro")
    rows = calibration.threshold_rule(summary, calibration.stored_answers("repro"))
    for row, result in zip(rows, summary["engines"].values()):
        row["ECE"] = result["ece"]
        row["answers"] = result["answers"]
    table = pd.DataFrame(rows)[["engine", "answers", "ECE", "threshold", "answers kept", "right among kept", "right among all"]]
    return markdown_table(table.round(3))


def no_answer_table() -> str:
    summary = no_answer.stored_summary("repro")
    rows = [{"rule": rule, "engine": runner.ENGINE_NAMES[result["engine"]], "threshold": result["threshold"],
             **{key: result["measured"][key] for key in ("pairs", "unanswerable", "precision", "recall", "accuracy",
                                                         "answerable answered", "right among answered")}}
            for rule, result in summary["rules"].items()]
    return markdown_table(pd.DataFrame(rows).round(3))


def _report_markdown(load_report: Callable[[], dict], relative: str) -> str:
    """A committed report's Markdown, after its JSON through the same loader as notebook 8 (downloads outside a checkout)."""
    load_report()
    return stored.result_path(relative).read_text(encoding="utf-8").strip()


def benchmark_table() -> str:
    return _report_markdown(benchmark.stored_report, "benchmark/results.md")


def int8_profile_table() -> str:
    return _report_markdown(int8_profile.stored_report, "benchmark/int8_profile.md")


def decoding_table() -> str:
    """Our decoding against transformers' pipeline, and the rules' held-out F1 (tools/decoding_reference.py)."""
    summary = json.loads((ROOT / "results" / "decoding" / "repro" / "summary.json").read_text(encoding="utf-8"))
    return decoding_reference.to_markdown(summary).rstrip("\n")


BLOCKS: dict[str, Callable[[], str]] = {
    "notebooks": notebooks_table,
    "evaluation scores": evaluation_scores,
    "evaluation time": evaluation_time,
    "evaluation int8": evaluation_int8,
    "calibration": calibration_table,
    "no answer": no_answer_table,
    "benchmark": benchmark_table,
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
