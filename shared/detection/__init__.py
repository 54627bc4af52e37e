"""Detection: validate, normalise, decode, match rules, classify, compare, score."""
