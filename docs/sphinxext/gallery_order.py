"""Order of the examples in the gallery (sphinx-gallery ``within_subsection_order``)."""

# The quick start first, then the plots of what dropout does, then tuning.
# Examples not listed here follow, sorted by file name.
EXAMPLE_ORDER = [
    "quickstart.py",
    "plot_dropout_overfitting.py",
    "plot_mc_dropout.py",
    "plot_heteroscedastic.py",
    "grid_search_pipeline.py",
    "tune_with_optuna.py",
]


class ExampleOrder:
    """Sort key: position in ``EXAMPLE_ORDER``, then file name."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        try:
            return (EXAMPLE_ORDER.index(filename), filename)
        except ValueError:
            return (len(EXAMPLE_ORDER), filename)

    def __repr__(self):
        return f"<{type(self).__name__}>"
