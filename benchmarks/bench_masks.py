"""Time of one dropout mask drawn from raw bits against one from uniform floats.

The engine draws Bernoulli masks from raw random words (see
``skdropout/_engine/_dropout.py``): one bit per unit at the rate 0.5,
``uint8`` variates for rates on the 1/256 grid, ``uint16`` variates for the
others. This script times ``DropoutMasks.sample`` for one (rows x units)
mask at each kind of rate, written out as floats, against the plain way,
``(rng.random((rows, units), dtype) >= rate) * (1 / (1 - rate))`` into a
preallocated buffer, in interleaved repeats in one process. Reported:
microseconds per mask (median and range) and the plain way's median over
the engine's.

Run: python benchmarks/bench_masks.py                       (seconds)
     python benchmarks/bench_masks.py --rows 200 --units 100 --dtype float32
"""

import argparse
import statistics
import time

import numpy as np
from threadpoolctl import threadpool_limits

from skdropout._engine._dropout import DropoutMasks, quantize_rate

# One rate of each kind: single bits, uint8 variates, uint16 variates.
RATES = (0.5, 0.25, 0.2)
CALLS = 200  # masks per timed repeat


def engine_sampler(rate, rows, units, dtype, seed=0):
    """A function that draws one mask the engine's way."""
    masks = DropoutMasks([rate], [units], rows, dtype, np.random.default_rng(seed))
    return lambda: masks.sample(0, rows)


def uniform_sampler(rate, rows, units, dtype, seed=0):
    """A function that draws one mask from uniform floats, into reused buffers."""
    rng = np.random.default_rng(seed)
    uniform = np.empty((rows, units), dtype=dtype)
    kept = np.empty((rows, units), dtype=bool)
    mask = np.empty((rows, units), dtype=dtype)
    scale = dtype.type(1.0 / (1.0 - rate))

    def draw():
        rng.random(out=uniform, dtype=dtype)
        np.greater_equal(uniform, rate, out=kept)
        np.multiply(kept, scale, out=mask)
        return mask

    return draw


def per_call_microseconds(draw, calls=CALLS):
    start = time.perf_counter()
    for _ in range(calls):
        draw()
    return (time.perf_counter() - start) / calls * 1e6


def measure(rows, units, dtype, repeats, rates=RATES):
    """{rate: {"engine": [...], "uniform": [...]}}, microseconds per mask."""
    samplers = {
        rate: {
            "engine": engine_sampler(rate, rows, units, dtype),
            "uniform": uniform_sampler(rate, rows, units, dtype),
        }
        for rate in rates
    }
    times = {rate: {way: [] for way in ways} for rate, ways in samplers.items()}
    for _ in range(repeats):
        for rate, ways in samplers.items():
            for way, draw in ways.items():
                times[rate][way].append(per_call_microseconds(draw))
    return times


def variate_kind(rate):
    kind, _ = quantize_rate(rate)
    if kind is None:
        return "uniform floats"
    return "1 bit" if isinstance(kind, str) else np.dtype(kind).name


def markdown_table(times):
    lines = [
        "| rate | variates | engine us (range) | uniform floats us (range) "
        "| uniform / engine |",
        "|---:|---|---:|---:|---:|",
    ]
    for rate, ways in times.items():
        engine, uniform = ways["engine"], ways["uniform"]
        ratio = statistics.median(uniform) / statistics.median(engine)
        lines.append(
            f"| {rate} | {variate_kind(rate)} "
            f"| {statistics.median(engine):.1f} ({min(engine):.1f}-{max(engine):.1f}) "
            f"| {statistics.median(uniform):.1f} "
            f"({min(uniform):.1f}-{max(uniform):.1f}) | {ratio:.2f} |"
        )
    return "\n".join(lines)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200, help="minibatch rows")
    parser.add_argument("--units", type=int, default=100, help="layer width")
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float64")
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args(argv)
    if min(args.rows, args.units, args.repeats) < 1:
        parser.error("--rows, --units and --repeats must be at least 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    dtype = np.dtype(args.dtype)
    with threadpool_limits(1):
        times = measure(args.rows, args.units, dtype, args.repeats)
    print(
        f"One {args.rows} x {args.units} {args.dtype} mask; median of "
        f"{args.repeats} interleaved repeats of {CALLS} masks, one thread."
    )
    print(markdown_table(times))


if __name__ == "__main__":
    main()
