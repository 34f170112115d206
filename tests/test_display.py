import subprocess
import sys

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.preprocessing import StandardScaler

from sklearn_qe import (
    EntanglementDisplay,
    EntanglementMeter,
    EntanglementReorderer,
    IGTDReorderer,
    PermutationDisplay,
    area_law_fit,
    canonical_tree,
    entanglement_capacity,
    mean_block_geometry,
)

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def walks(random_walks):
    # Scaled so that phi stays within one period.
    return random_walks(60, 16, seed=0) / 4


@pytest.fixture(scope="module")
def meter(walks):
    return EntanglementMeter(levels=3).fit(walks)


@pytest.fixture(scope="module")
def shuffled_meter(walks):
    shuffled = walks[:, np.random.default_rng(1).permutation(walks.shape[1])]
    return EntanglementMeter(levels=3).fit(shuffled)


def test_lines_hold_the_measured_profile(meter):
    display = EntanglementDisplay.from_estimator(meter, label="walk")

    np.testing.assert_array_equal(display.line_.get_xdata(), meter.levels_)
    np.testing.assert_allclose(display.line_.get_ydata(), meter.entanglement_)
    np.testing.assert_array_equal(display.surrogate_line_.get_xdata(), meter.levels_)
    np.testing.assert_allclose(display.surrogate_line_.get_ydata(), meter.surrogate_entanglement_)
    assert display.surrogate_line_.axes is display.surrogate_ax_
    assert display.surrogate_ax_ is not display.ax_
    assert display.surrogate_ax_.get_shared_x_axes().joined(display.surrogate_ax_, display.ax_)
    assert display.line_.get_label() == "walk"
    assert display.ax_.get_xlabel() == "level of the canonical tree"
    assert display.ax_.get_ylabel() == "QE (nats)"
    assert display.surrogate_ax_.get_ylabel() == "SE"
    np.testing.assert_array_equal(display.ax_.get_xticks(), [1, 2, 3])
    assert display.figure_ is display.ax_.figure


def test_width_lines_sit_at_log_width(meter):
    display = EntanglementDisplay.from_estimator(meter, widths=[2, 8])

    assert len(display.width_lines_) == 2
    for line, width in zip(display.width_lines_, [2, 8]):
        np.testing.assert_allclose(line.get_ydata(), np.log(width))
        assert line.get_label() == f"ln R, R={width}"
        assert line.axes is display.ax_
    # Each bound is named where it is drawn.
    assert [text.get_text() for text in display.ax_.texts] == ["ln R, R=2", "ln R, R=8"]


def test_without_surrogate(meter):
    display = EntanglementDisplay.from_estimator(meter, show_surrogate=False)
    assert display.surrogate_ax_ is None and display.surrogate_line_ is None
    assert display.width_lines_ == []
    assert len(display.figure_.axes) == 1
    legend_labels = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert legend_labels == ["QE"]

    bare = EntanglementDisplay(levels=meter.levels_, entanglement=meter.entanglement_).plot()
    assert bare.surrogate_ax_ is None and bare.surrogate_line_ is None


def test_overlay_shares_axes_twin_and_legend(meter, shuffled_meter):
    first = EntanglementDisplay.from_estimator(meter, label="natural", widths=[4])
    second = EntanglementDisplay.from_estimator(
        shuffled_meter, ax=first.ax_, label="shuffled", widths=[4]
    )

    assert second.ax_ is first.ax_
    assert second.surrogate_ax_ is first.surrogate_ax_
    # ax and one twin: no new twin per overlay.
    assert len(first.figure_.axes) == 2
    labels = ("natural", "shuffled")
    qe_lines = [line for line in first.ax_.get_lines() if line.get_label() in labels]
    assert len(qe_lines) == 2
    np.testing.assert_allclose(second.line_.get_ydata(), shuffled_meter.entanglement_)
    assert len(first.surrogate_ax_.get_lines()) == 2
    assert second.line_.get_color() != first.line_.get_color()
    assert second.surrogate_line_.get_color() == second.line_.get_color()
    # The width line is drawn once and shared.
    assert second.width_lines_[0] is first.width_lines_[0]

    assert [text.get_text() for text in first.ax_.texts].count("ln R, R=4") == 1

    legend_labels = [text.get_text() for text in first.ax_.get_legend().get_texts()]
    assert legend_labels == ["natural", "shuffled", "SE (dashed, right axis)"]


