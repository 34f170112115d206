"""Regenerate the pictures of the user guide under docs/images/ (needs matplotlib).

Run from the repository root: ``python docs/make_images.py``. Takes about a minute: the
digits profiles measure ten one-vs-rest tensors per feature order.

- entanglement_profile.png: QE/SE per level of digits in three pixel orders (natural,
  shuffled, shuffled then reordered), with the bounds ln 2 and ln 4.
- area_law_digits.png: QE against block size on log axes, natural and shuffled pixels, with
  the fitted power laws.
- permutation_digits.png: where the reorderer puts each pixel of the shuffled digits.
- permutation_walk.png: the same for a shuffled 1-D random walk.

The two permutation pictures compose the learned order with the shuffle, so that they show
the true pixel (or time step) of the feature placed at each position: structure there means
the reorderer recovered the neighbourhoods the shuffle destroyed.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sklearn_qe import (  # noqa: E402
    EntanglementDisplay,
    EntanglementMeter,
    EntanglementReorderer,
    PermutationDisplay,
)

IMAGES = Path(__file__).resolve().parent / "images"
FIGSIZE = (6, 4)
DPI = 100


def save(figure, name):
    figure.tight_layout()
    figure.savefig(IMAGES / name, dpi=DPI)
    plt.close(figure)
    print(f"wrote {IMAGES / name}")


def digits_pictures():
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    shuffle = np.random.default_rng(0).permutation(X.shape[1])
    shuffled = X[:, shuffle]
    reorderer = EntanglementReorderer(shape=(8, 8), random_state=0).fit(shuffled)

    figure, ax = plt.subplots(figsize=FIGSIZE)
    orders = [
        ("natural", X),
        ("shuffled", shuffled),
        ("shuffled, reordered", reorderer.transform(shuffled)),
    ]
    meters = {}
    for label, data in orders:
        meter = EntanglementMeter(shape=(8, 8), max_samples=500, random_state=0).fit(data, y)
        meters[label] = meter
        print(
            f"{label:<20} QE {np.round(meter.entanglement_, 3)}  "
            f"SE {np.round(meter.surrogate_entanglement_, 1)}  width >= {meter.required_width_}  "
            f"area law: QE ~ size^{meter.area_law_.size_exponent:.2f}, "
            f"~ boundary^{meter.area_law_.boundary_exponent:.2f}"
        )
        EntanglementDisplay.from_estimator(meter, ax=ax, widths=[2, 4], label=label)
    ax.set_title("Digits (8x8): entanglement per level, three pixel orders", fontsize="medium")
    save(figure, "entanglement_profile.png")

    figure, ax = plt.subplots(figsize=FIGSIZE)
    for label in ("natural", "shuffled"):
        EntanglementDisplay.from_estimator(
            meters[label], ax=ax, kind="block_size", show_surrogate=False, label=label
        )
    ax.set_title("Digits (8x8): QE against block size (log-log)", fontsize="medium")
    save(figure, "area_law_digits.png")

    # The true pixel of the feature the reorderer puts at each pixel, written as (row, col).
    figure, ax = plt.subplots(figsize=FIGSIZE)
    display = PermutationDisplay.from_estimator(reorderer, input_order=shuffle, ax=ax)
    for position, pixel in enumerate(display.permutation):
        row, column = divmod(int(pixel), 8)
        shade = display.image_.norm(pixel)
        ax.text(
            position % 8,
            position // 8,
            f"{row},{column}",
            ha="center",
            va="center",
            fontsize=7,
            color="black" if shade > 0.5 else "white",
        )
    display.colorbar_.set_label("true pixel index (row-major)")
    ax.set_title(
        "Shuffled digits, reordered: true (row, col) at each pixel\n"
        + ax.get_title().split("\n")[1],
        fontsize="medium",
    )
    save(figure, "permutation_digits.png")


def walk_picture():
    rng = np.random.default_rng(0)
    walk = np.cumsum(rng.standard_normal((500, 128)), axis=1)
    shuffle = rng.permutation(walk.shape[1])
    reorderer = EntanglementReorderer(random_state=0).fit(walk[:, shuffle])

    figure, ax = plt.subplots(figsize=FIGSIZE)
    PermutationDisplay.from_estimator(reorderer, input_order=shuffle, ax=ax)
    ax.set_xlabel("time step of the random walk")
    ax.set_title(
        "Shuffled random walk, reordered\n" + ax.get_title().split("\n")[1],
        fontsize="medium",
    )
    save(figure, "permutation_walk.png")


if __name__ == "__main__":
    IMAGES.mkdir(exist_ok=True)
    digits_pictures()
    walk_picture()
