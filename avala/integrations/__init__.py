"""Integrations with the frameworks and services Avala users run: each lives in its own
module and needs its own extra (``pip install "avala[fastapi]"``, ...); nothing here is
imported by ``import avala``."""
