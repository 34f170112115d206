"""Run the grid search over feature order and network width on a dask.distributed cluster.
=======================================================================================

The search is plain scikit-learn, ``GridSearchCV(..., n_jobs=-1)``; only the joblib backend
changes: inside ``joblib.parallel_config(backend="dask")`` with a ``distributed.Client``
open, its fits go to the cluster instead of local processes. Nothing here is specific to
sklearn-qe. The cluster: the one whose scheduler address is given, else a local one with
2 worker processes of 1 thread each::

    python examples/distributed_gridsearch.py                       # local cluster
    python examples/distributed_gridsearch.py tcp://10.0.0.5:8786   # existing cluster

What runs where
---------------
- Client (this script): builds the search, and at the end refits the best pipeline on all
  the training data (GridSearchCV's ``refit``), here, not on the cluster, with the
  workers' torch thread count (see the last point).
- Scheduler: receives one task per (parameter set, fold) fit (joblib may batch short fits
  into one task) and dispatches the tasks to free workers.
- Workers: each task fits a clone of the pipeline, reorderer and net, on the training folds
  and scores it on the held-out fold; only scores and timings come back.
- Data: X and y are pickled and scattered to the cluster once (joblib's dask backend turns
  arguments over 1 kB into dask futures), and each worker fetches them once; every task
  carries its own pickled clone of the pipeline with its parameter set.
- Every worker needs the client's packages: sklearn-qe, torch, skorch, same versions.
- The nanny starts the workers with ``OMP_NUM_THREADS=1``: torch computes with one thread
  per worker, so the cores are not oversubscribed. The seeded nets score exactly as a
  sequential local run does only with the same torch thread count, since float32 sums
  over a different number of threads round differently and training amplifies that.

What must be picklable
----------------------
The estimators with their parameters, the data, and any custom scorer or callback. The
reorderers and the nets pickle (an unfitted net is its module class and settings). Plain
pickle fails on a lambda, e.g. in a ``FunctionTransformer``; dask then falls back to
cloudpickle, which sends lambdas and the functions of this script by value. Functions
imported from your own modules go by reference: those modules must be importable on every
worker (install them there, or send a single file with ``client.upload_file``). Objects
that hold open files, locks or connections do not travel at all.

Budget: 5 epochs per fit, 12 fits; well under a minute on 2 cores.
"""

import argparse
import os
import time
from contextlib import nullcontext

import joblib
import numpy as np
import pandas as pd
import torch
from distributed import Client, LocalCluster, get_task_stream
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline

from sklearn_qe import EntanglementReorderer
from sklearn_qe.nets import LocalCNNClassifier


def cluster_or_address(address):
    """The scheduler address given, or a local cluster (closed on exit) when there is none."""
    if address is not None:
        return nullcontext(address)
    return LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scheduler", nargs="?", help="scheduler address, e.g. tcp://10.0.0.5:8786")
    args = parser.parse_args()

    X, y = load_digits(return_X_y=True)
    # Pixels in [0, 1], columns shuffled as if they were tabular features in arbitrary order.
    X = X[:, np.random.default_rng(0).permutation(X.shape[1])] / 16
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, random_state=0, stratify=y
    )

    # A small budget: 5 epochs, at a higher learning rate than the default to make them count.
    net = LocalCNNClassifier(max_epochs=5, lr=1e-2, random_state=0)
    pipe = Pipeline([("reorder", "passthrough"), ("net", net)])
    grid = {
        "reorder": ["passthrough", EntanglementReorderer(random_state=0)],
        "net__module__channels": [8, 16],
    }
    search = GridSearchCV(pipe, grid, cv=3, n_jobs=-1)

    with cluster_or_address(args.scheduler) as cluster, Client(cluster) as client:
        workers = client.scheduler_info()["workers"]
        torch_threads = min(client.run(torch.get_num_threads).values())
        print(
            f"cluster: {len(workers)} workers, {sum(w['nthreads'] for w in workers.values())} "
            f"threads, torch computing with {torch_threads} thread(s) per worker"
        )
        # The refit, here, with the workers' torch thread count: the final model is then
        # trained with the arithmetic that the CV scores measured, on any client machine,
        # and a client whose cores are busy is not oversubscribed.
        torch.set_num_threads(torch_threads)
        start = time.perf_counter()
        # The task stream is only for the report below; the pattern is the parallel_config.
        with get_task_stream(client) as tasks, joblib.parallel_config(backend="dask"):
            search.fit(X_train, y_train)
        elapsed = time.perf_counter() - start
        worker_pids = client.run(os.getpid)

    columns = ["param_reorder", "param_net__module__channels", "mean_test_score", "std_test_score"]
    table = pd.DataFrame(search.cv_results_)[columns + ["mean_fit_time"]]
    table["param_reorder"] = table["param_reorder"].map(
        lambda step: "none" if step == "passthrough" else type(step).__name__
    )
    table.columns = ["reorder", "channels", "cv accuracy", "std", "fit time (s)"]
    print(table.sort_values("cv accuracy", ascending=False).round(3).to_string(index=False))

    print(
        f"\n{len(table) * search.n_splits_} fits in {len(tasks.data)} tasks on the cluster, "
        f"{elapsed - search.refit_time_:.1f} s; refit on the client (pid {os.getpid()}), "
        f"{search.refit_time_:.1f} s"
    )
    for address, pid in sorted(worker_pids.items()):
        mine = [task for task in tasks.data if task["worker"] == address]
        busy = sum(
            step["stop"] - step["start"]
            for task in mine
            for step in task["startstops"]
            if step["action"] == "compute"
        )
        print(f"  worker {address} (pid {pid}): {len(mine)} tasks, {busy:.1f} s computing")
    print(f"\nbest: {search.best_params_}")
    print(f"test accuracy of the refitted best pipeline: {search.score(X_test, y_test):.3f}")


if __name__ == "__main__":  # worker processes are spawned and import this file: guard the script
    main()
