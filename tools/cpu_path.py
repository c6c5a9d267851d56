"""Run a command on another CPU code path than the one that wrote the notebooks' stored outputs.

    python -m tools.cpu_path pytest notebooks --nbval ...    # what `make test` does

`make notebooks` writes the stored outputs with the machine's default kernels (AVX-512 where the CPU has it) and
every core. Contributors and CI run on other CPUs (AMD one day, Intel the next), whose kernels round the last
digits differently. So the test run re-computes every output with torch's vector kernels, MKL and oneDNN held to
AVX2, and one thread (which changes how sums are split), and nbval compares the outputs as printed: a number shown
with more digits than hold across CPUs fails here, on the machine that made it, and not later on someone else's.
ONNX Runtime picks its kernels itself (no switch); inside Spark NLP it is held to one thread.
"""
from __future__ import annotations

import os
import sys

OTHER_CPU_PATH = {
    "ATEN_CPU_CAPABILITY": "avx2",  # torch's own vectorised kernels (softmax, layer norm, GELU, ...)
    "MKL_ENABLE_INSTRUCTIONS": "AVX2",  # MKL's matrix multiplies (torch's fp32 linear layers)
    "ONEDNN_MAX_CPU_ISA": "AVX2",  # oneDNN (torch's bf16 and int8 kernels)
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "QA_ONNX_THREADS": "1",  # ONNX Runtime inside Spark NLP
}


def main(argv: list[str] | None = None) -> int:
    command = sys.argv[1:] if argv is None else argv
    if not command:
        raise SystemExit("usage: python -m tools.cpu_path COMMAND [ARG ...]")
    print("other CPU code path: " + " ".join(f"{key}={value}" for key, value in OTHER_CPU_PATH.items()), flush=True)
    os.execvpe(command[0], command, {**os.environ, **OTHER_CPU_PATH})


if __name__ == "__main__":
    sys.exit(main())