def test_from_data_equals_from_estimator(walks):
    params = dict(levels=2, max_samples=30, random_state=0, theta=0.1)
    from_data = EntanglementDisplay.from_data(walks, **params)
    meter = EntanglementMeter(**params).fit(walks)
    from_estimator = EntanglementDisplay.from_estimator(meter)

    np.testing.assert_array_equal(from_data.line_.get_xdata(), from_estimator.line_.get_xdata())
    np.testing.assert_allclose(from_data.line_.get_ydata(), from_estimator.line_.get_ydata())
    np.testing.assert_allclose(
        from_data.surrogate_line_.get_ydata(), from_estimator.surrogate_line_.get_ydata()
    )


def test_style_dicts_reach_their_artists(meter):
    display = EntanglementDisplay.from_estimator(
        meter,
        network_widths=2,
        line_kwargs={"c": "red", "ls": "-."},
        surrogate_kwargs={"marker": "^"},
        capacity_kwargs={"color": "green"},
    )
    assert display.line_.get_color() == "red"
    assert display.line_.get_linestyle() == "-."
    assert display.surrogate_line_.get_color() == "red"  # follows the QE curve by default
    assert display.surrogate_line_.get_marker() == "^"
    assert display.capacity_line_.get_color() == "green"
    fitted = EntanglementDisplay.from_estimator(
        meter, kind="block_size", fit_kwargs={"linestyle": ":"}
    )
    assert fitted.fit_line_.get_linestyle() == ":"


def test_permutation_display_1d_scatter(walks):
    reorderer = EntanglementReorderer(random_state=0).fit(walks)
    display = PermutationDisplay.from_estimator(reorderer)

    n_features = walks.shape[1]
    offsets = display.scatter_.get_offsets()
    np.testing.assert_array_equal(offsets[:, 0], np.arange(n_features))
    np.testing.assert_array_equal(offsets[:, 1], np.argsort(reorderer.permutation_))
    # The original feature at each position is where the scatter puts it.
    positions = offsets[:, 1].astype(int)
    np.testing.assert_array_equal(reorderer.permutation_[positions], np.arange(n_features))
    assert display.image_ is None and display.colorbar_ is None
    assert display.ax_.get_xlabel() == "original feature index"


def test_permutation_display_1d_counts_kept_neighbours():
    identity = PermutationDisplay.from_permutation(np.arange(10))
    assert (identity.kept_neighbours, identity.neighbour_pairs) == (9, 9)
    assert "9 of 9 neighbours" in identity.ax_.get_title()
    alternating = PermutationDisplay.from_permutation(np.array([0, 2, 4, 1, 3]))
    assert (alternating.kept_neighbours, alternating.neighbour_pairs) == (0, 4)
    assert "0 of 4 neighbours" in alternating.ax_.get_title()
    # plot only draws: a display built without counts shows none.
    assert "neighbours" not in PermutationDisplay(permutation=np.arange(10)).plot().ax_.get_title()


def test_permutation_display_2d_image(digits):
    X = StandardScaler().fit_transform(digits[0][:300])
    reorderer = IGTDReorderer(shape=(8, 8), max_steps=20).fit(X)
    display = PermutationDisplay.from_estimator(reorderer)

    np.testing.assert_array_equal(display.image_.get_array(), reorderer.permutation_.reshape(8, 8))
    assert display.colorbar_ is not None and display.colorbar_.mappable is display.image_
    assert display.scatter_ is None

    entanglement = EntanglementReorderer(shape=(8, 8), random_state=0).fit(X)
    display = PermutationDisplay.from_estimator(entanglement)
    np.testing.assert_array_equal(
        display.image_.get_array(), entanglement.permutation_.reshape(8, 8)
    )


