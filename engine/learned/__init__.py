"""What runtime and training share of the learned policy: spaces, features, table, EWMA model."""
