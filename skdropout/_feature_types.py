"""Features must be numbers: dates, durations and text in X are refused by name.

A newcomer's first X is often a pandas DataFrame straight from a file, with a
column of dates or of words among the numbers. scikit-learn's checks turn the
frame into one float array and fail on such a column with numpy's words
("could not convert string to float: 'a'", a ``DTypePromotionError`` between
``Float64DType`` and ``DateTime64DType``), which name neither the column nor
a remedy. Dates alone (a frame of them, or a datetime64 array) are worse:
they convert without a word into counts of their unit since 1970 (in
pandas' nanoseconds, 1.8e18 for a date in 2026), and the network trains on
that. :func:`check_feature_types`, called before those
checks, names the columns and says what to do.
"""

import sys

import numpy as np

_REMEDY = (
    "a network takes numbers only. Encode such columns first, for example "
    "with a ColumnTransformer in a Pipeline: a OneHotEncoder for words and "
    "categories, and for dates the numbers you mean (a year, a day of the "
    "week, days since a start)."
)
# Columns named in a message, at most; the rest are counted.
_LISTED = 5


def check_feature_types(X):
    """Raise if ``X`` holds dates, durations or (in a DataFrame) text.

    Only a DataFrame's columns of other dtypes than numbers are looked at
    one by one: a column of text or objects passes when its present values
    convert to float, as scikit-learn converts them (missing ones are left
    to its "contains NaN"). Anything else is left to scikit-learn's checks.

    Raises
    ------
    ValueError
        Naming the offending columns (or the array's dtype) and the remedy.
    """
    pandas = sys.modules.get("pandas")  # without pandas, X cannot be a frame
    if pandas is not None and isinstance(X, pandas.DataFrame):
        columns = _non_numeric_columns(X, pandas)
        if columns:
            raise ValueError(_columns_message(columns, pandas))
        return
    dtype = getattr(X, "dtype", None)
    if isinstance(dtype, np.dtype) and dtype.kind in "mM":
        raise ValueError(
            f"X holds dates or durations (dtype {dtype}), which a network "
            "cannot take as they are: convert them first to the numbers you "
            "mean (a year, a day of the week, days since a start). Left as "
            "they are, they would become counts of their unit (for dates, "
            "since 1970)."
        )


def _non_numeric_columns(frame, pandas):
    """``(name, dtype)`` of each column of ``frame`` that does not hold numbers."""
    dtypes = frame.dtypes.values
    # The dtypes answer for almost every frame: a set of them is quick to
    # make where a loop over thousands of columns is not.
    if all(_is_plain_number(dtype) for dtype in {*dtypes}):
        return []
    found = []
    for position, dtype in enumerate(dtypes):
        if _is_plain_number(dtype):
            continue
        if not _holds_numbers(frame.iloc[:, position], dtype, pandas):
            found.append((frame.columns[position], dtype))
    return found


def _is_plain_number(dtype):
    """Whether ``dtype`` is a NumPy bool, integer or float dtype."""
    return isinstance(dtype, np.dtype) and dtype.kind in "biuf"


def _holds_numbers(column, dtype, pandas):
    """Whether a column converts to the numbers it means.

    Numbers, bools and categories of numbers do; dates and durations never
    (they would become counts of a unit); text does when every present value
    is a number written out, as scikit-learn converts it.
    """
    types = pandas.api.types
    values = column
    if isinstance(dtype, pandas.CategoricalDtype):
        values = dtype.categories
        dtype = values.dtype
    # Complex numbers count: scikit-learn's own check refuses them by name.
    if types.is_numeric_dtype(dtype) or types.is_bool_dtype(dtype):
        return True
    if _is_date_like(dtype, pandas):
        return False
    present = np.asarray(values.dropna(), dtype=object)
    try:
        present.astype(np.float64)
    except (TypeError, ValueError):
        return False
    return True


def _is_date_like(dtype, pandas):
    types = pandas.api.types
    return (
        types.is_datetime64_any_dtype(dtype)
        or types.is_timedelta64_dtype(dtype)
        or isinstance(dtype, pandas.PeriodDtype)
    )


def _columns_message(columns, pandas):
    listed = ", ".join(f"{name!r} ({dtype})" for name, dtype in columns[:_LISTED])
    if len(columns) > _LISTED:
        listed += f" and {len(columns) - _LISTED} more"
    dates = any(_is_date_like(dtype, pandas) for _, dtype in columns)
    what = "dates, durations or text" if dates else "text or other values"
    return f"X has {len(columns)} column(s) of {what}, not numbers: {listed}; {_REMEDY}"
