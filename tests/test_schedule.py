"""channel_schedule: the meter's widths per level, mapped to the CNN's stages, at a budget."""

import copy

import numpy as np
import pytest
from scipy.ndimage import zoom
from sklearn.exceptions import NotFittedError
from sklearn.preprocessing import StandardScaler

from sklearn_qe import EntanglementMeter
from sklearn_qe.nets import (
    PointwiseCNN1d,
    PointwiseCNN2d,
    ResCNN1d,
    ResCNN2d,
    TreeTensorNet,
    channel_schedule,
    rank_schedule,
)


def n_parameters(module):
    return sum(parameter.numel() for parameter in module.parameters())


@pytest.fixture(scope="module")
def meters():
    """Meters of small 1-D (16 features, levels 1-4) and 2-D (8 x 8, levels 1-3) data."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 64)), np.arange(60) % 3
    options = dict(max_samples=None, shifted=False, random_state=0)
    return (
        EntanglementMeter(**options).fit(X[:, :16], y),
        EntanglementMeter(shape=(8, 8), **options).fit(X, y),
    )


def with_shares(meter, shares):
    """The meter as if its QE per level were ``shares`` of the random order's (to test the
    mapping alone)."""
    meter = copy.deepcopy(meter)
    meter.random_order_entanglement_ = np.full(len(shares), 2.0)
    meter.entanglement_ = 2.0 * np.array(shares, dtype=np.float64)
    return meter


@pytest.mark.parametrize("budget", [3_000, 20_000, 150_000])
def test_schedule_fits_the_budget_and_fills_it(meters, budget):
    meter = with_shares(meters[0], [0.9, 0.6, 0.3, 1.0])
    channels = channel_schedule(meter, budget, n_blocks=3, kernel_size=5)
    count = n_parameters(ResCNN1d(16, 3, channels=channels, n_blocks=3, kernel_size=5))
    assert count <= budget
    # The largest scale: a slightly larger one adds at most one channel to each stage and
    # breaks the budget, so the count is within that much of it.
    wider = [c + 1 for c in channels]
    step = n_parameters(ResCNN1d(16, 3, channels=wider, n_blocks=3, kernel_size=5)) - count
    assert count > budget - step


def test_stages_follow_the_levels_of_their_block_size(meters):
    # 1-D, 16 features: block k serves blocks of 2**k features (level 4 - k); level 4 holds
    # single features, whose share says nothing, so the stem takes level 3's.
    shares = [0.9, 0.6, 0.3, 1.0]
    channels = channel_schedule(with_shares(meters[0], shares), 400_000, n_blocks=3, min_channels=1)
    np.testing.assert_allclose(
        np.array(channels) / channels[-1], [1 / 3, 1 / 3, 2 / 3, 1], atol=0.02
    )
    # Beyond the root's scale a stage serves the coarsest level; 2 stages: levels 3 and 3.
    deep = channel_schedule(with_shares(meters[0], shares), 400_000, n_blocks=5, min_channels=1)
    np.testing.assert_allclose(np.array(deep) / deep[-1], [1 / 3, 1 / 3, 2 / 3, 1, 1, 1], atol=0.02)
    short = channel_schedule(with_shares(meters[0], shares), 100_000, n_blocks=1, min_channels=1)
    assert short[1] == short[0]
    # 2-D, 8 x 8: a position after k poolings covers 4**k pixels, level 3 - k (level 3:
    # single pixels, the stem takes level 2's share).
    channels = channel_schedule(with_shares(meters[1], [0.8, 0.2, 1.0]), 300_000, min_channels=1)
    assert len(channels) == 3  # ResCNN2d's default: 2 blocks
    np.testing.assert_allclose(np.array(channels) / channels[-1], [1 / 4, 1 / 4, 1], atol=0.02)
    module = ResCNN2d(64, 3, shape=(8, 8), channels=channels)  # the defaults it counted with
    assert n_parameters(module) <= 300_000


def test_the_rule_reads_qe_against_the_random_order(meters):
    """Raw QE that grows with block size (as on any data) does not make a wide tip by itself:
    a share of the random order's QE that is larger at fine levels makes a wide base."""
    meter = copy.deepcopy(meters[0])
    meter.entanglement_ = np.array([2.0, 1.0, 0.6, 0.2])  # grows with block size
    meter.random_order_entanglement_ = np.array([8.0, 3.0, 1.0, 0.2])
    channels = channel_schedule(meter, 100_000, n_blocks=3, min_channels=1)
    assert channels[0] > 2 * channels[-1]  # shares 0.6 at level 3, 0.25 at level 1
    # Coarse to fine; level 3's blocks of 2 features can use no more than rank 4.
    ranks = rank_schedule(meter, 300, min_rank=1)
    assert ranks[0] < ranks[1] < ranks[2]
    meter.random_order_entanglement_ = np.array([2.2, 1.5, 1.5, 0.2])  # shares 0.9 ... 0.4
    channels = channel_schedule(meter, 100_000, n_blocks=3, min_channels=1)
    assert channels[-1] > 2 * channels[0]
    ranks = rank_schedule(meter, 300, min_rank=1)
    assert ranks[0] > ranks[1] > ranks[2]
    # A product tensor (QE 0 at every level): no scale asks for more than another, so the
    # budget goes to all alike (and no division by zero).
    meter.entanglement_ = np.zeros(4)
    assert len(set(channel_schedule(meter, 100_000, n_blocks=3, min_channels=4))) == 1
    assert len(set(rank_schedule(meter, 300, min_rank=1)[:2])) == 1


