"""The network of the entanglement theorem: a tree tensor network over the canonical tree.

Alexander et al. (NeurIPS 2023) call it a locally connected tensor network; Levine et al.
(ICLR 2018) call the same structure a convolutional arithmetic circuit (ConvAC). Its
prediction is ``<W, phi(x_1) (x) ... (x) phi(x_N)>`` for the tensor ``W`` that its node
tensors contract to, with the embedding ``phi`` of :func:`sklearn_qe.entanglement_entropy`.
"""

import math
import warnings
from numbers import Real

import numpy as np
import torch
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from skorch.utils import data_from_dataset, to_numpy
from torch import nn

from .._checks import POSITIVE_FLOAT, POSITIVE_INT, SHAPE, StrictInterval, check_shape
from .._compat import HasMethods, InvalidParameterError, StrOptions
from .._partitions import canonical_tree, halves, max_canonical_level
from ._base import (
    _MAX_PARAMETERS,
    _SIZES,
    _NetClassifier,
    _NetRegressor,
    _substitute,
    _validate_module_params,
    _widths,
)

__all__ = ["TensorNetworkClassifier", "TensorNetworkRegressor", "TreeTensorNet"]


def _ranks(module, rank, n_levels):
    """The rank of every level 1..n_levels, from one int for all or a list of one per level."""
    if n_levels == 0:
        requirement = "a positive int (a single feature: the tree has no inner edges)"
    else:
        requirement = (
            f"a positive int or a list of {n_levels} positive ints, one per level 1 to "
            f"{n_levels} of the canonical tree of these features"
        )
    return _widths(module, "rank", rank, n_levels, requirement, element=POSITIVE_INT)


def _children(block, width):
    """The blocks one level below ``block``: its halves (1-D, ``width=None``) or the quadrants
    of its rectangle in a row-major image ``width`` wide, split as the canonical tree splits,
    empty parts dropped. A single feature is its own only child."""
    if len(block) == 1:
        return [block]
    if width is None:
        return [np.arange(*half) for half in halves(block[0], block[-1] + 1)]
    rows, cols = np.divmod(block, width)
    return [
        (np.arange(*row_half)[:, None] * width + np.arange(*col_half)[None, :]).ravel()
        for row_half in halves(rows.min(), rows.max() + 1)
        for col_half in halves(cols.min(), cols.max() + 1)
        if row_half[0] < row_half[1] and col_half[0] < col_half[1]
    ]


def _network_blocks(n_features, shape):
    """The canonical tree's levels, then levels split further until one holds single features.

    At least one level is added below the canonical tree, so that its deepest blocks are
    nodes too, whose edges carry the deepest level's rank; their children are their features.
    """
    if n_features == 1:  # no canonical tree: the root is the only block
        levels = [(np.arange(1),)]
    else:
        levels = list(canonical_tree(n_features, shape).blocks)
    width = None if shape is None else shape[1]

    def split(blocks):
        return tuple(child for block in blocks for child in _children(block, width))

    levels.append(split(levels[-1]))
    while len(levels[-1]) < n_features:  # the blocks of a level partition the features
        levels.append(split(levels[-1]))
    return tuple(levels)


def _children_of(blocks, child_blocks):
    """For each block, the indices of the blocks of the level below that it holds."""
    parent = np.empty(sum(map(len, blocks)), dtype=np.int64)
    for index, block in enumerate(blocks):
        parent[block] = index
    children = [[] for _ in blocks]
    for index, child in enumerate(child_blocks):
        children[parent[child[0]]].append(index)
    return children


def _edge_widths(blocks, ranks, n_outputs):
    """Entries of the vectors on the edges that leave the blocks of each level, the root's
    outputs first: ``R_l`` at the canonical levels, ``R_L`` below them, ``phi``'s 2 at the
    leaves, and never more than the ``2**|K|`` entries of ``phi`` over a block ``K``."""
    below = len(blocks) - len(ranks) - 1  # levels below level L, the leaves' included
    level_ranks = [*ranks, *ranks[-1:] * (below - 1), math.inf]
    return [n_outputs] + [
        min(level_rank, 2 ** max(map(len, level_blocks)))
        for level_rank, level_blocks in zip(level_ranks, blocks[1:])
    ]


def _n_parameters(blocks, widths):
    """Entries of the node tensors: ``r**c * R`` for a node with ``c`` children of width
    ``r`` and output width ``R``."""
    return sum(
        widths[level + 1] ** len(children) * widths[level]
        for level in range(len(blocks) - 1)
        for children in _children_of(blocks[level], blocks[level + 1])
    )


