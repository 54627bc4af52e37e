"""Training, evaluation and provenance for the detection classifier (never deployed)."""