def test_the_rule_tells_a_local_task_from_a_global_one(digits):
    """Levine et al.'s tasks, small: digits at a random place of a 32x32 canvas, as they are
    (8x8, local) or enlarged to 16x16 (global). The local task gets a wide base, the global
    one a wide tip, of the CNNs and of the tensor network."""
    images, y = digits
    images, y = images[:400].reshape(-1, 8, 8) / 16, y[:400]
    rng = np.random.default_rng(0)
    schedules = {}
    for task, side in (("local", 8), ("global", 16)):
        digits = images if side == 8 else np.clip(zoom(images, (1, 2, 2), order=1), 0, 1)
        X = np.zeros((len(digits), 32, 32))
        for canvas, digit, (row, col) in zip(X, digits, rng.integers(0, 33 - side, (len(X), 2))):
            canvas[row : row + side, col : col + side] = digit
        X = StandardScaler().fit_transform(X.reshape(len(X), -1))
        meter = EntanglementMeter(shape=(32, 32), max_samples=150, shifted=False, random_state=0)
        meter.fit(X, y)
        schedules[task] = (
            channel_schedule(meter, 20_000, n_blocks=5, min_channels=1),
            channel_schedule(meter, 5_000, module=PointwiseCNN2d, n_blocks=5, min_channels=1),
            rank_schedule(meter, 100_000)[:-1][::-1],  # fine to coarse, single pixels left out
        )
    for widths in schedules["local"]:
        assert widths[0] > widths[-1]
    for widths in schedules["global"]:
        assert widths[-1] > widths[0]


def test_min_channels_and_real_meter(meters):
    channels = channel_schedule(with_shares(meters[0], [1.0, 0.01, 0.01, 1.0]), 30_000, n_blocks=3)
    assert channels[:3] == [8, 8, 8] and channels[3] > 8
    meter = EntanglementMeter(max_samples=None, shifted=False, random_state=0)
    rng = np.random.default_rng(1)
    meter.fit(rng.normal(size=(40, 16)), rng.integers(0, 2, 40))
    channels = channel_schedule(meter, 10_000)
    assert len(channels) == 4 and all(c >= 8 for c in channels)
    assert n_parameters(ResCNN1d(16, 2, channels=channels)) <= 10_000


def test_pointwise_cnn_is_counted_as_built(meters):
    meter = with_shares(meters[1], [0.2, 0.6, 1.0])
    channels = channel_schedule(meter, 5_000, module=PointwiseCNN2d, n_blocks=3, min_channels=1)
    count = n_parameters(PointwiseCNN2d(64, 3, shape=(8, 8), channels=channels, n_blocks=3))
    assert 4_000 < count <= 5_000 and channels[0] > channels[-1]
    with pytest.raises(ValueError, match="module=PointwiseCNN1d does not take images"):
        channel_schedule(meter, 5_000, module=PointwiseCNN1d)
    with pytest.raises(ValueError, match="module must be None or one of"):
        channel_schedule(meter, 5_000, module=TreeTensorNet)


@pytest.mark.parametrize("index, shape", [(0, None), (1, (8, 8))])
def test_rank_schedule_fits_the_budget_and_fills_it(meters, index, shape):
    meter = with_shares(meters[index], [0.9, 0.6, 0.3, 1.0][: len(meters[index].levels_)])
    for budget in (1_000, 10_000, 100_000):
        ranks = rank_schedule(meter, budget)
        count = n_parameters(TreeTensorNet(64 if shape else 16, 3, rank=ranks, shape=shape))
        assert count <= budget and min(ranks) >= 2
        wider = [r + 1 for r in ranks]
        assert n_parameters(TreeTensorNet(64 if shape else 16, 3, rank=wider, shape=shape)) > budget
    if shape is None:  # ranks beyond what a level's blocks can use: a huge budget stops at them
        assert rank_schedule(meter, 2**50) == [2**8, 2**4, 2**2, 2]


def test_rank_schedule_relative_ranks_and_refusals(meters):
    ranks = rank_schedule([1, 2, 4, 8], 3_000, n_features=16, min_rank=1)
    assert ranks[-1] == 2  # single features: phi's two entries
    assert n_parameters(TreeTensorNet(16, 1, rank=ranks)) <= 3_000
    assert rank_schedule([1.0], 100, n_features=2) == [2]
    assert rank_schedule(meters[0], 10**6, n_outputs=1) == rank_schedule(
        meters[0], 10**6, n_outputs=1
    )
    with pytest.raises(ValueError, match="pass n_features"):
        rank_schedule([1, 2], 1_000)
    with pytest.raises(ValueError, match="3 relative ranks for the 4 levels"):
        rank_schedule([1, 2, 3], 1_000, n_features=16)
    with pytest.raises(ValueError, match="budget=10 is too small: min_rank=2 at each of the 4"):
        rank_schedule(meters[0], 10)
    with pytest.raises(TypeError, match="'min_rank' parameter of rank_schedule must be an int"):
        rank_schedule(meters[0], 1_000, min_rank=2.0)
    no_baseline = EntanglementMeter(max_samples=None, shifted=False, baseline=False)
    no_baseline.fit(np.random.default_rng(0).normal(size=(30, 16)))
    for schedule in (channel_schedule, rank_schedule):
        with pytest.raises(ValueError, match="fit the meter with baseline=True"):
            schedule(no_baseline, 10_000)


