"""``python -m api.cli``: the same command as the ``ownergraph`` console script."""

from api.cli.main import main

main()
