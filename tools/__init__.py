"""Maintainer tools: render the notebooks, keep their Colab badge and set-up cell in step, emulate Colab,
write README's generated blocks."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # the repository: tools and tests read its files
