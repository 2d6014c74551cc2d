"""The learned execution policy: environment, features, training, lookup table, evaluation."""
