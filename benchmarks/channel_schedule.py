"""Levine et al.'s experiment: wide-base against wide-tip networks on local and global tasks.

2-D (``--layout 2d``): scikit-learn's 8x8 digits at a random position of a blank ``--size``
canvas (64x64 as in the paper): "local", the digit 8x8; "global", the digit enlarged to half
the canvas (32x32 on 64x64, as in the paper). 1-D (``--layout 1d``): a class's shape (bump,
sine, square, ramp) at a random place of a 256-step series with noise: "local", a 16-step
motif; "global", a 128-step one.

Networks, each at three parameter budgets with a wide-base and a wide-tip schedule of the
same count:

- ``pointwise``: Levine et al.'s network (``PointwiseCNN2d``/``1d``): a 3x3 (5 in 1-D)
  convolution of 10 channels, then six 1x1 convolution -> ReLU -> 2x max-pooling stages of
  ``[4r, 4r, 2r, 2r, r, r]`` (wide-base) or ``[r, r, 2r, 2r, 4r, 4r]`` (wide-tip) channels,
  ``r`` from ``--pointwise-r``: their two schedules have exactly the same count.
- ``tensor``: the tree tensor network (``TreeTensorNet``), ranks per level of the canonical
  tree in the proportions ``1, 1, 2, 2, 4, 4, ...`` toward the fine levels (wide-base) or the
  coarse ones (wide-tip), each brought to the budget by ``rank_schedule``.
- ``residual``: the library's ``ResCNN2d``/``1d`` (stem and 5 residual blocks of 3x3 / 5
  kernels), ``[4, 4, 2, 2, 1, 1]`` against ``[1, 1, 2, 2, 4, 4]`` brought to the budget by
  ``channel_schedule``; on a 32x32 canvas (16x16 digit for the global task) in 2-D, where
  its full-resolution 3x3 convolutions cost too much on 64x64 on 2 cores.

The rule (``channel_schedule`` / ``rank_schedule`` on the meter of the seed-0 training
split, standardized) picks wide-base when its schedule starts wider than it ends, wide-tip
when it ends wider. CNNs see the raw series and pixels (the canvas is translation-invariant,
per-pixel scaling is not); the tensor network, whose nodes share nothing, standardized ones.
Training: at most ``--max-epochs`` epochs, early stopping after ``--patience`` epochs without
a better validation loss on a split carved from the training split, the best epoch kept;
nothing is selected on the test split. Printed: QE and its share of the random order's per
level, then per task, network and budget the test accuracy of each schedule (mean and
standard error over seeds), training accuracy, the difference and the rule's pick.
``--train-rule`` also trains the rule's own schedule and even widths (the same at every
stage or level) of the same budget, and compares the rule's with the better of the pair and
with even widths; ``--schedules`` trains only those named (the same seeds give the same
networks, so a schedule can be added to an earlier run).

Run: ``python benchmarks/channel_schedule.py --layout 2d`` and ``--layout 1d`` (3 seeds;
``--n-jobs 2`` trains two networks side by side), ``--quick`` for a smoke run (one seed,
one budget, two epochs: its numbers mean nothing). The paper's canvas: ``--size 64 --networks
pointwise --copies 4 --batch-size 32 --pointwise-lr 3e-3`` (each digit at four places, so
that the networks see 5,748 training images; at one place, batches of 64 and lr 1e-2 they
stop far from fitting the training split).
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from benchmark_data import load_digits_canvas, make_motif_series
from joblib import Parallel, delayed
from sklearn.preprocessing import StandardScaler

from sklearn_qe import EntanglementMeter

IMAGES = Path(__file__).resolve().parents[1] / "docs" / "images"
SCHEDULES = ("wide-base", "wide-tip")
ALL_SCHEDULES = (*SCHEDULES, "rule", "even")
N_STAGES = 6  # Levine et al.'s six 1x1 stages; the residual CNN's stem and 5 blocks
# Pointwise: Levine et al.'s r; tensor: multiples of the smallest network (every rank 2);
# residual: parameters.
BUDGETS = {"pointwise": (4, 8, 16), "tensor": (2, 8, 32), "residual": (5_000, 20_000, 80_000)}


def load(layout, task, seed, size, copies=1):
    if layout == "1d":
        return make_motif_series(seed, motif_length=16 if task == "local" else 128)
    return load_digits_canvas(seed, size, 8 if task == "local" else size // 2, copies=copies)


def _proportions(n, wide_base):
    """``1, 1, 2, 2, 4, 4, ...`` over ``n`` widths, fine scales first for a wide base."""
    widths = [2.0 ** min(2, k // 2) for k in range(n)]
    return widths[::-1] if wide_base else widths


def schedules(layout, network, budget, n_features, shape, n_classes, meter):
    """The wide-base, wide-tip, rule's and even widths for ``module__channels`` or
    ``module__rank``; even: the same width at every stage (rank at every level), the
    simplest alternative to the rule."""
    from sklearn_qe.nets import PointwiseCNN1d, PointwiseCNN2d, channel_schedule, rank_schedule

    if network == "pointwise":
        r = budget
        wide = {
            "wide-base": [10, 4 * r, 4 * r, 2 * r, 2 * r, r, r],
            "wide-tip": [10, r, r, 2 * r, 2 * r, 4 * r, 4 * r],
        }
        module = PointwiseCNN1d if layout == "1d" else PointwiseCNN2d
        count = n_parameters(network, layout, wide["wide-base"], n_features, shape, n_classes)
        fit = dict(module=module, n_blocks=N_STAGES, min_channels=1)
        wide["rule"] = channel_schedule(meter, count, **fit)
        wide["even"] = channel_schedule(
            [1] * (N_STAGES + 1), count, shape=shape, n_outputs=n_classes, **fit
        )
        return wide
    if network == "tensor":
        n_levels = len(meter.levels_)
        budget *= n_parameters(network, layout, [2] * n_levels, n_features, shape, n_classes)
        out = {
            name: rank_schedule(
                _proportions(n_levels, name == "wide-tip"),
                budget,
                n_features=n_features,
                shape=shape,
                n_outputs=n_classes,
            )
            for name in SCHEDULES
        }  # levels run coarse to fine: a wide tip is wide at level 1
        out["rule"] = rank_schedule(meter, budget)
        out["even"] = rank_schedule(
            [1] * n_levels, budget, n_features=n_features, shape=shape, n_outputs=n_classes
        )
        return out
    out = {
        name: channel_schedule(
            _proportions(N_STAGES, name == "wide-base"),
            budget,
            shape=shape,
            n_outputs=n_classes,
            min_channels=1,
        )
        for name in SCHEDULES
    }
    out["rule"] = channel_schedule(meter, budget, n_blocks=N_STAGES - 1, min_channels=1)
    out["even"] = channel_schedule(
        [1] * N_STAGES, budget, shape=shape, n_outputs=n_classes, min_channels=1
    )
    return out


def make_net(network, layout, widths, shape, seed, training):
    from sklearn_qe.nets import (
        LocalCNNClassifier,
        PointwiseCNN1d,
        PointwiseCNN2d,
        ResCNN1d,
        ResCNN2d,
        TensorNetworkClassifier,
    )

    training = dict(training)
    pointwise_lr = training.pop("pointwise_lr", 1e-2)
    fit = dict(training, random_state=seed)
    image = {} if layout == "1d" else {"module__shape": shape}
    if network == "tensor":
        return TensorNetworkClassifier(module__rank=widths, **image, **fit)
    if network == "pointwise":
        module = PointwiseCNN1d if layout == "1d" else PointwiseCNN2d
        # lr 1e-2 by default: without normalisation these small networks learn too slowly
        # at 1e-3 in 20 epochs of 1,437 images.
        return LocalCNNClassifier(
            module=module,
            module__channels=widths,
            module__n_blocks=N_STAGES,
            module__dropout=0.0,
            lr=pointwise_lr,  # their network: no dropout
            **image,
            **fit,
        )
    module = ResCNN1d if layout == "1d" else ResCNN2d
    kernel = {"module__kernel_size": 3} if layout == "2d" else {}
    return LocalCNNClassifier(
        module=module,
        module__channels=widths,
        module__n_blocks=N_STAGES - 1,
        **kernel,
        **image,
        **fit,
    )


def n_parameters(network, layout, widths, n_features, shape, n_classes):
    import torch

    net = make_net(network, layout, widths, shape, 0, {})
    with torch.device("meta"):
        module = net.module(n_features, n_classes, **net.get_params_for("module"))
    return sum(p.numel() for p in module.parameters())


def measure(layout, task, size, copies):
    data = load(layout, task, 0, size, copies)
    print(f"measuring {data.name}", flush=True)
    X = StandardScaler().fit_transform(data.X_train)
    return EntanglementMeter(shape=data.shape, shifted=False, random_state=0).fit(X, data.y_train)


def train(layout, task, network, seed, size, copies, widths, training):
    """Test and training accuracy (%), seconds and epochs of one network."""
    import torch

    torch.set_num_threads(1)  # one core per job: jobs run side by side
    data = load(layout, task, seed, size, copies)
    X_train, X_test = data.X_train, data.X_test
    if network == "tensor":
        scaler = StandardScaler().fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    X_train, X_test = X_train.astype(np.float32), X_test.astype(np.float32)
    net = make_net(network, layout, widths, data.shape, seed, training)
    start = time.perf_counter()
    net.fit(X_train, data.y_train)
    seconds = time.perf_counter() - start
    return (
        100 * net.score(X_test, data.y_test),
        100 * net.score(X_train, data.y_train),
        seconds,
        len(net.history),
    )


def pick(network, widths):
    """The schedule the widths lean to; ranks run coarse to fine, and the tensor network's
    finest level (single features) is held at 2 whatever the rule says."""
    if network == "tensor":
        widths = widths[:-1][::-1]
    if widths[-1] == widths[0]:
        return "flat"
    return "wide-tip" if widths[-1] > widths[0] else "wide-base"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layout", choices=["2d", "1d"], default="2d")
    parser.add_argument("--networks", nargs="+", choices=list(BUDGETS), default=list(BUDGETS))
    parser.add_argument(
        "--tasks", nargs="+", choices=["local", "global"], default=["local", "global"]
    )
    parser.add_argument("--size", type=int, default=32, help="of the canvas (the paper's: 64)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--max-epochs", type=int, default=20)
    parser.add_argument("--patience", type=int, default=5)
    parser.add_argument(
        "--copies", type=int, default=1, help="2-D: places of each digit, drawn independently"
    )
    parser.add_argument(
        "--batch-size", type=int, default=None, help="default: the estimators' (64)"
    )
    parser.add_argument("--pointwise-lr", type=float, default=1e-2)
    parser.add_argument("--n-jobs", type=int, default=1, help="networks trained side by side")
    parser.add_argument(
        "--train-rule",
        action="store_true",
        help="also train the rule's own schedule, and an even one of the same count",
    )
    parser.add_argument(
        "--schedules",
        nargs="+",
        choices=ALL_SCHEDULES,
        default=None,
        help="train only these (default: wide-base and wide-tip, and with --train-rule the "
        "rule's and even); the comparisons print where their schedules were trained",
    )
    parser.add_argument(
        "--image",
        type=Path,
        default=None,
        help="where the plot goes (default: docs/images/channel_schedule_<layout>.png)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="one seed, the smallest budget, two epochs"
    )
    args = parser.parse_args(argv)
    budgets = {
        network: BUDGETS[network][:1] if args.quick else BUDGETS[network]
        for network in args.networks
    }
    if args.quick:
        args.seeds, args.max_epochs, args.patience = 1, 2, 2

    training = dict(
        max_epochs=args.max_epochs, patience=args.patience, pointwise_lr=args.pointwise_lr
    )
    if args.batch_size is not None:
        training["batch_size"] = args.batch_size
    cases = [(task, network) for task in args.tasks for network in args.networks]
    # One meter per dataset: the pointwise CNN and the tensor network see the same one.
    datasets = {case: load(args.layout, case[0], 0, args.size).name for case in cases}
    first = {name: case for case, name in reversed(datasets.items())}
    measured = dict(
        zip(
            first,
            Parallel(n_jobs=args.n_jobs)(
                delayed(measure)(args.layout, task, args.size, args.copies)
                for task, _ in first.values()
            ),
        )
    )
    meters = {case: measured[datasets[case]] for case in cases}
    print(
        f"Levine et al.'s experiment, {args.layout}; <= {args.max_epochs} epochs (patience "
        f"{args.patience}), batch {args.batch_size or 'default'}, pointwise lr "
        f"{args.pointwise_lr}, {args.copies} place(s) per digit, {args.seeds} seeds; QE of the "
        "seed-0 training split, standardized"
    )
    for (task, network), meter in meters.items():
        share = meter.entanglement_ / meter.random_order_entanglement_
        qe, share = np.round(meter.entanglement_, 3).tolist(), np.round(share, 2).tolist()
        print(
            f"{task:<7} {network:<10} QE per level (1 = coarsest) {qe}  "
            f"share of random order {share}"
        )

    names = args.schedules or list(ALL_SCHEDULES if args.train_rule else SCHEDULES)
    jobs, widths_of = [], {}
    for task, network in cases:
        meter = meters[(task, network)]
        data = load(args.layout, task, 0, args.size, args.copies)
        n_classes = len(np.unique(data.y_train))
        for budget in budgets[network]:
            widths = schedules(
                args.layout, network, budget, data.X_train.shape[1], data.shape, n_classes, meter
            )
            for name in ALL_SCHEDULES:
                count = n_parameters(
                    network, args.layout, widths[name], data.X_train.shape[1], data.shape, n_classes
                )
                widths_of[(task, network, budget, name)] = (widths[name], count)
            jobs += [
                (task, network, budget, name, seed) for name in names for seed in range(args.seeds)
            ]
    results = Parallel(n_jobs=args.n_jobs)(
        delayed(train)(
            args.layout,
            task,
            network,
            seed,
            args.size,
            args.copies,
            widths_of[(task, network, budget, name)][0],
            training,
        )
        for task, network, budget, name, seed in jobs
    )
    runs = {}
    for (task, network, budget, name, _), result in zip(jobs, results):
        runs.setdefault((task, network, budget, name), []).append(result)

    print(
        f"\n{'task':<7} {'network':<10} {'budget':>7} {'schedule':<10} {'widths':<34} "
        f"{'params':>8} {'test %':>13} {'train %':>8} {'s/run':>6}"
    )
    for (task, network, budget, name), rows in runs.items():
        widths, count = widths_of[(task, network, budget, name)]
        test = np.array([row[0] for row in rows])
        print(
            f"{task:<7} {network:<10} {budget:>7} {name:<10} {str(widths):<34} {count:>8,} "
            f"{test.mean():>6.1f} +- {_stderr(test):>3.1f} {np.mean([r[1] for r in rows]):>8.1f} "
            f"{np.mean([r[2] for r in rows]):>6.0f}"
        )
    differences = {}
    if set(SCHEDULES) <= set(names):
        print(
            f"\n{'task':<7} {'network':<10} {'budget':>7} {'base - tip (points)':>20}  "
            f"{'winner':<10} {'rule picks':<10} {'rule widths'}"
        )
        for task, network in cases:
            for budget in budgets[network]:
                base = np.array([row[0] for row in runs[(task, network, budget, "wide-base")]])
                tip = np.array([row[0] for row in runs[(task, network, budget, "wide-tip")]])
                difference, error = _difference(base, tip)
                differences[(task, network, budget)] = (difference, error)
                winner = (
                    "none"
                    if abs(difference) <= 2 * error
                    else ("wide-base" if difference > 0 else "wide-tip")
                )
                rule = widths_of[(task, network, budget, "rule")][0]
                print(
                    f"{task:<7} {network:<10} {budget:>7} {difference:>+12.1f} +- {error:>4.1f}  "
                    f"{winner:<10} {pick(network, rule):<10} {rule}"
                )
    if set(names) == set(ALL_SCHEDULES):
        # What a user gets: the rule's own widths, trained, against the better fixed schedule
        # and against even widths of the same count.
        print(
            f"\n{'task':<7} {'network':<10} {'budget':>7} {'rule %':>6} {'better':<10} "
            f"{'its %':>6} {'rule - better':>14}  {'verdict':<8} {'even %':>6} "
            f"{'rule - even':>14}  verdict"
        )
        for task, network in cases:
            for budget in budgets[network]:
                test = {
                    name: np.array([row[0] for row in runs[(task, network, budget, name)]])
                    for name in names
                }
                better = max(SCHEDULES, key=lambda name: test[name].mean())
                columns = []
                for other in (better, "even"):
                    difference, error = _difference(test["rule"], test[other])
                    verdict = (
                        "matches"
                        if abs(difference) <= 2 * error
                        else ("better" if difference > 0 else "worse")
                    )
                    columns.append(
                        f"{test[other].mean():>6.1f} {difference:>+6.1f} +- {error:>4.1f}  "
                        f"{verdict:<8}"
                    )
                print(
                    f"{task:<7} {network:<10} {budget:>7} {test['rule'].mean():>6.1f} "
                    f"{better:<10} {columns[0]} {columns[1]}"
                )
    image = args.image or IMAGES / f"channel_schedule_{args.layout}.png"
    if differences:
        plot(image, args.tasks, meters, cases, budgets, differences)
        print(f"\nplot: {image}")


def plot(path, tasks, meters, cases, budgets, differences):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for task, color in zip(tasks, ("C0", "C1")):
        meter = next(meters[case] for case in cases if case[0] == task)
        share = meter.entanglement_ / meter.random_order_entanglement_
        left.plot(meter.levels_, share, "o-", color=color, label=task)
    left.set(
        xlabel="level (1 = coarsest blocks)",
        ylabel="QE / QE of the random order",
        title="Share of the entanglement the order leaves",
    )
    left.legend()
    labels, x = [], 0
    for task, color in zip(tasks, ("C0", "C1")):
        for network in dict.fromkeys(network for t, network in cases if t == task):
            for budget in budgets[network]:
                difference, error = differences[(task, network, budget)]
                right.errorbar(x, difference, yerr=2 * error, fmt="o", color=color, capsize=3)
                labels.append(f"{network} {budget}")
                x += 1
    right.axhline(0, color="grey", lw=0.8)
    right.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=7)
    right.set(
        ylabel="wide-base - wide-tip (points, +-2 s.e.)", title="Test accuracy, equal parameters"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def _difference(first, second):
    """Difference of the means of two sets of runs, and its standard error."""
    return first.mean() - second.mean(), np.sqrt(_stderr(first) ** 2 + _stderr(second) ** 2)


def _stderr(values):
    return np.std(values, ddof=1) / np.sqrt(len(values)) if len(values) > 1 else 0.0


if __name__ == "__main__":
    sys.exit(main())
