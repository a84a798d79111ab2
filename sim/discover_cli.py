"""The ``discover`` verb: thin over :mod:`sim.discover`."""

from __future__ import annotations

from pathlib import Path


def add_parsers(sub) -> None:
    d = sub.add_parser(
        "discover", help="scenario discovery (PRIM, CART) and feature scores over a sweep (EMA Workbench)",
        description="Find the parameter ranges in which a condition on the outputs holds: PRIM's boxes and "
                    "CART's densest leaves, each with its coverage, density, mass and restricted ranges. "
                    "Writes DIR/discovery/<condition>.png and .txt and refreshes DIR/report/ so the figure "
                    "is on the report's page; with --scores, also the extra-trees feature scores of every "
                    "varied parameter for every output (DIR/discovery/feature_scores.csv). Needs the "
                    "[discover] extra (ema_workbench).",
    )
    d.add_argument("results", metavar="DIR", help="a sweep's results directory")
    d.add_argument("--where", required=True, metavar="CONDITION",
                   help="the cases of interest, e.g. 'strike_day.syria.GBR <= 35' or "
                        "'commitment.DNK >= \"support\" and article5_invoked' (a day that never came is later "
                        "than any day)")
    d.add_argument("--boxes", type=int, default=2, metavar="N", help="PRIM boxes to find (default 2)")
    d.add_argument("--min-coverage", type=float, default=0.5, metavar="SHARE",
                   help="each PRIM box: the densest step of the peeling that covers at least this share of "
                        "the cases (default 0.5)")
    d.add_argument("--scores", action="store_true", help="also the feature scores of every output")
    d.add_argument("--no-report", action="store_true", help="do not refresh DIR/report/")
    d.set_defaults(func=cmd_discover)


def slug(text: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower() or "condition"


def cmd_discover(args) -> int:
    from .discover import discover, feature_scores
    from .experiment import load_results

    res = load_results(args.results)
    folder = Path(args.results) / "discovery"
    name = slug(args.where)
    found = discover(res, args.where, boxes=args.boxes, min_coverage=args.min_coverage,
                     figure=folder / f"{name}.png")
    text = found.text()
    print(text)
    (folder / f"{name}.txt").write_text(text + "\n", encoding="utf-8")
    print(f"Wrote {found.figure}")
    if args.scores:
        scores = feature_scores(res)
        with __import__("pandas").option_context("display.width", 160, "display.max_columns", 12):
            print(scores.round(3).to_string())
        scores.to_csv(folder / "feature_scores.csv", float_format="%.6g")
        print(f"Wrote {folder / 'feature_scores.csv'}")
    if not args.no_report:
        from .report import report

        out = report(args.results)
        print(f"Refreshed {out / 'index.html'} (with the discovery figures)")
    return 0
