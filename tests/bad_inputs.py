"""Bad inputs every estimator must reject with a clear error: (X, error type, message)."""

import numpy as np
from scipy import sparse

COMMON_BAD_INPUTS = [
    ([[1.0, np.nan], [2.0, 3.0]], ValueError, "NaN"),
    ([[1.0, np.inf], [2.0, 3.0]], ValueError, "infinity"),
    ([["a", "b"], ["c", "d"]], ValueError, "[Ss]tring|numeric|convert"),
    (np.zeros((0, 4)), ValueError, "0 sample"),
    (np.zeros((5, 1)), ValueError, "1 feature"),
    (np.zeros((1, 4)), ValueError, "1 sample"),
    # Sparse input is densified up to 1 GiB; beyond that the error names the way out.
    (sparse.csr_array((200_000, 100_000)), ValueError, "sparse .* OneHotEncoder"),
]
