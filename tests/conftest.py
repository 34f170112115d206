"""Data shared by the test modules."""

import numpy as np
import pytest
from sklearn.datasets import load_digits


@pytest.fixture(scope="session")
def random_walks():
    """``random_walks(n_samples, n_features, seed)``: rows of Gaussian random walks, whose
    neighbouring features are strongly correlated, the farther apart the less."""

    def make(n_samples, n_features, seed):
        rng = np.random.default_rng(seed)
        return np.cumsum(rng.standard_normal((n_samples, n_features)), axis=1)

    return make


@pytest.fixture(scope="session")
def digits():
    """scikit-learn's 8x8 digits, pixels 0..16, as ``(X, y)``; modules that need them
    scaled or subsampled override this fixture with one that requests it."""
    return load_digits(return_X_y=True)
