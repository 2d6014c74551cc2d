"""Crash recovery: reconcile the journal with the venues (reconcile), rebuild parents (load), resume (resume)."""
