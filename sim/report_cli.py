"""The ``report`` verb: thin over :mod:`sim.report`."""

from __future__ import annotations


def add_parsers(sub) -> None:
    p = sub.add_parser(
        "report", help="figures of a sweep's results (PNG) and an index.html that puts them together",
        description="Turn a sweep's results directory into PNG figures (matplotlib) and an index.html with the "
                    "experiment's name, description, design and counts: outcome probabilities per design point, "
                    "the effect of each varied parameter on the main outputs, the days to each state's first "
                    "strike and commitment, and the Sobol or Morris indices when 'coalition-sim analyze' has "
                    "written sensitivity.csv. A figure whose outputs the experiment did not keep is skipped, "
                    "and the page says why.",
    )
    p.add_argument("results", metavar="DIR", help="a sweep's results directory (made by 'coalition-sim sweep')")
    p.add_argument("--out", metavar="FOLDER",
                   help="where to write the report (default DIR/report/); built beside it and renamed into "
                        "place, replacing an earlier report there")
    p.set_defaults(func=cmd_report)


def cmd_report(args) -> int:
    from .report import report

    out = report(args.results, args.out)
    figures = sorted(out.glob("*.png"))
    print(f"Wrote {out / 'index.html'} with {len(figures)} figure{'s' if len(figures) != 1 else ''}")
    return 0
