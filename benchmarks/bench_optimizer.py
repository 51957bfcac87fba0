"""Time of one Adam step: skdropout's, scikit-learn's, PyTorch's fused kernel.

What is measured
----------------
Milliseconds per Adam update of the parameters of the networks in
``bench_training.py`` (W1: 64-256-256-10, W2: 784-1024-1024-10,
W3: 100-256-256-256-1), with the L2 term on the weights, as in training:

- ``sqrt``: ``np.sqrt`` over as many elements as there are parameters, and
  nothing else, on one thread. Every Adam step takes one square root per
  parameter, so on a CPU where the square root is slow (as in float64 on
  this one) this bounds any single-threaded implementation, compiled or
  not; split over threads, the square roots take less.
- ``skdropout``: ``AdamOptimizer.update`` on the parameters laid out in one
  vector, as the trainer calls it (cache-sized slices, no allocation), but
  reading the gradients: the trainer lets it work in them
  (``overwrite_grads``), which a step repeated on the same gradients cannot.
- ``sklearn``: scikit-learn's own (private) Adam, on one array per layer; it
  makes new arrays at every step.
- ``torch-fused`` (optional): ``torch.optim.Adam(fused=True)``, a compiled
  kernel doing the whole update in one pass, with one thread and with two.

Each step follows the previous one at once, so small networks' arrays stay
in cache; W2's 1.9M parameters (four arrays of them) do not fit. No matrix
product runs in between, so the second core is idle: in training it is not
at first (OpenBLAS's worker thread spins for a while after each product),
which is why skdropout's optimizer runs on one thread. The contenders are
interleaved in every repeat and the median is reported, as in
``bench_training.py``.

Run
---
From the repository root::

    PYTHONPATH=. python benchmarks/bench_optimizer.py --dtype float32,float64

PyTorch is optional (``pip install torch==2.13.0`` only); without it, or
with ``--no-torch``, its columns stay empty.
"""

import argparse
import statistics
import time

import numpy as np
from bench_training import (
    add_selection_arguments,
    check_selection_arguments,
    command_line,
    machine_info,
    machine_line,
    torch_version,
)
from sklearn.neural_network._stochastic_optimizers import (
    AdamOptimizer as SklearnAdam,
)

from skdropout._engine._optimizers import AdamOptimizer
from skdropout._engine._parameters import empty_like_packed, pack_parameters

SEED = 0
ALPHA = 1e-4
NETWORKS = {
    "W1": [64, 256, 256, 10],
    "W2": [784, 1024, 1024, 10],
    "W3": [100, 256, 256, 256, 1],
}
CONTENDERS = ["sqrt", "skdropout", "sklearn", "torch-fused-1", "torch-fused-2"]


def layer_shapes(units):
    """Weight shapes then intercept shapes, in skdropout's packing order."""
    coefs = [(i, o) for i, o in zip(units[:-1], units[1:])]
    return coefs, [(o,) for o in units[1:]]


def _random_parameters(units, dtype):
    rng = np.random.default_rng(SEED)
    coef_shapes, intercept_shapes = layer_shapes(units)
    params = [rng.standard_normal(s).astype(dtype) * 0.05 for s in coef_shapes]
    params += [np.zeros(s, dtype=dtype) for s in intercept_shapes]
    grads = [rng.standard_normal(p.shape).astype(dtype) * 1e-3 for p in params]
    return params, grads


def make_sqrt(units, dtype):
    params, _ = _random_parameters(units, dtype)
    values = np.abs(np.concatenate([p.ravel() for p in params]))
    out = np.empty_like(values)
    return lambda: np.sqrt(values, out=out)


def make_skdropout(units, dtype):
    params, grads = _random_parameters(units, dtype)
    flat, _ = pack_parameters(params)
    flat_grad, grad_views = empty_like_packed(params)
    for view, grad in zip(grad_views, grads):
        view[...] = grad
    n_coef = sum(p.size for p in params[: len(units) - 1])
    adam = AdamOptimizer([flat])
    return lambda: adam.update([flat], [flat_grad], l2=ALPHA, l2_sizes=[n_coef])


