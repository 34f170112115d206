"""sklearn-qe: measure and lower the quantum entanglement of data for locally connected networks.

Locally connected networks (1-D/2-D CNNs, S4-style state-space models, local self-attention)
fit a data distribution iff its data tensor has low quantum entanglement under the canonical
partitions of the features (Alexander, De La Vega, Razin, Cohen, NeurIPS 2023). This package
measures that entanglement and reorders features to lower it, with scikit-learn estimators.

The networks live in :mod:`sklearn_qe.nets`, so that ``import sklearn_qe`` never imports torch.
"""

from ._area_law import AreaLawFit, area_law_fit, mean_block_geometry
from ._capacity import entanglement_capacity, partition_entanglement_capacity
from ._correlation import abs_correlation, abs_correlation_graph
from ._display import EntanglementDisplay, PermutationDisplay
from ._entanglement import (
    entanglement_entropy,
    entanglement_profile,
    label_weights,
    shifted_entanglement_profile,
    surrogate_entanglement,
)
from ._meter import EntanglementMeter, entanglement_scorer, make_entanglement_scorer
from ._partitions import CanonicalTree, canonical_tree, max_canonical_level
from ._reorderers import EntanglementReorderer, IGTDReorderer

__version__ = "0.1.0"

__all__ = [
    "AreaLawFit",
    "CanonicalTree",
    "EntanglementDisplay",
    "EntanglementMeter",
    "EntanglementReorderer",
    "IGTDReorderer",
    "PermutationDisplay",
    "abs_correlation",
    "abs_correlation_graph",
    "area_law_fit",
    "canonical_tree",
    "entanglement_capacity",
    "entanglement_entropy",
    "entanglement_profile",
    "entanglement_scorer",
    "label_weights",
    "make_entanglement_scorer",
    "max_canonical_level",
    "mean_block_geometry",
    "partition_entanglement_capacity",
    "shifted_entanglement_profile",
    "surrogate_entanglement",
]