def _check_n_parameters(blocks, widths, ranks):
    """Refuse, before allocating, a network whose node tensors exceed ``_MAX_PARAMETERS``."""
    n_parameters = _n_parameters(blocks, widths)
    if n_parameters > _MAX_PARAMETERS:
        raise InvalidParameterError(
            f"rank {list(ranks)} gives node tensors of {n_parameters:.3g} parameters "
            f"({4 * n_parameters / 2**30:.3g} GiB of float32, about 4x that to train), more "
            f"than the budget of {_MAX_PARAMETERS:.3g} (1 GiB): lower the rank (a node with c "
            "children of width r and output width R holds r**c * R parameters)."
        )


def _linear_core(arity, child_width, width):
    """The core that carries a constant and a mean up the tree, ``(child_width**arity, width)``.

    Entry 0 of the output is the product of the children's entries 0; entry ``k >= 1`` is
    the mean over children of the child's entry ``k`` times the other children's entries 0.
    With leaf vectors ``(1, t_n)`` the tree's entry 1 is a weighted mean of the ``t_n`` (a
    linear model) and entry 0 is 1. A mean, not a sum: the normalisation at every node
    saturates a sum over hundreds of correlated features (as in a long series), which left
    the network at chance on 1,024-step series.
    """
    core = torch.zeros((child_width,) * arity + (width,))
    core[(0,) * (arity + 1)] = 1.0
    for k in range(1, min(child_width, width)):
        for child in range(arity):
            index = [0] * arity
            index[child] = k
            core[(*index, k)] = 1.0 / arity
    return core.reshape(-1, width)


class _TreeLevel(nn.Module):
    """The nodes of one level. Each holds a core tensor of shape
    ``(child_width ** n_children, width)`` that maps the outer product of its children's
    vectors to its own vector; nodes with the same number of children are computed together."""

    def __init__(self, blocks, child_blocks, child_width, width, linear_init, init_noise):
        super().__init__()
        children = _children_of(blocks, child_blocks)
        self.arities = sorted({len(c) for c in children})
        self.child_width = child_width
        self.cores = nn.ParameterList()
        self.slots = [None] * len(blocks)  # node -> (group, row in the group's cores)
        positions = []
        for group, arity in enumerate(self.arities):
            nodes = [index for index, c in enumerate(children) if len(c) == arity]
            for row, node in enumerate(nodes):
                self.slots[node] = (group, row)
            positions += nodes
            self.register_buffer(
                f"children_{arity}", torch.tensor([children[n] for n in nodes]), persistent=False
            )
            core = init_noise * torch.randn(len(nodes), child_width**arity, width)
            if linear_init:
                core += _linear_core(arity, child_width, width)
            self.cores.append(nn.Parameter(core))
        # Where every node has the same number of children, as at all canonical levels but
        # the deepest, the children lie in order: a view replaces gathering and reordering.
        self.in_order = len(self.arities) == 1 and all(
            c == list(range(i * len(c), (i + 1) * len(c))) for i, c in enumerate(children)
        )
        self.register_buffer("order", torch.argsort(torch.tensor(positions)), persistent=False)

    def forward(self, vectors, log_norms):
        """``vectors`` ``(n_children, batch, child_width)`` and their ``log_norms``
        ``(n_children, batch)`` -> the nodes' vectors (not normalised) and the sums of
        their children's log-norms."""
        if self.in_order:
            arity = self.arities[0]
            return (
                self._contract(vectors.unflatten(0, (-1, arity)), self.cores[0]),
                log_norms.unflatten(0, (-1, arity)).sum(dim=1),
            )
        outputs, logs = [], []
        for arity, core in zip(self.arities, self.cores):
            children = getattr(self, f"children_{arity}")
            outputs.append(self._contract(vectors[children], core))
            logs.append(log_norms[children].sum(dim=1))
        return torch.cat(outputs)[self.order], torch.cat(logs)[self.order]

    @staticmethod
    def _contract(children, cores):
        """``(nodes, arity, batch, child_width)`` -> ``(nodes, batch, width)``."""
        product = children[:, 0]
        for j in range(1, children.shape[1]):  # the first child's index varies slowest
            product = (product.unsqueeze(-1) * children[:, j].unsqueeze(-2)).flatten(-2)
        return torch.bmm(product, cores)


