"""The planted cases of every rule and their near-misses, one module per family of rules."""
