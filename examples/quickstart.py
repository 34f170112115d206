"""Quickstart: does the feature order of a dataset suit a locally connected network?

Measures the quantum entanglement (QE) of scikit-learn's 8x8 digits per level of the
canonical quad-tree (standardized pixels, theta=0.085 as in the paper), in the natural
pixel order and with the pixels shuffled. Low QE means a
CNN-like network of modest width can fit the data; shuffling the pixels raises it.
"""

import numpy as np
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler

from sklearn_qe import EntanglementMeter

X, y = load_digits(return_X_y=True)
X = StandardScaler().fit_transform(X)
shuffled = X[:, np.random.default_rng(0).permutation(X.shape[1])]

print("digits: 1797 images of 8x8 pixels, 10 classes; QE in nats (lower is better)\n")
print(f"{'pixel order':<12} {'QE level 1':>10} {'level 2':>8} {'level 3':>8} "
      f"{'SE level 1':>10} {'width >=':>8} {'score':>7}")
for name, data in [("natural", X), ("shuffled", shuffled)]:
    meter = EntanglementMeter(shape=(8, 8), max_samples=600, random_state=0).fit(data, y)
    qe = " ".join(f"{v:8.3f}" for v in meter.entanglement_)
    print(f"{name:<12} {qe:>28} {meter.surrogate_entanglement_[0]:10.1f} "
          f"{meter.required_width_:8d} {meter.score(data, y):7.3f}")