def test_permutation_display_2d_counts_kept_neighbours():
    identity = PermutationDisplay.from_permutation(np.arange(12), shape=(3, 4))
    # 3 rows x 3 horizontal pairs + 2 x 4 vertical pairs, all kept.
    assert (identity.kept_neighbours, identity.neighbour_pairs) == (17, 17)
    assert "17 of 17" in identity.ax_.get_title()
    # Columns reversed: every horizontal pair still adjacent, every vertical one too.
    mirrored = PermutationDisplay.from_permutation(
        np.arange(12).reshape(3, 4)[:, ::-1].ravel(), shape=(3, 4)
    )
    assert (mirrored.kept_neighbours, mirrored.neighbour_pairs) == (17, 17)
    shuffled = PermutationDisplay.from_permutation(
        [0, 5, 10, 3, 8, 1, 6, 11, 4, 9, 2, 7], shape=(3, 4)
    )
    assert shuffled.kept_neighbours < 17


def test_permutation_display_rejects_bad_input():
    with pytest.raises(ValueError, match="exactly once"):
        PermutationDisplay(permutation=np.array([0, 0, 1])).plot()
    with pytest.raises(ValueError, match="describes 6 features, but the data has 8"):
        PermutationDisplay.from_permutation(np.arange(8), shape=(2, 3))
    # These drew nothing sensible or crashed deep in numpy.
    with pytest.raises(ValueError, match="shape must be a pair .* of ints of at least 1"):
        PermutationDisplay(permutation=np.arange(4), shape=(-2, -2)).plot()
    with pytest.raises(TypeError, match=r"shape must be a pair .* got \(2.0, 2.0\)"):
        PermutationDisplay(permutation=np.arange(4), shape=(2.0, 2.0)).plot()
    with pytest.raises(ValueError, match=r"shape must be a pair \(H, W\)"):
        PermutationDisplay(permutation=np.arange(4), shape=(4,)).plot()


@pytest.mark.parametrize(
    "widths, error", [([0], ValueError), ([-1], ValueError), ([2.5], TypeError)]
)
def test_width_lines_need_widths_of_at_least_one(widths, error):
    """widths=[0] and [-1] drew lines at ln 0 = -inf and ln -1 = NaN."""
    display = EntanglementDisplay(levels=[1, 2], entanglement=[0.5, 0.2])
    with pytest.raises(error, match="each width must be"):
        display.plot(widths=widths)


def test_from_estimator_draws_the_fitted_layout():
    """The meter's shape parameter, changed after fit, measured nothing: shape_ did."""
    X = np.random.default_rng(0).standard_normal((40, 16))
    meter = EntanglementMeter(shape=(4, 4), levels=2, baseline=False).fit(X)
    expected = EntanglementDisplay.from_estimator(meter, kind="block_size").line_.get_xdata()
    meter.set_params(shape=None)
    display = EntanglementDisplay.from_estimator(meter, kind="block_size")
    np.testing.assert_array_equal(display.line_.get_xdata(), expected)


def test_unfitted_estimators_raise():
    with pytest.raises(NotFittedError):
        EntanglementDisplay.from_estimator(EntanglementMeter())
    with pytest.raises(NotFittedError):
        PermutationDisplay.from_estimator(EntanglementReorderer())
    with pytest.raises(NotFittedError):
        PermutationDisplay.from_estimator(IGTDReorderer(shape=(8, 8)))


