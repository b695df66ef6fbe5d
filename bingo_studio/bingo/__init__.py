"""BINGO: weight significance gathered by lottery-ticket searches during the one training run."""
