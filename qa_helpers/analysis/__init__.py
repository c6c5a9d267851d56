"""Looking inside the answers: the two engines compared, the languages toured, logits drawn, spans highlighted."""
