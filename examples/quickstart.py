"""Quickstart: does the feature order of a dataset suit a locally connected network?
=================================================================================

Measures the quantum entanglement (QE) of scikit-learn's 8x8 digits per level of the
canonical quad-tree (standardized pixels, theta=0.085 as in the paper), in the natural
pixel order, with the pixels shuffled, and shuffled then reordered by
EntanglementReorderer. Low QE, well below that of a random order of the same pixels, means
a CNN-like network of modest width can fit the data; shuffling the pixels raises it to the
random order's level, and reordering brings it back down.
"""

import numpy as np
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler

from sklearn_qe import EntanglementMeter, EntanglementReorderer

X, y = load_digits(return_X_y=True)
X = StandardScaler().fit_transform(X)
shuffled = X[:, np.random.default_rng(0).permutation(X.shape[1])]
reordered = EntanglementReorderer(shape=(8, 8), random_state=0).fit_transform(shuffled)

print("digits: 1797 images of 8x8 pixels, 10 classes\n")
for name, data in [("natural", X), ("shuffled", shuffled), ("shuffled, then reordered", reordered)]:
    meter = EntanglementMeter(shape=(8, 8), random_state=0).fit(data, y)
    print(f"pixel order: {name} (score {meter.score_:.3f}, higher is better)")
    print(meter.summary(), end="\n\n")
