"""Reference implementations of QE that the tests and benchmarks check the library against.

They are deliberately direct: no log space, no reuse between partitions, no chunking.
"""

from functools import reduce

import numpy as np
from scipy.special import entr


def _entropy_of(squared_singular_values):
    p = np.clip(squared_singular_values, 0, None)
    p = p[p > p.max() * p.size * np.finfo(np.float64).eps]
    return float(entr(p / p.sum()).sum())


def explicit_tensor_entanglement(X, weights, block, theta):
    """QE from the explicit ``2**N`` data tensor (small N only).

    Builds ``A = (1/M) sum_m w_m phi(x_m1) (x) ... (x) phi(x_mN)`` with Kronecker products,
    matricizes it with the features of ``block`` as rows and takes its SVD.
    """
    n_samples, n_features = X.shape
    tensor = np.zeros(2**n_features)
    for x, w in zip(X, weights):
        factors = [np.array([np.cos(np.pi * theta * t), np.sin(np.pi * theta * t)]) for t in x]
        tensor += w * reduce(np.kron, factors) / n_samples
    block = list(block)
    complement = [n for n in range(n_features) if n not in block]
    matrix = np.transpose(tensor.reshape((2,) * n_features), block + complement)
    matrix = matrix.reshape(2 ** len(block), -1)
    return _entropy_of(np.linalg.svd(matrix, compute_uv=False) ** 2)


def naive_gram(X, features, theta):
    """Gram matrix over ``features``, built feature by feature in linear space."""
    gram = np.ones((X.shape[0], X.shape[0]))
    for n in features:
        gram *= np.cos(np.pi * theta * (X[:, n, None] - X[None, :, n]))
    return gram


def naive_entanglement(X, weights, block, theta):
    """QE of one partition by the textbook Gram trick.

    Both Grams are built from scratch and the eigenvalues of
    ``G_K^(1/2) D G_Kc D G_K^(1/2)`` are taken with a full eigendecomposition.
    """
    complement = np.setdiff1d(np.arange(X.shape[1]), block)
    gram_block = naive_gram(X, block, theta)
    gram_complement = naive_gram(X, complement, theta)
    eigenvalues, eigenvectors = np.linalg.eigh(gram_block)
    root = (eigenvectors * np.sqrt(np.clip(eigenvalues, 0, None))) @ eigenvectors.T
    weighted = root * weights
    return _entropy_of(np.linalg.eigvalsh(weighted @ gram_complement @ weighted.T))
