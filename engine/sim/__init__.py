"""The market simulator: synthetic and recorded books, venues over them, and the REST server."""