def test_import_does_not_import_matplotlib():
    code = (
        "import sys, sklearn_qe, sklearn_qe._display; "
        "assert 'matplotlib' not in sys.modules, 'matplotlib'; "
        "assert 'torch' not in sys.modules, 'torch'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_capacity_line_holds_the_network_capacity_per_level(meter):
    widths = [2, 4, 8, 8]  # the 4 levels of the tree over 16 features; the meter has 3
    display = EntanglementDisplay.from_estimator(meter, network_widths=widths, label="walk")

    capacity = entanglement_capacity(widths, 16)
    line = display.capacity_line_
    np.testing.assert_array_equal(line.get_xdata(), meter.levels_)
    np.testing.assert_allclose(line.get_ydata(), capacity[meter.levels_ - 1])
    assert line.get_drawstyle() == "steps-mid"
    assert line.axes is display.ax_
    assert display.ax_.get_ylim()[1] >= capacity[: len(meter.levels_)].max()
    legend_labels = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert legend_labels == ["walk", "network capacity", "SE (dashed, right axis)"]

    same = EntanglementDisplay.from_estimator(meter, ax=display.ax_, network_widths=widths)
    assert same.capacity_line_ is line
    bare = EntanglementDisplay.from_estimator(meter)
    assert bare.capacity_line_ is None


def test_capacity_is_given_per_tree_level(meter):
    display = EntanglementDisplay(
        levels=[2, 3], entanglement=meter.entanglement_[1:], capacity=[5.0, 4.0, 3.0, 2.0]
    ).plot()
    np.testing.assert_array_equal(display.capacity_line_.get_ydata(), [4.0, 3.0])
    short = EntanglementDisplay(
        levels=[2, 3], entanglement=meter.entanglement_[1:], capacity=[5.0, 4.0]
    )
    with pytest.raises(ValueError, match="capacity must hold one value per level 1..3"):
        short.plot()


def test_block_size_kind_plots_qe_against_block_size_on_log_axes(meter):
    display = EntanglementDisplay.from_estimator(meter, kind="block_size", label="walk")

    sizes, _ = mean_block_geometry(canonical_tree(16), meter.levels_)
    np.testing.assert_allclose(display.line_.get_xdata(), sizes)
    np.testing.assert_allclose(display.line_.get_ydata(), meter.entanglement_)
    assert display.ax_.get_xscale() == display.ax_.get_yscale() == "log"
    assert display.ax_.get_xlabel() == "mean block size (features)"
    assert display.surrogate_ax_ is None
    slope, intercept = np.polyfit(np.log(sizes), np.log(meter.entanglement_), 1)
    assert display.size_exponent_ == pytest.approx(slope)
    np.testing.assert_allclose(
        display.fit_line_.get_ydata(), np.exp(intercept) * display.fit_line_.get_xdata() ** slope
    )
    assert display.line_.get_label() == f"walk (QE ~ size^{slope:.2f})"


def test_block_size_kind_leaves_out_levels_without_qe():
    sizes, qe = np.array([8.0, 4.0, 2.0]), np.array([0.8, 0.4, 0.0])
    display = EntanglementDisplay(
        levels=[1, 2, 3],
        entanglement=qe,
        block_sizes=sizes,
        area_law=area_law_fit(sizes, sizes, qe),
    ).plot(kind="block_size")
    assert display.size_exponent_ == pytest.approx(1.0)
    np.testing.assert_allclose(display.fit_line_.get_xdata(), [4.0, 8.0])

    sizes, qe = sizes[:2], np.array([0.5, 0.0])
    single = EntanglementDisplay(
        levels=[1, 2], entanglement=qe, block_sizes=sizes, area_law=area_law_fit(sizes, sizes, qe)
    ).plot(kind="block_size")
    assert np.isnan(single.size_exponent_) and single.fit_line_ is None
    assert single.line_.get_label() == "QE"
    # Without a fitted power law the points are drawn alone.
    bare = EntanglementDisplay(levels=[1, 2], entanglement=qe, block_sizes=sizes).plot(
        kind="block_size"
    )
    assert bare.size_exponent_ is None and bare.fit_line_ is None


def test_kind_is_checked(meter):
    with pytest.raises(ValueError, match="'kind' parameter of EntanglementDisplay.plot must be"):
        EntanglementDisplay.from_estimator(meter, kind="levels")
    display = EntanglementDisplay(levels=meter.levels_, entanglement=meter.entanglement_)
    with pytest.raises(ValueError, match="needs the block_sizes"):
        display.plot(kind="block_size")


def test_permutation_display_draws_the_fitted_layout():
    """The reorderer's shape parameter, changed after fit, learned nothing: shape_ did."""
    X = np.random.default_rng(0).standard_normal((40, 16))
    reorderer = EntanglementReorderer(shape=(4, 4)).fit(X)
    reorderer.set_params(shape=(2, 8))
    display = PermutationDisplay.from_estimator(reorderer)
    assert display.image_.get_array().shape == (4, 4)
