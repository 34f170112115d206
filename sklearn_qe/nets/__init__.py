"""Locally connected networks (CNN, S4, local attention, the theorem's tree tensor network)
as scikit-learn estimators.

Importing this subpackage imports torch; ``import sklearn_qe`` alone does not.
"""

from ._attention import LocalAttentionClassifier, LocalAttentionNet, LocalAttentionRegressor
from ._cnn import (
    LocalCNNClassifier,
    LocalCNNRegressor,
    PointwiseCNN1d,
    PointwiseCNN2d,
    ResCNN1d,
    ResCNN2d,
)
from ._s4 import S4Classifier, S4DNet, S4Regressor
from ._schedule import channel_schedule, rank_schedule
from ._tensor_network import TensorNetworkClassifier, TensorNetworkRegressor, TreeTensorNet

__all__ = [
    "LocalAttentionClassifier",
    "LocalAttentionNet",
    "LocalAttentionRegressor",
    "LocalCNNClassifier",
    "LocalCNNRegressor",
    "PointwiseCNN1d",
    "PointwiseCNN2d",
    "ResCNN1d",
    "ResCNN2d",
    "S4Classifier",
    "S4DNet",
    "S4Regressor",
    "TensorNetworkClassifier",
    "TensorNetworkRegressor",
    "TreeTensorNet",
    "channel_schedule",
    "rank_schedule",
]
