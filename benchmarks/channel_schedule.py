"""Levine et al.'s experiment: wide-base against wide-tip CNNs on local and global digits.

scikit-learn's 8x8 digits on a blank ``--size`` x ``--size`` canvas (32 by default):
"local", the digit as it is at a random position (seeded per image), and "global", the digit
enlarged (bilinear) to fill the canvas. A residual 2-D CNN (ResCNN2d, 3x3 kernels, a stem
and 5 residual blocks each followed by 2x2 max-pooling: six stages, as Levine et al.'s six
layers) is trained with three channel schedules of (nearly) the same parameter count
``--budget``: wide-base ``[4r, 4r, 2r, 2r, r, r]``, wide-tip ``[r, r, 2r, 2r, 4r, 4r]`` and
the one ``channel_schedule`` derives from the meter's per-level QE of the training split
(standardized pixels, the meter's defaults unless ``--max-samples``). Every schedule is brought to the budget by
``channel_schedule`` itself. Training: at most ``--max-epochs`` epochs, early stopping after
``--patience`` epochs without a better loss on a validation split carved from the training
split, the best epoch's weights kept; nothing is selected on the test split.

The rule "picks" wide-tip when its schedule ends wider than it starts, wide-base when it
starts wider. Printed: the QE per level of both tasks, then test accuracy (mean +- std over
seeds), training accuracy (the theorem is about fitting), epochs and seconds per run, per task
and schedule, the winner and the rule's pick; the plot goes to
``docs/images/channel_schedule.png``.

Run: ``python benchmarks/channel_schedule.py`` (3 seeds; about 30 minutes on 2 cores with
``--n-jobs 2``), ``--quick`` for a smoke run (one seed, two epochs: its numbers mean nothing).
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from benchmark_data import load_digits_canvas
from joblib import Parallel, delayed
from sklearn.preprocessing import StandardScaler

from sklearn_qe import EntanglementMeter

DEFAULT_IMAGE = Path(__file__).resolve().parents[1] / "docs" / "images" / "channel_schedule.png"
N_BLOCKS, KERNEL_SIZE = 5, 3
SHAPES = {"wide-base": [4, 4, 2, 2, 1, 1], "wide-tip": [1, 1, 2, 2, 4, 4]}


def load(task, seed, size):
    return load_digits_canvas(seed=seed, size=size, digit_size=8 if task == "local" else size)


def measure_and_schedule(task, seed, size, budget, max_samples):
    """The meter of the training split and the three schedules at the budget."""
    from sklearn_qe.nets import channel_schedule

    data = load(task, seed, size)
    X = StandardScaler().fit_transform(data.X_train)
    meter = EntanglementMeter(shape=data.shape, max_samples=max_samples, random_state=seed)
    meter.fit(X, data.y_train)
    options = dict(n_blocks=N_BLOCKS, kernel_size=KERNEL_SIZE, n_outputs=10)
    schedules = {  # min_channels=1 keeps the 1:2:4 proportions at small budgets
        name: channel_schedule(shape, budget, shape=data.shape, min_channels=1, **options)
        for name, shape in SHAPES.items()
    }
    schedules["rule"] = channel_schedule(meter, budget, n_blocks=N_BLOCKS, kernel_size=KERNEL_SIZE)
    return meter, schedules


def train(task, seed, size, channels, max_epochs, patience):
    """Test and training accuracy (%), parameter count, training time and epochs of one network."""
    import torch

    from sklearn_qe.nets import LocalCNNClassifier, ResCNN2d

    torch.set_num_threads(1)  # one core per job: jobs run side by side
    data = load(task, seed, size)
    net = LocalCNNClassifier(
        module=ResCNN2d,
        module__shape=data.shape,
        module__channels=channels,
        module__n_blocks=N_BLOCKS,
        module__kernel_size=KERNEL_SIZE,
        max_epochs=max_epochs,
        patience=patience,
        random_state=seed,
    )
    start = time.perf_counter()
    net.fit(data.X_train.astype(np.float32), data.y_train)
    seconds = time.perf_counter() - start
    n_parameters = sum(p.numel() for p in net.module_.parameters())
    accuracy = 100 * net.score(data.X_test.astype(np.float32), data.y_test)
    train_accuracy = 100 * net.score(data.X_train.astype(np.float32), data.y_train)
    return accuracy, train_accuracy, n_parameters, seconds, len(net.history)


def pick(channels):
    if channels[-1] == channels[0]:
        return "flat"
    return "wide-tip" if channels[-1] > channels[0] else "wide-base"


def plot(path, tasks, levels, qe, random_qe, accuracy, names):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for task, color in zip(tasks, ("C0", "C1")):
        left.plot(levels, qe[task], "o-", color=color, label=f"{task}")
        left.plot(levels, random_qe[task], "o:", color=color, alpha=0.6, label=f"{task}, random order")
    left.set(xlabel="level (1 = quadrants; deeper = smaller blocks)", ylabel="mean QE (nats)")
    left.set_xticks(levels)
    left.set_title("Entanglement per level of the training split")
    left.legend(fontsize=8)
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        means = [np.mean(accuracy[task][name]) for task in tasks]
        stds = [np.std(accuracy[task][name]) for task in tasks]
        right.bar(np.arange(len(tasks)) + (i - (len(names) - 1) / 2) * width, means, width,
                  yerr=stds, capsize=3, label=name)
    right.set_xticks(np.arange(len(tasks)), tasks)
    right.set(ylabel="test accuracy (%)", ylim=(0, 100))
    right.set_title("CNN schedules at equal parameter count")
    right.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", choices=["local", "global"], default=["local", "global"])
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--budget", type=int, default=40_000)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--max-epochs", type=int, default=40)
    parser.add_argument("--patience", type=int, default=10)
    parser.add_argument("--max-samples", type=int, default=None, help="of the meter (default: its own)")
    parser.add_argument("--n-jobs", type=int, default=1, help="networks trained side by side")
    parser.add_argument("--image", type=Path, default=DEFAULT_IMAGE)
    parser.add_argument("--quick", action="store_true", help="one seed, two epochs")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.max_epochs, args.patience, args.max_samples = 1, 2, 2, 100

    print(f"digits on a {args.size}x{args.size} canvas; ResCNN2d, {N_BLOCKS} blocks, "
          f"{KERNEL_SIZE}x{KERNEL_SIZE} kernels, budget {args.budget:,} parameters, "
          f"<= {args.max_epochs} epochs (patience {args.patience}), {args.seeds} seeds")
    runs = [(task, seed) for task in args.tasks for seed in range(args.seeds)]
    measured = Parallel(n_jobs=args.n_jobs)(
        delayed(measure_and_schedule)(task, seed, args.size, args.budget, args.max_samples)
        for task, seed in runs
    )
    names = [*SHAPES, "rule"]
    jobs = [(task, seed, schedules[name], name)
            for (task, seed), (_, schedules) in zip(runs, measured) for name in names]
    results = Parallel(n_jobs=args.n_jobs)(
        delayed(train)(task, seed, args.size, channels, args.max_epochs, args.patience)
        for task, seed, channels, _ in jobs
    )

    meters = {task: [m for (t, _), (m, _) in zip(runs, measured) if t == task] for task in args.tasks}
    levels = meters[args.tasks[0]][0].levels_
    qe = {task: np.mean([m.entanglement_ for m in meters[task]], axis=0) for task in args.tasks}
    random_qe = {task: np.mean([m.random_order_entanglement_ for m in meters[task]], axis=0)
                 for task in args.tasks}
    print("\nMean QE per level (nats; 1 = quadrants), training split, mean over seeds:")
    print(f"{'task':<8} " + " ".join(f"{f'level {l}':>8}" for l in levels) + "  widths (seed 0)")
    for task in args.tasks:
        print(f"{task:<8} " + " ".join(f"{v:>8.3f}" for v in qe[task])
              + f"  {meters[task][0].level_widths_.tolist()}")
        print(f"{'  random':<8} " + " ".join(f"{v:>8.3f}" for v in random_qe[task]))

    accuracy = {task: {name: [] for name in names} for task in args.tasks}
    print(f"\n{'task':<7} {'schedule':<10} {'channels (seed 0)':<28} {'params':>7} "
          f"{'test acc (%)':>14} {'train acc':>10} {'epochs':>7} {'s/run':>6}")
    table = {}
    for (task, seed, channels, name), result in zip(jobs, results):
        accuracy[task][name].append(result[0])
        table.setdefault((task, name), []).append((channels, *result))
    for (task, name), rows in table.items():
        channels, _, _, n_parameters, _, _ = rows[0]
        acc = np.array([row[1] for row in rows])
        print(f"{task:<7} {name:<10} {str(channels):<28} {n_parameters:>7,} "
              f"{acc.mean():>8.1f} +- {acc.std():>3.1f} {np.mean([r[2] for r in rows]):>10.1f} "
              f"{np.mean([r[5] for r in rows]):>7.1f} {np.mean([r[4] for r in rows]):>6.0f}")
    print()
    for task in args.tasks:
        means = {name: np.mean(accuracy[task][name]) for name in SHAPES}
        winner = max(means, key=means.get)
        picks = [pick(schedules["rule"]) for (t, _), (_, schedules) in zip(runs, measured) if t == task]
        print(f"{task}: winner {winner} ({means[winner]:.1f}% vs "
              f"{min(means.values()):.1f}%), the rule picks {', '.join(sorted(set(picks)))}; "
              f"the rule's own schedule {np.mean(accuracy[task]['rule']):.1f}%")
    plot(args.image, args.tasks, levels, qe, random_qe, accuracy, names)
    print(f"\nplot: {args.image}")


if __name__ == "__main__":
    sys.exit(main())
