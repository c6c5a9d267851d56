"""Colab's preinstalled versions of the packages this project uses, as a dated pin file.

    python -m tools.colab_runtime FREEZE_FILE DATE SOURCE   # rewrite tools/colab-runtime.txt

FREEZE_FILE is Colab's published ``pip-freeze.txt`` (the googlecolab/backend-info repository, CPU
runtime). The pin file keeps the distributions that also appear in constraints.txt (everything
``make`` installs), at Colab's versions: the environment ``make colab-check`` starts from.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from tools import ROOT

RUNTIME_PINS = ROOT / "tools" / "colab-runtime.txt"
# Colab installs torch from PyTorch's own index (a +cpu build); this machine reaches PyPI only, whose
# torch of the same version is the CUDA build: the same Python code, a bigger download, run on the CPU.
LOCAL_VERSION = re.compile(r"/torch-([0-9.]+)%2Bcpu-")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(text: str) -> dict[str, str]:
    """``{normalised name: version}`` from pip-freeze, constraints or environment.yml lines (``name==v``, or a torch wheel URL)."""
    pins = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip().removeprefix("- ")  # environment.yml lists them as YAML items
        if match := re.match(r"([A-Za-z0-9_.\-]+)\s*==\s*(\S+)", line):
            pins[normalise(match.group(1))] = match.group(2)
        elif (match := re.match(r"([A-Za-z0-9_.\-]+)\s*@\s*(\S+)", line)) and (wheel := LOCAL_VERSION.search(match.group(2))):
            pins[normalise(match.group(1))] = wheel.group(1)
    return pins


def runtime_pins(freeze: str, constraints: str) -> dict[str, str]:
    """Colab's version of every distribution that ``make`` also installs (CUDA libraries left to torch)."""
    colab, ours = read_pins(freeze), read_pins(constraints)
    return {name: colab[name] for name in sorted(colab) if name in ours and not name.startswith("nvidia-")}


def main(argv: list[str]) -> int:
    freeze, date, source = argv
    pins = runtime_pins(Path(freeze).read_text(), (ROOT / "constraints.txt").read_text())
    header = [
        f"# Google Colab's CPU runtime on {date}: its preinstalled versions of the packages this project uses.",
        f"# Source: {source}",
        "# Written by `python -m tools.colab_runtime`; `make colab-check` installs these on Python 3.13 first.",
        "# torch: Colab has the +cpu build from PyTorch's index; PyPI's build of the same version stands in here.",
    ]
    RUNTIME_PINS.write_text("\n".join(header + [f"{name}=={version}" for name, version in pins.items()]) + "\n")
    print(f"{len(pins)} pins -> {RUNTIME_PINS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
