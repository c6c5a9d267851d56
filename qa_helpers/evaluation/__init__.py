"""How good and how fast: XQuAD and its splits, the metrics, the evaluation runner, the benchmark,
and the committed results that README and the notebooks quote."""
