"""Maintainer tools: render the notebooks, keep their Colab badge and set-up cell in step."""
