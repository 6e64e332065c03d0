"""The ``ownergraph`` command: ``main`` assembles it, one module per area of sub-commands,
``context`` gives them the settings. Heavy modules are imported inside the commands that
use them, so ``ownergraph --help`` starts in a fraction of a second."""
