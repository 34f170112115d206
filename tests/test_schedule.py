"""channel_schedule: the meter's widths per level, mapped to the CNN's stages, at a budget."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from sklearn_qe import EntanglementMeter
from sklearn_qe.nets import ResCNN1d, ResCNN2d, channel_schedule


def n_parameters(module):
    return sum(parameter.numel() for parameter in module.parameters())


@pytest.fixture(scope="module")
def meters():
    """Meters of small 1-D (16 features, levels 1-4) and 2-D (8 x 8, levels 1-3) data."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 64)), np.arange(60) % 3
    options = dict(max_samples=None, shifted=False, baseline=False)
    return (
        EntanglementMeter(**options).fit(X[:, :16], y),
        EntanglementMeter(shape=(8, 8), **options).fit(X, y),
    )


def with_widths(meter, widths):
    """The meter as if it had measured ``widths`` per level (to test the mapping alone)."""
    meter.level_widths_ = np.array(widths)
    return meter


@pytest.mark.parametrize("budget", [3_000, 20_000, 150_000])
def test_schedule_fits_the_budget_and_fills_it(meters, budget):
    meter = with_widths(meters[0], [9, 6, 3, 1])
    channels = channel_schedule(meter, budget, n_blocks=3, kernel_size=5)
    count = n_parameters(ResCNN1d(16, 3, channels=channels, n_blocks=3, kernel_size=5))
    assert count <= budget
    # The largest scale: a slightly larger one adds at most one channel to each stage and
    # breaks the budget, so the count is within that much of it.
    wider = [c + 1 for c in channels]
    step = n_parameters(ResCNN1d(16, 3, channels=wider, n_blocks=3, kernel_size=5)) - count
    assert count > budget - step


def test_stages_follow_the_levels_of_their_block_size(meters):
    # 1-D, 16 features: the stem serves single features (level 4), block k blocks of 2**k
    # features (level 4 - k): widths per level [9, 6, 3, 1] read backwards.
    channels = channel_schedule(
        with_widths(meters[0], [9, 6, 3, 1]), 400_000, n_blocks=3, min_channels=1
    )
    np.testing.assert_allclose(np.array(channels) / channels[-1], [1 / 9, 3 / 9, 6 / 9, 1], atol=0.02)
    # Beyond the root's scale a stage serves the coarsest level; 2 stages: levels 4 and 3.
    deep = channel_schedule(with_widths(meters[0], [9, 6, 3, 1]), 400_000, n_blocks=5, min_channels=1)
    np.testing.assert_allclose(np.array(deep) / deep[-1], [1 / 9, 3 / 9, 6 / 9, 1, 1, 1], atol=0.02)
    short = channel_schedule(with_widths(meters[0], [9, 6, 3, 1]), 100_000, n_blocks=1, min_channels=1)
    assert short[1] == pytest.approx(3 * short[0], abs=3)
    # 2-D, 8 x 8: a position after k poolings covers 4**k pixels, level 3 - k.
    channels = channel_schedule(with_widths(meters[1], [8, 2, 1]), 300_000, min_channels=1)
    assert len(channels) == 3  # ResCNN2d's default: 2 blocks
    np.testing.assert_allclose(np.array(channels) / channels[-1], [1 / 8, 2 / 8, 1], atol=0.02)
    module = ResCNN2d(64, 3, shape=(8, 8), channels=channels)  # the defaults it counted with
    assert n_parameters(module) <= 300_000


def test_min_channels_and_real_meter(meters):
    channels = channel_schedule(with_widths(meters[0], [100, 1, 1, 1]), 30_000, n_blocks=3)
    assert channels[:3] == [8, 8, 8] and channels[3] > 8
    meter = EntanglementMeter(max_samples=None, shifted=False, baseline=False)
    rng = np.random.default_rng(1)
    meter.fit(rng.normal(size=(40, 16)), rng.integers(0, 2, 40))
    channels = channel_schedule(meter, 10_000)
    assert len(channels) == 4 and all(c >= 8 for c in channels)
    assert n_parameters(ResCNN1d(16, 2, channels=channels)) <= 10_000


