"""Choose a feature order without training a network: GridSearchCV with entanglement_scorer.
=========================================================================================

scikit-learn's digits with their 64 pixel columns shuffled, as if they were tabular features
in an arbitrary order. The grid holds candidate reorderings; each is fitted on the training
folds and scored on the held-out fold by the entanglement meter (minus the mean QE over the
blocks shifted by half a block), so no network is trained. The chosen
reordering then goes in front of a CNN. ``benchmarks/select_order.py`` compares this choice
with an accuracy-scored grid over the CNN on several datasets (docs/benchmarks.md).
"""

import time

import numpy as np
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_qe import EntanglementReorderer, IGTDReorderer, make_entanglement_scorer

X, y = load_digits(return_X_y=True)
X = X[:, np.random.default_rng(0).permutation(X.shape[1])]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)

candidates = {
    "none": "passthrough",
    "IGTD": IGTDReorderer(),
    "cuts (paper)": EntanglementReorderer(method="cuts", leaf_ordering=None, random_state=0),
    "cuts + orientation": EntanglementReorderer(method="cuts", random_state=0),
    "seriation": EntanglementReorderer(),
}
pipe = Pipeline([("scale", StandardScaler()), ("reorder", "passthrough")])
scorer = make_entanglement_scorer(max_samples=300, random_state=0)
start = time.perf_counter()
search = GridSearchCV(pipe, {"reorder": list(candidates.values())}, scoring=scorer, cv=3)
search.fit(X_train, y_train)
seconds = time.perf_counter() - start

names = {id(step): name for name, step in candidates.items()}
table = pd.DataFrame(
    {
        "reordering": [names[id(step)] for step in search.cv_results_["param_reorder"]],
        "score": search.cv_results_["mean_test_score"],
        "std": search.cv_results_["std_test_score"],
    }
)
print(table.sort_values("score", ascending=False).round(4).to_string(index=False))
print(
    f"\nchosen without training a network, in {seconds:.0f} s: "
    f"{names[id(search.best_params_['reorder'])]}"
)
