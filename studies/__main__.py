"""Command line of the studies: ``python -m studies {evaluate,calibrate,no-answer,bench,int8-profile,cluster,decoding-reference,finetune} --help``."""
from __future__ import annotations

import sys

from . import benchmark, calibration, cluster, decoding_reference, evaluation, int8_profile, no_answer, training

PROGRAMS = {
    "evaluate": evaluation, "calibrate": calibration, "no-answer": no_answer, "bench": benchmark,
    "int8-profile": int8_profile, "cluster": cluster, "decoding-reference": decoding_reference, "finetune": training,
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in PROGRAMS:
        print(__doc__.strip() + "\n")
        for name, module in PROGRAMS.items():
            print(f"  {name:<13} {(module.__doc__ or '').strip().splitlines()[0]}")
        return 0 if argv[:1] in ([], ["--help"], ["-h"]) else 2
    return PROGRAMS[argv[0]].main(argv[1:]) or 0


if __name__ == "__main__":
    sys.exit(main())
