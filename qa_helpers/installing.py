"""What the course installs beyond its core: Spark NLP on demand, and a word when a session needs a restart.

The core track needs transformers alone; the engineering track adds PySpark, Spark NLP and NLU, the package's
``spark`` extra (``pip install "qa_helpers[spark]"``). In Colab, :func:`install_spark` installs that extra from
where the package itself came (the same commit), so a notebook's Spark half begins with one call.
"""
from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import json
import subprocess
import sys

__all__ = ["install_spark", "package_origin", "replaced_modules", "requirement_url", "say_if_restart_needed", "spark_installed"]

SPARK_MODULES = ("pyspark", "sparknlp", "nlu")
KEPT = ("numpy", "pandas", "torch", "transformers")  # what a Colab session has imported before the set-up cell may run


def spark_installed() -> bool:
    """Are PySpark, Spark NLP and NLU importable?"""
    return all(importlib.util.find_spec(name) is not None for name in SPARK_MODULES)


def requirement_url(direct_url: dict) -> str:
    """A pip requirement's URL from an installed package's ``direct_url.json`` (PEP 610): the same commit of the
    same repository (``git+https://...@commit``), or the same archive; '' for an editable checkout."""
    vcs = direct_url.get("vcs_info")
    if vcs:
        return f"{vcs['vcs']}+{direct_url['url']}@{vcs['commit_id']}"
    return "" if direct_url.get("dir_info", {}).get("editable") else direct_url.get("url", "")


def package_origin() -> str:
    """Where pip installed qa_helpers from, as a requirement's URL; '' when that is not known or is a checkout."""
    try:
        text = importlib.metadata.distribution("qa_helpers").read_text("direct_url.json")
    except importlib.metadata.PackageNotFoundError:
        return ""
    return requirement_url(json.loads(text)) if text else ""


def install_spark() -> None:
    """Make Spark NLP importable: nothing to do where it is installed; in Colab, pip installs the ``spark`` extra.

    Elsewhere it raises with the command to run, since installing into someone's own environment is theirs to do.
    """
    if spark_installed():
        return
    origin = package_origin()
    if "google.colab" not in sys.modules or not origin:
        raise ModuleNotFoundError(
            "Spark NLP is not installed: the engineering track needs the package's spark extra. Run "
            "`pip install -e \".[spark]\"` in a clone of the course (make does it), or `pip install \"qa_helpers[spark] @ <url>\"`.")
    print("Installing PySpark, Spark NLP and NLU (PySpark is most of the download)...", flush=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", f"qa_helpers[spark] @ {origin}"], check=True)
    importlib.invalidate_caches()


def replaced_modules() -> list[str]:
    """Modules this session imported before pip replaced them: their code in memory is not the installed one."""
    def installed(name: str) -> str | None:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return None

    def public(version: str | None) -> str | None:
        """Without the local part: PyPI's torch says "2.15.0+cu132" in ``__version__`` and "2.15.0" in its metadata."""
        return version.split("+")[0] if version else None

    return [name for name in KEPT
            if name in sys.modules and public(getattr(sys.modules[name], "__version__", None)) not in (None, public(installed(name)))]


def say_if_restart_needed() -> None:
    """One line, only when needed: after the set-up cell changed a module the session had already imported."""
    replaced = replaced_modules()
    if replaced:
        print(f"Restart the session (Runtime > Restart session) and run the notebook again: {', '.join(replaced)} changed.")
