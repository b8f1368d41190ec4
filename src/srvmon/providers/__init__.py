"""Data-source providers: the contract lives in base.py, each cloud in its own module/package."""
