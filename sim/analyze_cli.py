"""The ``analyze`` verb: thin over :mod:`sim.sensitivity`."""

from __future__ import annotations

import functools

BOOTSTRAP_SEED_MAX = 2**32 - 1  # SALib seeds numpy's legacy generator, which takes 32 bits


def add_parsers(sub, positive_int, seed_arg) -> None:
    a = sub.add_parser(
        "analyze", help="sensitivity indices of a sweep's outputs (SALib)",
        description="Sobol designs: first-order and total indices with confidence intervals; Morris designs: "
                    "mu* and sigma; grid and Latin hypercube designs: the delta moment-independent measure "
                    "with its confidence interval and Spearman rank correlations. Every output the experiment "
                    "kept, by default; a categorical output (commitment.*, stance.*) as the probability of "
                    "each category. Printed per output and merged into DIR/sensitivity.csv (the rows of the "
                    "outputs analysed now replace their earlier rows; the others are kept).",
    )
    a.add_argument("results", metavar="DIR", help="a sweep's results directory")
    a.add_argument("--output", dest="outputs", action="append", default=[], metavar="FIELD",
                   help="an output to analyse (name or pattern, e.g. 'strike_day.*'; repeatable; "
                        "default: every output the experiment kept)")
    a.add_argument("--seed", type=functools.partial(seed_arg, maximum=BOOTSTRAP_SEED_MAX), default=0, help="seed of the bootstrap confidence intervals (default 0)")
    a.add_argument("--delta-resamples", type=positive_int, default=20, metavar="N",
                   help="bootstrap resamples of the delta measure's interval (grid and LHS designs; default 20)")
    a.set_defaults(func=cmd_analyze)


def cmd_analyze(args) -> int:
    from .sensitivity import analyze, format_table

    table, notes, path = analyze(args.results, args.outputs or None, seed=args.seed,
                                 delta_resamples=args.delta_resamples)
    print(format_table(table))
    for note in notes:
        print(note)
    n = table["output"].nunique()
    print(f"Wrote {path} ({n} output{'s' if n != 1 else ''} analysed now, merged with the earlier ones)")
    return 0