def make_sklearn(units, dtype):
    params, grads = _random_parameters(units, dtype)
    n_layers = len(units) - 1
    # One array per layer's weights and intercepts; scikit-learn's MLP adds
    # the L2 term to the weight gradients itself, then calls the optimizer.
    adam = SklearnAdam(params, learning_rate_init=1e-3)

    def step():
        penalised = [g + ALPHA * p for g, p in zip(grads[:n_layers], params)]
        adam.update_params(params, penalised + grads[n_layers:])

    return step


def make_torch_fused(threads):
    def make(units, dtype):
        import torch

        tdtype = torch.float64 if dtype == np.float64 else torch.float32
        params, grads = _random_parameters(units, dtype)
        n_layers = len(units) - 1
        tensors = []
        for array, grad in zip(params, grads):
            tensor = torch.nn.Parameter(torch.from_numpy(array).to(tdtype))
            tensor.grad = torch.from_numpy(grad).to(tdtype)
            tensors.append(tensor)
        adam = torch.optim.Adam(
            [
                {"params": tensors[:n_layers], "weight_decay": ALPHA},
                {"params": tensors[n_layers:], "weight_decay": 0.0},
            ],
            lr=1e-3,
            fused=True,
        )

        def step():
            # Set at every step: the other torch contender sets its own.
            torch.set_num_threads(threads)
            adam.step()

        return step

    return make


FACTORIES = {
    "sqrt": make_sqrt,
    "skdropout": make_skdropout,
    "sklearn": make_sklearn,
    "torch-fused-1": make_torch_fused(1),
    "torch-fused-2": make_torch_fused(2),
}


def time_steps(step, n_steps):
    """Mean seconds per call of ``step`` over ``n_steps`` calls, after warm-up."""
    for _ in range(3):
        step()
    start = time.perf_counter()
    for _ in range(n_steps):
        step()
    return (time.perf_counter() - start) / n_steps


def bench_network(name, dtype, contenders, repeats, n_steps):
    """Median milliseconds per step of every contender on one network."""
    units = NETWORKS[name]
    steps = {c: FACTORIES[c](units, dtype) for c in contenders}
    times = {c: [] for c in contenders}
    for _ in range(repeats):
        for contender, step in steps.items():
            times[contender].append(time_steps(step, n_steps) * 1e3)
    coef_shapes, intercept_shapes = layer_shapes(units)
    n_params = sum(int(np.prod(s)) for s in coef_shapes + intercept_shapes)
    return {
        "network": name,
        "n_parameters": n_params,
        "ms_per_step": {c: statistics.median(t) for c, t in times.items()},
    }


def _cell(value):
    return "–" if value is None else f"{value:.3g}"


def _ratio(num, den):
    return None if num is None or den is None or den == 0 else num / den


def markdown_table(results):
    header = [
        "network",
        "parameters",
        *(f"{c} (ms)" for c in CONTENDERS),
        "skdropout/sklearn",
        "skdropout/torch-fused-1",
        "sqrt/skdropout",
    ]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|",
    ]
    for res in results:
        ms = res["ms_per_step"]
        row = [
            res["network"],
            f"{res['n_parameters']:,}",
            *(_cell(ms.get(c)) for c in CONTENDERS),
            _cell(_ratio(ms.get("skdropout"), ms.get("sklearn"))),
            _cell(_ratio(ms.get("skdropout"), ms.get("torch-fused-1"))),
            _cell(_ratio(ms.get("sqrt"), ms.get("skdropout"))),
        ]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n", 1)[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_selection_arguments(parser, "--networks", "float32,float64", 7)
    parser.add_argument("--steps", type=int, default=20, help="steps per timing")
    args = parser.parse_args(argv)
    check_selection_arguments(parser, args, "networks")
    if args.steps < 1:
        parser.error("--steps must be at least 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    contenders = list(CONTENDERS)
    if args.no_torch or torch_version() is None:
        contenders = [c for c in contenders if not c.startswith("torch")]
    info = machine_info(use_torch=len(contenders) == len(CONTENDERS))
    print(f"Machine: {machine_line(info)}")
    print(f"Command: `{command_line()}`")
    print(
        f"Milliseconds per Adam step, median of {args.repeats} interleaved "
        f"repeats of {args.steps} steps."
    )
    for dtype in args.dtype:
        results = [
            bench_network(name, np.dtype(dtype), contenders, args.repeats, args.steps)
            for name in args.networks
        ]
        print(f"\n### {dtype}\n")
        print(markdown_table(results), flush=True)


if __name__ == "__main__":
    main()
