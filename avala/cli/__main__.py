"""``python -m avala.cli``: the ``avala`` command line."""

from avala.cli import main

main()
