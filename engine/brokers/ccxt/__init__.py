"""ccxt."""