class TreeTensorNet(nn.Module):
    """Tree tensor network over the canonical tree: the network of the entanglement theorem.

    Every feature ``x_n`` is embedded as a unit vector ``phi(x_n)``: by default
    ``(1, t) / sqrt(1 + t**2)`` with ``t = pi theta x_n`` (``embedding="affine"``, the cosine
    and sine of ``arctan(t)``), or the entanglement meter's ``(cos(t), sin(t))``
    (``embedding="trigonometric"``, as in :func:`sklearn_qe.entanglement_entropy`). The two
    agree to first order in ``t``; the affine one is the meter's ``phi`` of the features
    mapped by the monotone ``arctan(t) / (pi theta)``, so the rank bounds below hold for both,
    and where a standardized feature has outliers (``|t| > pi/2``) it saturates where the
    trigonometric one wraps around. The nodes are the blocks of the canonical
    tree, whose partitions :class:`sklearn_qe.EntanglementMeter` measures: halves in 1-D,
    quadrants of a row-major ``(H, W)`` image in 2-D, split unevenly when sizes are not
    powers of two. Each node holds its own tensor (no weight sharing), which maps the outer
    product of its children's vectors to a vector; the root maps to the outputs. The network
    computes ``<W_k, phi(x_1) (x) ... (x) phi(x_N)>`` for output ``k``, where ``W_k`` is the
    tensor that the node tensors contract to; matricized across a block of level ``l``, ``W_k``
    has rank at most ``min(R_l, R_{l+1}**c, ...)`` with ``c = 2`` (1-D) or 4 (2-D): the
    min-cut bound behind the entanglement theorem.

    Below the deepest canonical level ``L`` the blocks are split further, by the same rule,
    until single features: the deepest canonical blocks are nodes whose children are their 1,
    2 or 4 features (more levels where a 2-D block has a side of 3 or more, e.g.
    ``shape=(3, 5)``; their edges take the rank ``R_L``). A node with one child maps ``phi``
    of its feature to a vector of its level's width.

    Products of thousands of factors underflow float32, so every node's vector is
    normalised to unit length and the logarithms of the norms are carried up the tree. The
    outputs are the root's linear map of its children's unit vectors: the network's values
    divided by a positive factor per sample (the product of the removed norms, see
    :meth:`forward_factored`). Signs and ratios between outputs, and so the predicted class,
    are the tensor network's own; as logits, the root's scale sets the softmax temperature.

    Initialisation (``init="linear"``): a product of hundreds of random tensors is a function
    that gradients cannot steer, so every inner node starts as the tensor that carries a
    constant and a mean up the tree (output entry 0 is the product of the children's entries
    0, entry ``k >= 1`` the mean over children of their entry ``k`` times the others' entries
    0), plus Gaussian noise of standard deviation ``init_noise``; the root starts as noise
    alone. With the affine embedding the root's children then hold ``(1, s)``, ``s`` a
    weighted mean of the ``t_n`` over their halves, up to the normalisation: the network
    starts near a linear model of the features, which every tensor network whose embedding
    has a constant entry contains (width 2 carries a running sum), and learns the
    interactions from there. :class:`TensorNetworkClassifier` and
    :class:`TensorNetworkRegressor` go one step further by default: they set the network to
    a linear model fitted to the training split (:meth:`load_linear_model`) and train from
    there.

    Parameters
    ----------
    n_features : int
        Number of features (any value).
    n_outputs : int
        Number of outputs (classes or regression targets).
    rank : int or list of int, default=8
        Widths ``R_l`` of the tree's inner edges: one int for every level, or one per level
        ``l = 1..L`` of the canonical tree (``L = floor(log2(n_features))`` in 1-D,
        ``floor(log2(min(H, W)))`` in 2-D: the levels of
        :attr:`sklearn_qe.EntanglementMeter.levels_`, level ``l`` having ``2**l`` blocks in
        1-D and ``4**l`` in 2-D). ``R_l`` is the width of the edges that leave the blocks of
        level ``l`` toward level ``l - 1``; by the theorem the network can fit data whose
        entanglement at level ``l`` is at most about ``ln(R_l)``. An edge gets no more
        entries than the ``2**|K|`` of ``phi`` over the largest block ``K`` of its level, all
        that it can use. A node with ``c`` children of width ``r`` and output width ``R``
        holds ``r**c * R`` parameters: mind ``R**5`` per node in 2-D.
    theta : float, default=0.085
        Frequency of the embedding ``phi``, positive; meant for standardized or [0, 1]-scaled
        features, as in the entanglement meter.
    shape : tuple of (int, int) or None, default=None
        ``None`` for 1-D features; ``(H, W)`` with ``H, W >= 2`` and ``H * W == n_features``
        for an image flattened row-major (a quad-tree of nodes with 4 children).
    embedding : {"affine", "trigonometric"}, default="affine"
        ``phi(x) = (1, t) / sqrt(1 + t**2)`` or ``(cos(t), sin(t))``, ``t = pi theta x``.
    init : {"linear", "normal"}, default="linear"
        Inner nodes start as the constant-and-mean tensor plus noise (``"linear"``), or as
        noise alone (``"normal"``; with ``init_noise=1.0``, unit-variance random tensors).
    init_noise : float, default=0.01
        Standard deviation of the Gaussian noise added to every node tensor, non-negative.

    Attributes
    ----------
    blocks : tuple of tuple of ndarray
        ``blocks[l][j]``: the features under node ``j`` of level ``l``; ``blocks[0]`` is the
        root, levels ``0..L`` are those of the canonical tree, and the last level holds the
        single features (the leaves, which carry ``phi``).
    ranks : tuple of int
        ``R_1, ..., R_L``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_qe.nets import TreeTensorNet
    >>> net = TreeTensorNet(n_features=6, n_outputs=3, rank=[4, 2])
    >>> [len(level) for level in net.blocks]  # root, canonical levels 1 and 2, leaves
    [1, 2, 4, 6]
    >>> net(torch.rand(5, 6)).shape
    torch.Size([5, 3])
    >>> tuple(net.core(1, 0).shape)  # node 0 of level 1: two children of width 2, rank 4
    (2, 2, 4)
    """

    _parameter_constraints: dict = {
        **_SIZES,
        "rank": [POSITIVE_INT, list, tuple],
        "theta": [POSITIVE_FLOAT],
        "shape": SHAPE,
        "embedding": [StrOptions({"affine", "trigonometric"})],
        "init": [StrOptions({"linear", "normal"})],
        "init_noise": [StrictInterval(Real, 0, float(np.finfo(np.float32).max), closed="both")],
    }

    def __init__(
        self,
        n_features,
        n_outputs,
        rank=8,
        theta=0.085,
        shape=None,
        embedding="affine",
        init="linear",
        init_noise=0.01,
    ):
        _validate_module_params(self, locals())
        # A quadrant needs at least one row and one column.
        shape = None if shape is None else check_shape(shape, n_features, min_side=2)
        n_levels = max_canonical_level(n_features, shape)
        ranks = _ranks(self, rank, n_levels)
        super().__init__()
        self.n_features, self.n_outputs = n_features, n_outputs
        self.theta, self.shape, self.embedding = theta, shape, embedding
        self.init_noise = init_noise
        self.ranks = tuple(ranks)
        self.blocks = _network_blocks(n_features, shape)
        widths = _edge_widths(self.blocks, ranks, n_outputs)
        _check_n_parameters(self.blocks, widths, ranks)
        self.levels = nn.ModuleList(
            _TreeLevel(
                self.blocks[level],
                self.blocks[level + 1],
                widths[level + 1],
                widths[level],
                # The root maps to the outputs: noise alone, so that no class starts ahead.
                linear_init=init == "linear" and level > 0,
                init_noise=init_noise,
            )
            for level in range(len(self.blocks) - 1)
        )
        leaves = torch.tensor([block[0] for block in self.blocks[-1]])
        self.register_buffer("leaf_features", leaves, persistent=False)

    def core(self, level, index):
        """The tensor of node ``index`` of ``level`` (a view of the trained parameter).

        Parameters
        ----------
        level : int
            Level of the node, from 0 (the root) to ``len(blocks) - 2``.
        index : int
            Position of the node in ``blocks[level]``.

        Returns
        -------
        core : torch.Tensor of shape (child_width,) * n_children + (width,)
            Axis ``i`` is the ``i``-th child's vector (children in the order of
            ``blocks[level + 1]``), the last axis the node's own vector (the outputs at the
            root).
        """
        nodes = self.levels[level]
        group, row = nodes.slots[index]
        arity = nodes.arities[group]
        core = nodes.cores[group][row]
        return core.reshape((nodes.child_width,) * arity + (core.shape[-1],))

    def load_linear_model(self, coef, intercept):
        """Set the node tensors to compute the linear model ``intercept + coef @ x``.

        Every tensor network whose embedding has a constant entry contains the linear
        models: with ``phi(x_n)`` proportional to ``(1, t_n)``, ``t_n = pi theta x_n``, a node
        whose vector holds ``(1, s_1, ..., s_r)`` carries ``r`` linear functions of its
        features next to the constant, and its parent adds its children's. A block of at
        most ``r`` features carries each ``t_n``; a larger one carries ``coef``'s ``r`` leading
        right singular directions over its features, so that ``r = min(rank) - 1`` channels
        hold the best rank-``r`` approximation of ``coef`` (the nearest in Frobenius norm),
        and the root maps them to the outputs. The root and the directions share the
        singular values (square roots on each side): a weak model starts with small
        channels, a strong one with channels near 1. A node's other channels pass its
        children's up as means, as in ``init="linear"``. Gaussian noise of standard
        deviation ``init_noise`` is then added to every node tensor.

        The outputs are the model's values divided by a positive factor per sample, the
        norms of the root's children's vectors (see :meth:`forward`): the class that a
        linear classifier predicts is kept exactly, its logits lose some confidence.

        Parameters
        ----------
        coef : array-like of shape (n_outputs, n_features)
            Weights of the features ``x`` that :meth:`forward` receives.
        intercept : array-like of shape (n_outputs,)
            The model's value at ``x = 0``.

        Returns
        -------
        n_channels : int
            ``r``: the rank of ``coef`` that the network carries.
        """
        if self.embedding != "affine":
            raise ValueError(
                "A linear model of the features is a tensor of this network only with "
                f"embedding='affine' ((1, t) / |(1, t)|), got embedding={self.embedding!r}."
            )
        coef = np.asarray(coef, dtype=np.float64) / (math.pi * self.theta)  # weights of t
        intercept = np.asarray(intercept, dtype=np.float64)
        if coef.shape != (self.n_outputs, self.n_features) or intercept.shape != (self.n_outputs,):
            raise ValueError(
                f"coef and intercept must have shapes ({self.n_outputs}, {self.n_features}) and "
                f"({self.n_outputs},), got {coef.shape} and {intercept.shape}."
            )
        left, singular, right = np.linalg.svd(coef, full_matrices=False)
        rank = int(np.sum(singular > singular[:1] * coef.shape[1] * np.finfo(float).eps))
        n_channels = min(rank, min(self.ranks, default=2) - 1)
        # The root and the directions share the singular values, so that a weak model (a
        # useless one: small values) starts with small channels, which leave the network
        # free to learn interactions, and a strong one with channels near 1.
        balance = np.sqrt(singular[:n_channels])
        mixing = left[:, :n_channels] * balance  # root: channels -> outputs
        directions = right[:n_channels] * balance[:, None]  # (n_channels, n_features)
        coef = mixing @ directions

        leaves = len(self.blocks) - 1

        def carries_each(level, block):  # a leaf carries its t; a small block each of its t's
            return level == leaves or len(block) <= n_channels

        def n_used(level, block):  # channels that carry the model
            return len(block) if carries_each(level, block) else n_channels

        def scale(level, block):
            # A block's share of the directions has norm about sqrt(|K| / N); dividing its
            # channels by that keeps them, and the entries of every node, near 1.
            if level == 0 or carries_each(level, block):  # the root's outputs: the model
                return 1.0
            return math.sqrt(len(block) / self.n_features)

        scales = [
            [scale(level, block) for block in blocks] for level, blocks in enumerate(self.blocks)
        ]

        def channel_map(level, index, child):
            """The matrix from a child's channels to its parent's (rows: the parent's)."""
            block, child_block = self.blocks[level][index], self.blocks[level + 1][child]
            if carries_each(level + 1, child_block):
                if level == 0:
                    unscaled = coef[:, child_block]
                elif carries_each(level, block):  # the child's t's go to their places
                    unscaled = (block[:, None] == child_block[None, :]).astype(float)
                else:
                    unscaled = directions[:, child_block]
            else:
                unscaled = mixing if level == 0 else np.eye(n_channels)
            return unscaled * (scales[level + 1][child] / scales[level][index])

        with torch.no_grad():
            for level, nodes in enumerate(self.levels):
                blocks, child_blocks = self.blocks[level], self.blocks[level + 1]
                cores = [np.zeros(core.shape) for core in nodes.cores]
                # The root's outputs are the model; an inner node's vector is (1, channels).
                first = 0 if level == 0 else 1
                for index, children in enumerate(_children_of(blocks, child_blocks)):
                    group, row = nodes.slots[index]
                    core = cores[group][row]
                    if level == 0:
                        core[0] = intercept
                    else:
                        core[0, 0] = 1.0
                    own = n_used(level, blocks[index])
                    for position, child in enumerate(children):
                        part = channel_map(level, index, child)
                        # Entry c of this child with the others' constants: the first
                        # child's index varies slowest in the flattened outer product.
                        stride = nodes.child_width ** (len(children) - 1 - position)
                        rows = stride * np.arange(1, part.shape[1] + 1)
                        core[rows, first : first + len(part)] = part.T
                        if level > 0:
                            # The other channels pass up as means, as in the linear init,
                            # so that what a node learns to carry there reaches the root.
                            used = max(own, n_used(level + 1, child_blocks[child]))
                            free = np.arange(used + 1, min(nodes.child_width, core.shape[1]))
                            core[stride * free, free] = 1.0 / len(children)
                for parameter, core in zip(nodes.cores, cores):
                    noise = self.init_noise * torch.randn(parameter.shape)
                    parameter.copy_(torch.as_tensor(core, dtype=parameter.dtype) + noise)
        return n_channels

    def forward_factored(self, X):
        """The network's values as ``outputs * exp(log_scale)``, without under- or overflow.

        Parameters
        ----------
        X : torch.Tensor of shape (batch, n_features)

        Returns
        -------
        outputs : torch.Tensor of shape (batch, n_outputs)
            What :meth:`forward` returns.
        log_scale : torch.Tensor of shape (batch,)
            Sum of the logarithms of the norms removed at the nodes: the network's value for
            output ``k`` is ``outputs[:, k] * exp(log_scale)``.
        """
        angles = (math.pi * self.theta) * X[:, self.leaf_features].T
        if not torch.isfinite(angles).all():  # cos and sin of inf are NaN
            raise ValueError(
                f"pi * theta * X overflows {angles.dtype} (theta={self.theta!r}): scale the "
                "features (e.g. StandardScaler) or lower theta."
            )
        if self.embedding == "affine":  # (1, t) / |(1, t)|: cos and sin of arctan(t)
            vectors = torch.stack((torch.ones_like(angles), angles), dim=-1)
            vectors = vectors / torch.linalg.vector_norm(vectors, dim=-1, keepdim=True)
        else:
            vectors = torch.stack((torch.cos(angles), torch.sin(angles)), dim=-1)
        log_norms = torch.zeros_like(angles)
        for level in reversed(self.levels[1:]):
            vectors, log_norms = level(vectors, log_norms)
            norms = torch.linalg.vector_norm(vectors, dim=-1)
            norms = norms.clamp_min(torch.finfo(norms.dtype).tiny)
            vectors = vectors / norms.unsqueeze(-1)
            log_norms = log_norms + torch.log(norms)
        outputs, log_scale = self.levels[0](vectors, log_norms)
        return outputs[0], log_scale[0]

    def forward(self, X):
        """``(batch, n_features)`` -> ``(batch, n_outputs)``: the root's map of its children's
        unit vectors (logits or regression values)."""
        return self.forward_factored(X)[0]