def test_relative_widths():
    channels = channel_schedule([1, 2, 4], 50_000, min_channels=1)
    np.testing.assert_allclose(np.array(channels) / channels[-1], [1 / 4, 2 / 4, 1], atol=0.02)
    assert n_parameters(ResCNN1d(8, 1, channels=channels, n_blocks=2)) <= 50_000
    image = channel_schedule([4, 2, 1], 50_000, shape=(16, 16), n_outputs=10)
    assert n_parameters(ResCNN2d(256, 10, shape=(16, 16), channels=image)) <= 50_000
    # Equal budgets, equal counts within a stage's cost: the two of Levine et al.'s experiment.
    base = channel_schedule(
        [4, 4, 2, 2, 1, 1], 40_000, shape=(32, 32), n_outputs=10, min_channels=1
    )
    tip = channel_schedule([1, 1, 2, 2, 4, 4], 40_000, shape=(32, 32), n_outputs=10, min_channels=1)
    counts = [
        n_parameters(ResCNN2d(1024, 10, shape=(32, 32), channels=c, n_blocks=5))
        for c in (base, tip)
    ]
    assert all(36_000 <= count <= 40_000 for count in counts)


@pytest.mark.parametrize(
    "args, kwargs, error, message",
    [
        (
            ([1, 2], 10),
            {},
            ValueError,
            "budget=10 is too small: min_channels=8 at each of the 2 stages",
        ),
        (([1, 2], 10_000), {"n_blocks": 3}, ValueError, "2 relative widths for n_blocks=3"),
        (([1, -2], 10_000), {}, ValueError, "positive numbers"),
        (([[1, 2]], 10_000), {}, ValueError, "1-D list"),
        (
            ([1, 2], 0),
            {},
            ValueError,
            "'budget' parameter .* range [1, 9007199254740992]. Got 0",
        ),
        (([1, 2], 1e4), {}, TypeError, "'budget' parameter .* must be an int .* Got 10000.0"),
        (([1, 2], True), {}, TypeError, "'budget' parameter .* must be an int .* Got True"),
        (([1, 2], 10**40), {}, ValueError, "'budget' parameter .* Got 1000000000000000000000000"),
        (([1, 2], 10_000), {"min_channels": 0}, ValueError, "'min_channels' parameter .* Got 0"),
        # Found by tests/test_properties.py: torch could not size the tensors.
        (([1], 2_000), {"min_channels": 10**20}, ValueError, "budget=2000 is too small"),
        (([1, 2], 10**12), {"min_channels": 2**40}, ValueError, "is too small"),
        (([np.inf, 1], 10_000), {}, ValueError, "Relative widths must be finite"),
        (
            ([1, 2], 10_000),
            {"n_blocks": -1},
            ValueError,
            "'n_blocks' parameter .* range [0, inf.* Got -1 instead",
        ),
        (
            ([1, 2], 10_000),
            {"shape": (-2, -2)},
            ValueError,
            "shape must be a pair .* of ints of at least 1",
        ),
    ],
)
def test_bad_arguments(args, kwargs, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(").replace("[", r"\[")):
        channel_schedule(*args, **kwargs)


def test_unfitted_meter():
    with pytest.raises(NotFittedError):
        channel_schedule(EntanglementMeter(), 10_000)


def test_flatten_readout_counts_the_positions(meters):
    meter = with_shares(meters[0], [0.4, 0.4, 0.2, 1.0])
    channels = channel_schedule(meter, 20_000, n_blocks=2, readout="flatten")
    assert n_parameters(ResCNN1d(16, 3, channels=channels, n_blocks=2, readout="flatten")) <= 20_000
    with pytest.raises(
        ValueError, match='readout="flatten" gives the head one weight per position'
    ):
        channel_schedule([1, 2], 20_000, readout="flatten")
    image = channel_schedule([1, 2], 20_000, readout="flatten", shape=(8, 8))
    assert (
        n_parameters(ResCNN2d(64, 1, shape=(8, 8), channels=image, n_blocks=1, readout="flatten"))
        <= 20_000
    )


def test_a_meter_brings_the_layout_it_measured(meters):
    """The meter's shape parameter, changed after fit, measured nothing: shape_ did."""
    meter = meters[1]
    expected = channel_schedule(meter, 20_000)
    meter.set_params(shape=None)
    try:
        assert channel_schedule(meter, 20_000) == expected
    finally:
        meter.set_params(shape=(8, 8))
