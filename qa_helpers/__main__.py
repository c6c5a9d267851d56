"""Command line: ``python -m qa_helpers {info,ask,fetch-jars,build-model}``.

The studies that write ``results/`` (evaluate, calibrate, no-answer, bench, int8-profile, cluster, finetune) have
their own: ``python -m studies``.
"""
from __future__ import annotations

import argparse
import sys

from . import api
from .engines.spark_engine import pipeline_for
from .engines.spark_session import resolve_jars
from .models.mbert import ensure_mbert
from .models.precision import PRECISIONS
from .models.sources import describe, resolve_model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa_helpers", description=__doc__)
    parser.add_argument("--model", help="real, repro, tiny, auto or a folder (default: $QA_MODEL, else real)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="print the active model")
    ask = sub.add_parser("ask", help="answer one question")
    ask.add_argument("question")
    ask.add_argument("context")
    ask.add_argument("--engine", choices=list(api.ENGINES), default="transformers")
    ask.add_argument("--top-k", type=int, default=1)
    sub.add_parser("fetch-jars", help="download the Spark NLP jar and its dependencies")
    build = sub.add_parser("build-model", help="build an offline model for both engines")
    build.add_argument(
        "--profile", choices=["tiny", "repro", "mbert"], default="tiny",
        help="tiny: random test model; repro: the trained reproduction; "
        "mbert: only the pretrained masked-LM model it starts from",
    )
    build.add_argument("--precision", choices=PRECISIONS, help="also build this precision's model (int8: the quantised ONNX "
                       "model and its Spark NLP import); default $QA_PRECISION, else fp32")
    args = parser.parse_args(argv)

    if args.command == "fetch-jars":
        record = resolve_jars()
        print(f"Spark NLP jars ready: {record['package']} ({record['mode']}, {len(record['jars'])} jars)")
        return 0
    if args.command == "build-model" and args.profile == "mbert":
        print(f"Pretrained mBERT ready: {ensure_mbert()}")
        return 0
    if args.command == "build-model":
        source = resolve_model(args.profile, args.precision)
        pipeline_for(source)  # imports the ONNX export into Spark NLP on first use
        int8 = " (and its int8 model, built and cached)" if source.precision == "int8" else ""
        print(f"Offline model '{args.profile}' ready: {source.transformers} and {source.spark}{int8}")
        return 0
    source = resolve_model(args.model)
    print(describe(source))
    if args.command == "ask":
        for a in api.answer(args.question, args.context, engine=args.engine, model=source, top_k=args.top_k):
            print(f"{a.score:.4f}  [{a.start}:{a.end}]  {a.text!r}  (engine text: {a.engine_text!r})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