def test_relative_widths():
    channels = channel_schedule([1, 2, 4], 50_000, min_channels=1)
    np.testing.assert_allclose(np.array(channels) / channels[-1], [1 / 4, 2 / 4, 1], atol=0.02)
    assert n_parameters(ResCNN1d(8, 1, channels=channels, n_blocks=2)) <= 50_000
    image = channel_schedule([4, 2, 1], 50_000, shape=(16, 16), n_outputs=10)
    assert n_parameters(ResCNN2d(256, 10, shape=(16, 16), channels=image)) <= 50_000
    # Equal budgets, equal counts within a stage's cost: the two of Levine et al.'s experiment.
    base = channel_schedule([4, 4, 2, 2, 1, 1], 40_000, shape=(32, 32), n_outputs=10, min_channels=1)
    tip = channel_schedule([1, 1, 2, 2, 4, 4], 40_000, shape=(32, 32), n_outputs=10, min_channels=1)
    counts = [n_parameters(ResCNN2d(1024, 10, shape=(32, 32), channels=c, n_blocks=5)) for c in (base, tip)]
    assert all(36_000 <= count <= 40_000 for count in counts)


@pytest.mark.parametrize(
    "args, kwargs, error, message",
    [
        (([1, 2], 10), {}, ValueError, "budget=10 is too small: 8 channels at each of the 2 stages"),
        (([1, 2], 10_000), {"n_blocks": 3}, ValueError, "2 relative widths for n_blocks=3"),
        (([1, -2], 10_000), {}, ValueError, "positive numbers"),
        (([[1, 2]], 10_000), {}, ValueError, "1-D list"),
        (([1, 2], 0), {}, ValueError, "budget must be at least 1, got 0"),
        (([1, 2], 1e4), {}, TypeError, "budget must be an int, got 10000.0"),
        (([1, 2], True), {}, TypeError, "budget must be an int, got True"),
        (([1, 2], 10**40), {}, ValueError, "budget must be at most"),
        (([1, 2], 10_000), {"min_channels": 0}, ValueError, "min_channels must be at least 1"),
        # Found by tests/test_properties.py: torch could not size the tensors.
        (([1], 2_000), {"min_channels": 10**20}, ValueError, "budget=2000 is too small"),
        (([1, 2], 10**12), {"min_channels": 2**40}, ValueError, "is too small"),
        (([np.inf, 1], 10_000), {}, ValueError, "Relative widths must be finite"),
        (([1, 2], 10_000), {"n_blocks": -1}, ValueError, "n_blocks must be at least 0"),
        (([1, 2], 10_000), {"shape": (-2, -2)}, ValueError, "each side of shape must be at least 1"),
    ],
)
def test_bad_arguments(args, kwargs, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(").replace("[", r"\[")):
        channel_schedule(*args, **kwargs)


def test_unfitted_meter():
    with pytest.raises(NotFittedError):
        channel_schedule(EntanglementMeter(), 10_000)


def test_flatten_readout_counts_the_positions(meters):
    meter = with_widths(meters[0], [4, 4, 2, 1])
    channels = channel_schedule(meter, 20_000, n_blocks=2, readout="flatten")
    assert n_parameters(ResCNN1d(16, 3, channels=channels, n_blocks=2, readout="flatten")) <= 20_000
    with pytest.raises(ValueError, match='readout="flatten" gives the head one weight per position'):
        channel_schedule([1, 2], 20_000, readout="flatten")
    image = channel_schedule([1, 2], 20_000, readout="flatten", shape=(8, 8))
    assert n_parameters(ResCNN2d(64, 1, shape=(8, 8), channels=image, n_blocks=1, readout="flatten")) <= 20_000


def test_a_meter_brings_the_layout_it_measured(meters):
    """The meter's shape parameter, changed after fit, measured nothing: shape_ did."""
    meter = meters[1]
    expected = channel_schedule(meter, 20_000)
    meter.set_params(shape=None)
    try:
        assert channel_schedule(meter, 20_000) == expected
    finally:
        meter.set_params(shape=(8, 8))
