"""pytest configuration for the code examples of the documentation pages.

``.ci/run`` runs the ``>>>`` examples of the pages as doctests (the package's
own docstring Examples run with the test suite, ``--doctest-modules``).
"""

import matplotlib

matplotlib.use("Agg")  # the examples that plot must not need a display