# Regularisation of the linear start, strong to weak: the validation split picks (the
# middle value, scikit-learn's default, without one).
_LOGISTIC_CS = 10.0 ** np.arange(-3, 4)
_RIDGE_ALPHAS = 10.0 ** np.arange(3, -4, -1)


class _LinearStartMixin:
    """Start training from a linear model of the training split (``linear_start``)."""

    def __init__(self, module=TreeTensorNet, *, lr=3e-3, linear_start="auto", **kwargs):
        super().__init__(module, lr=lr, **kwargs)
        self.linear_start = linear_start

    def initialize_module(self):
        super().initialize_module()
        # Every new network starts from the linear model; the first split of the data
        # (the start of its first training) fits it on the training part only.
        self._linear_start_due_ = self.linear_start is not None
        return self

    def get_split_datasets(self, X, y=None, **fit_params):
        train, valid = super().get_split_datasets(X, y, **fit_params)
        if getattr(self, "_linear_start_due_", False):
            if not hasattr(self.module_, "load_linear_model"):
                raise TypeError(
                    f"linear_start needs a module with load_linear_model (TreeTensorNet), got "
                    f"{type(self.module_).__name__}: set linear_start=None."
                )
            if getattr(self.module_, "embedding", "affine") != "affine":
                raise ValueError(
                    "linear_start sets the network to a linear model of the features, which it "
                    "holds only with module__embedding='affine', got "
                    f"{self.module_.embedding!r}: set linear_start=None."
                )
            X_train, y_train = map(to_numpy, data_from_dataset(train))
            held_out = None if valid is None else tuple(map(to_numpy, data_from_dataset(valid)))
            coef, intercept = self._linear_model(X_train, y_train, held_out)
            self.module_.load_linear_model(coef, intercept)
            self._linear_start_due_ = False
        return train, valid

    def _fitted_linear_estimator(self, grid, X, y, valid):
        """The fitted ``linear_start``; for "auto", the model of ``grid`` (estimators from
        strong to weak regularisation) with the least ``self._validation_loss`` on the
        validation split ``valid`` (the middle one without a split). Returns it with its
        ``coef_`` and ``intercept_`` as float64 arrays of 2 and 1 dimensions."""
        if isinstance(self.linear_start, str):
            candidates = grid if valid is not None else [grid[len(grid) // 2]]
            with warnings.catch_warnings():
                # A starting point, not an answer: an unconverged solver is good enough.
                warnings.simplefilter("ignore", ConvergenceWarning)
                fitted = [candidate.fit(X, y) for candidate in candidates]
            losses = [self._validation_loss(model, *valid) for model in fitted] if valid else [0]
            estimator = fitted[int(np.argmin(np.nan_to_num(losses, nan=np.inf)))]
        else:
            estimator = clone(self.linear_start).fit(X, y)
        try:
            coef = np.atleast_2d(np.asarray(estimator.coef_, dtype=np.float64))
            intercept = np.ravel(np.asarray(estimator.intercept_, dtype=np.float64))
        except AttributeError:
            raise TypeError(
                f"linear_start={self.linear_start!r} has no coef_ and intercept_ once fitted: "
                "pass a linear model (e.g. LogisticRegression, Ridge) or None."
            ) from None
        if coef.shape[-1] != X.shape[1]:
            raise ValueError(
                f"linear_start's coef_ has shape {coef.shape}; it must have a column for each "
                f"of the {X.shape[1]} features."
            )
        return estimator, coef, np.broadcast_to(intercept, coef.shape[:1]).copy()


# The parameters its classifier and regressor share.
_TENSOR_NETWORK_PARAMETERS = """\
module : torch.nn.Module class, default=TreeTensorNet
    Network; it receives ``n_features`` and ``n_outputs`` from the data and the
    ``module__*`` parameters.
module__rank : int or list of int, default=8
    Widths ``R_l`` of the tree's inner edges, one int for every level or one per level
    of the canonical tree (coarse to fine, the levels of
    :attr:`sklearn_qe.EntanglementMeter.levels_`): the network can fit data whose
    entanglement at level ``l`` is at most about ``ln(R_l)``
    (:func:`rank_schedule` reads them from the data); see :class:`TreeTensorNet`.
module__theta : float, default=0.085
    Frequency of the embedding, positive; meant for standardized or [0, 1]-scaled
    features, as in the entanglement meter.
module__shape : tuple of (int, int) or None, default=None
    ``None`` for 1-D features; ``(H, W)`` with ``H, W >= 2`` and ``H * W == n_features``
    for an image flattened row-major (nodes with 4 children).
module__embedding : {"affine", "trigonometric"}, default="affine"
    ``phi(x) = (1, t) / sqrt(1 + t**2)`` or ``(cos(t), sin(t))``, ``t = pi theta x``.
module__init : {"linear", "normal"}, default="linear"
    Inner nodes start as the constant-and-mean tensor plus noise, or as noise alone.
module__init_noise : float, default=0.01
    Standard deviation of the Gaussian noise added to every node tensor, non-negative.
optimizer : torch optimizer class, default=torch.optim.Adam
    Optimizer; ``optimizer__*`` parameters are routed to it.
lr : float, default=3e-3
    Learning rate, positive."""


@_substitute(network_parameters=_TENSOR_NETWORK_PARAMETERS)
class TensorNetworkClassifier(_LinearStartMixin, _NetClassifier):
    """Tree tensor network of the entanglement theorem over the canonical tree of the
    features, for classification.

    A skorch ``NeuralNetClassifier`` around :class:`TreeTensorNet` (1-D;
    ``module__shape=(H, W)`` for images). Training starts from logistic regression fitted to the
    training split (``linear_start``) and learns the interactions from there.
    {input}

    Parameters
    ----------
    {network_parameters}
    criterion : torch criterion class, default=torch.nn.CrossEntropyLoss
        Loss on the network's logits.
    linear_start : "auto", estimator or None, default="auto"
        Before training, fit a linear model to the training split and set the network to
        it (:meth:`TreeTensorNet.load_linear_model`, which keeps the best
        rank-``(min(rank) - 1)`` approximation of its weights). ``"auto"``:
        ``LogisticRegression(C=C)``, ``C`` = 0.001, 0.01, ..., 1000,
        whichever has the least loss on the validation split (``C=1`` when
        ``train_split=None``). An estimator is cloned and fitted, and must have ``coef_``
        and ``intercept_`` (a linear model of ``X`` as the network receives it). ``None``
        starts from the module's ``init``. Needs ``module__embedding="affine"``.
    {training_parameters}
    {classifier_parameters}

    Attributes
    ----------
    {classifier_attributes}

    See Also
    --------
    TensorNetworkRegressor : The same network for regression.
    rank_schedule : Ranks per level from the data's entanglement.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_qe.nets import TensorNetworkClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> net = TensorNetworkClassifier(max_epochs=2, random_state=0).fit(X[:200], y[:200])
    >>> net.predict(X[:3]).shape
    (3,)
    """

    # A linear estimator for linear_start: coef_ and intercept_ are checked once fitted.
    _parameter_constraints: dict = {
        **_NetClassifier._parameter_constraints,
        "linear_start": [StrOptions({"auto"}), HasMethods(["fit"]), None],
    }

    @staticmethod
    def _validation_loss(model, X, y):
        """Log-loss of ``model`` on the samples of the classes it saw."""
        seen = np.isin(y, model.classes_)
        proba = model.predict_proba(X[seen])
        true = proba[np.arange(len(proba)), np.searchsorted(model.classes_, y[seen])]
        return -np.log(np.clip(true, 1e-15, None)).mean()

    def _linear_model(self, X, y, valid):
        """Logits ``(n_classes, n_features)`` and ``(n_classes,)``, centred over classes
        (softmax ignores a shift common to all), from the training split."""
        coef = np.zeros((self.n_outputs_, X.shape[1]))
        intercept = np.zeros(self.n_outputs_)
        seen = np.unique(y)
        if len(seen) > 1:  # else no model to fit: the one class seen, the others below it
            grid = [LogisticRegression(C=C, max_iter=1000) for C in _LOGISTIC_CS]
            estimator, seen_coef, seen_intercept = self._fitted_linear_estimator(grid, X, y, valid)
            seen = getattr(estimator, "classes_", seen)
            if len(seen_coef) == 1 and len(seen) == 2:  # binary: one decision function
                seen_coef = np.vstack([-seen_coef, seen_coef]) / 2
                seen_intercept = np.array([-seen_intercept[0], seen_intercept[0]]) / 2
            if seen_coef.shape[0] != len(seen):
                raise ValueError(
                    f"linear_start's coef_ has {seen_coef.shape[0]} rows for {len(seen)} "
                    "classes; it must score each class (or, with two, the second)."
                )
            coef[seen], intercept[seen] = seen_coef, seen_intercept
        # A class missing from the split gets a logit below every seen one.
        unseen = np.setdiff1d(np.arange(self.n_outputs_), seen)
        intercept[unseen] = intercept[seen].min() - np.log(len(y))
        return coef - coef.mean(axis=0), intercept - intercept.mean()


@_substitute(network_parameters=_TENSOR_NETWORK_PARAMETERS)
class TensorNetworkRegressor(_LinearStartMixin, _NetRegressor):
    """Tree tensor network of the entanglement theorem over the canonical tree of the
    features, for regression.

    A skorch ``NeuralNetRegressor`` around :class:`TreeTensorNet` (1-D;
    ``module__shape=(H, W)`` for images). Training starts from ridge regression fitted to the
    training split (``linear_start``) and learns the interactions from there. Targets of
    shape ``(n_samples,)`` or ``(n_samples, n_targets)``, standardized inside
    (``normalize_y``).
    {input}

    Parameters
    ----------
    {network_parameters}
    criterion : torch criterion class, default=torch.nn.MSELoss
        Loss.
    linear_start : "auto", estimator or None, default="auto"
        Before training, fit a linear model to the training split and set the network to
        it (:meth:`TreeTensorNet.load_linear_model`, which keeps the best
        rank-``(min(rank) - 1)`` approximation of its weights). ``"auto"``:
        ``Ridge(alpha=alpha)``, ``alpha`` = 1000, 100, ..., 0.001,
        whichever has the least loss on the validation split (``alpha=1`` when
        ``train_split=None``). An estimator is cloned and fitted, and must have ``coef_``
        and ``intercept_`` (a linear model of ``X`` as the network receives it). ``None``
        starts from the module's ``init``. Needs ``module__embedding="affine"``.
    {training_parameters}
    {regressor_parameters}

    Attributes
    ----------
    {regressor_attributes}

    See Also
    --------
    TensorNetworkClassifier : The same network for classification.
    rank_schedule : Ranks per level from the data's entanglement.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn_qe.nets import TensorNetworkRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> net = TensorNetworkRegressor(max_epochs=2, random_state=0).fit(X[:200], y[:200])
    >>> net.predict(X[:3]).shape
    (3,)
    """

    # A linear estimator for linear_start: coef_ and intercept_ are checked once fitted.
    _parameter_constraints: dict = {
        **_NetRegressor._parameter_constraints,
        "linear_start": [StrOptions({"auto"}), HasMethods(["fit"]), None],
    }

    @staticmethod
    def _validation_loss(model, X, y):
        return np.mean((model.predict(X) - y) ** 2)

    def _linear_model(self, X, y, valid):
        """Weights ``(n_targets, n_features)`` and ``(n_targets,)`` of the (standardized)
        targets, from the training split."""
        grid = [Ridge(alpha=alpha) for alpha in _RIDGE_ALPHAS]
        _, coef, intercept = self._fitted_linear_estimator(grid, X, y, valid)
        if coef.shape[0] != self.n_outputs_:
            raise ValueError(
                f"linear_start's coef_ has {coef.shape[0]} rows for {self.n_outputs_} targets."
            )
        return coef, intercept
