"""Venue adapters behind one protocol: simulated market, paper, CCXT, Interactive Brokers."""
