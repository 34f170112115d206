"""Locally connected networks (CNN, S4, local attention, the theorem's tree tensor network)
as scikit-learn estimators.

Importing this subpackage imports torch; ``import sklearn_qe`` alone does not.
"""

from ._estimators import (
    LocalAttentionClassifier,
    LocalAttentionRegressor,
    LocalCNNClassifier,
    LocalCNNRegressor,
    S4Classifier,
    S4Regressor,
)
from ._modules import LocalAttentionNet, PointwiseCNN1d, PointwiseCNN2d, ResCNN1d, ResCNN2d, S4DNet
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
