"""How the studies' reports show things: engine labels and Markdown tables (README quotes them)."""
from __future__ import annotations

__all__ = ["ENGINE_LABELS", "markdown_table"]

ENGINE_LABELS = {"transformers": "transformers", "spark": "Spark NLP"}  # engine name -> how a table heads it


def markdown_table(table) -> str:
    """A pandas table's columns as a Markdown table; missing values become empty cells."""
    cells = lambda row: "| " + " | ".join("" if v is None or v != v else str(v) for v in row) + " |"  # noqa: E731
    lines = [cells(table.columns), "|" + " --- |" * len(table.columns)]
    lines += [cells(row) for row in table.itertuples(index=False)]
    return "\n".join(lines)
