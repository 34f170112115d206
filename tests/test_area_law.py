import numpy as np
import pytest

from sklearn_qe import AreaLawFit, area_law_fit, canonical_tree, mean_block_geometry


def boundary_by_neighbours(block, n_features, shape):
    """Nearest-neighbour pairs with one feature in the block and one outside, counted."""
    inside = np.zeros(n_features, dtype=bool)
    inside[block] = True
    if shape is None:
        return int(np.sum(inside[1:] != inside[:-1]))
    grid = inside.reshape(shape)
    return int(np.sum(grid[1:] != grid[:-1]) + np.sum(grid[:, 1:] != grid[:, :-1]))


@pytest.mark.parametrize(
    "n_features, shape", [(13, None), (16, None), (64, (8, 8)), (35, (5, 7)), (42, (7, 6))]
)
def test_block_geometry_counts_the_pairs_across_each_block(n_features, shape):
    tree = canonical_tree(n_features, shape=shape)
    for level in range(1, tree.n_levels + 1):
        sizes, boundaries = tree.block_geometry(level)
        blocks = tree.partitions(level)
        np.testing.assert_array_equal(sizes, [len(block) for block in blocks])
        expected = [boundary_by_neighbours(block, n_features, shape) for block in blocks]
        np.testing.assert_array_equal(boundaries, expected)


def test_mean_block_geometry_averages_the_distinct_partitions():
    tree = canonical_tree(13)
    sizes, boundaries = mean_block_geometry(tree, levels=[1, 3])
    # Level 1: the one partition [0..6] | [7..12]; level 3: 8 blocks of 2 or 1 features,
    # the two at the ends with one neighbour outside, the others with two.
    np.testing.assert_allclose(sizes, [7, 13 / 8])
    np.testing.assert_allclose(boundaries, [1, (2 * 1 + 6 * 2) / 8])
    all_sizes, _ = mean_block_geometry(tree)
    np.testing.assert_allclose(all_sizes, [7, 13 / 4, 13 / 8])


def test_mean_block_geometry_rejects_levels_outside_the_tree():
    with pytest.raises(ValueError, match="Level 4 is out of range"):
        mean_block_geometry(canonical_tree(8), levels=[4])
    with pytest.raises(TypeError, match="each level must be an int"):
        mean_block_geometry(canonical_tree(8), levels=[1.5])


@pytest.mark.parametrize("shape", [None, (64, 64)])
def test_fit_recovers_known_power_laws(shape):
    n_features = 4096
    sizes, boundaries = mean_block_geometry(canonical_tree(n_features, shape=shape))
    volume = area_law_fit(sizes, boundaries, 0.3 * sizes**0.9)
    assert isinstance(volume, AreaLawFit)
    assert volume.size_exponent == pytest.approx(0.9, abs=1e-12)
    assert volume.size_prefactor == pytest.approx(0.3, rel=1e-12)
    area = area_law_fit(sizes, boundaries, 0.2 * boundaries**1.5)
    assert area.boundary_exponent == pytest.approx(1.5, abs=1e-12)
    assert area.boundary_prefactor == pytest.approx(0.2, rel=1e-12)
    assert area.fitted.all()
    np.testing.assert_array_equal(area.block_sizes, sizes)
    np.testing.assert_array_equal(area.boundaries, boundaries)


def test_area_law_reads_as_half_a_volume_in_2d_and_none_in_1d():
    """The docstring's reading: QE proportional to the boundary gives alpha_size a little
    under 0.5 on an image (large blocks lie along its border) and ~ 0 on a sequence."""
    sizes, boundaries = mean_block_geometry(canonical_tree(4096, shape=(64, 64)))
    assert 0.35 < area_law_fit(sizes, boundaries, boundaries).size_exponent < 0.5
    sizes, boundaries = mean_block_geometry(canonical_tree(4096))
    assert abs(area_law_fit(sizes, boundaries, boundaries).size_exponent) < 0.1


def test_levels_without_a_logarithm_are_left_out():
    sizes = np.array([64.0, 16, 4, 1])
    boundaries = np.array([8.0, 6, 4, 3])
    qe = 0.5 * sizes**0.7
    for bad in (0.0, -1e-17, np.nan, np.inf):
        with_bad = qe.copy()
        with_bad[2] = bad
        fit = area_law_fit(sizes, boundaries, with_bad)
        np.testing.assert_array_equal(fit.fitted, [True, True, False, True])
        assert fit.size_exponent == pytest.approx(0.7, abs=1e-12)


def test_fewer_than_two_usable_levels_give_nan():
    for qe in ([0.0, 0.0, 0.0], [0.0, 1.0, 0.0], []):
        n = len(qe)
        fit = area_law_fit(np.arange(n, 0, -1.0), np.ones(n), qe)
        assert np.isnan(fit.size_exponent) and np.isnan(fit.size_prefactor)
        assert np.isnan(fit.boundary_exponent) and np.isnan(fit.boundary_prefactor)
    # Two levels with the same boundary: no slope to fit against it.
    fit = area_law_fit([4.0, 2.0], [2.0, 2.0], [1.0, 0.5])
    assert fit.size_exponent == pytest.approx(1.0)
    assert np.isnan(fit.boundary_exponent)


@pytest.mark.parametrize(
    "args, message",
    [
        (([4, 2], [2, 2], [1.0]), "one value per level"),
        (([4, 2], [2], [1.0, 2.0]), "one value per level"),
        ((["a", "b"], [2, 2], [1.0, 2.0]), "block_sizes must be a 1-D array of numbers"),
        (([4, 2], [2, 2], [[1.0, 2.0]]), "entanglement must be a 1-D array of numbers"),
    ],
)
def test_fit_rejects_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        area_law_fit(*args)
