"""Figures and tables for the app: matplotlib only (renders offline).

Each function takes a model or a result and returns a Figure, a DataFrame or
HTML text; none keeps state between calls.
"""

from __future__ import annotations

import functools
import html

import matplotlib

matplotlib.use("Agg")
import networkx as nx  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from .. import world as W  # noqa: E402
from ..narrative import ART5_RULE_NAMES  # noqa: E402
from ..scenario import LEVELS, STANCES  # noqa: E402
from ..states import load_states  # noqa: E402

LAYOUT_SEED = 2015
LEVEL_COLOURS = dict(zip(LEVELS, ("#d9d9d9", "#c6dbef", "#9ecae1", "#6baed6", "#2171b5", "#08306b", "#000000")))
STANCE_COLOURS = dict(zip(STANCES, ("#cb181d", "#fd8d3c", "#fed976", "#31a354")))
STRIKE_LEVELS = ("strikes_invited", "strikes_uninvited", "ground")
SUPPORT_INDEX = LEVELS.index("support")
# boxplot's ``vert`` became ``orientation`` in Matplotlib 3.10.
_MPL = tuple(int(x) for x in matplotlib.__version__.split(".")[:2])
HORIZONTAL = {"orientation": "horizontal"} if _MPL >= (3, 10) else {"vert": False}


def fixed_layout(graph: nx.Graph) -> dict:
    """A fixed layout (Kamada-Kawai from a seeded spring start): the same
    picture after every reset. Computing it takes about a second, so the
    layouts of the graphs seen are kept (a pure function of the graph: no
    session can change what another sees)."""
    key = (tuple(graph.nodes), tuple((u, v) for u, v in graph.edges))
    return {node: xy.copy() for node, xy in _layout(key).items()}


@functools.lru_cache(maxsize=64)
def _layout(key) -> dict:
    nodes, edges = key
    graph = nx.Graph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from(edges)
    start = nx.spring_layout(graph, seed=LAYOUT_SEED)
    return nx.kamada_kawai_layout(graph, pos=start, weight=None)


def network_figure(model, positions: dict | None = None) -> Figure:
    """The alliance network: states coloured by commitment, Russia by stance."""
    graph = model.grid.G
    pos = positions or fixed_layout(graph)
    fig = Figure(figsize=(7, 5.5), dpi=90)
    ax = fig.add_subplot()
    ax.set_axis_off()
    colours, sizes = [], []
    for code in graph.nodes:
        agent = model.agent_by_code[code]
        if code == "RUS" and agent.stance:
            colours.append(STANCE_COLOURS.get(agent.stance, "#ffffff"))
        else:
            colours.append(LEVEL_COLOURS.get(agent.commitment, "#ffffff"))
        sizes.append(320 if code in getattr(model, "players", ()) else 220)
    borders = [(u, v) for u, v, d in graph.edges(data=True) if d.get("border")]
    others = [(u, v) for u, v, d in graph.edges(data=True) if not d.get("border")]
    nx.draw_networkx_edges(graph, pos, edgelist=others, ax=ax, edge_color="#cccccc", width=0.4, alpha=0.5)
    nx.draw_networkx_edges(graph, pos, edgelist=borders, ax=ax, edge_color="#555555", width=1.0, style="dashed")
    nx.draw_networkx_nodes(graph, pos, ax=ax, node_color=colours, node_size=sizes, edgecolors="#333333",
                           linewidths=0.6)
    nx.draw_networkx_labels(graph, pos, ax=ax, font_size=6,
                            font_color="#000000", labels={c: c for c in graph.nodes})
    handles = [Line2D([], [], marker="o", ls="", color=c, markeredgecolor="#333333", label=lvl.replace("_", " "))
               for lvl, c in LEVEL_COLOURS.items()]
    if "RUS" in model.agent_by_code:
        handles += [Line2D([], [], marker="s", ls="", color=c, markeredgecolor="#333333",
                           label=f"Russia: {st}") for st, c in STANCE_COLOURS.items()]
    handles += [Line2D([], [], color="#555555", ls="--", label="land border")]
    ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=7, frameon=False)
    ax.set_title(f"Day {model.day}: {model.config.date_of(model.day):%d %b %Y}", fontsize=10)
    fig.tight_layout()
    return fig


def daily_series(result) -> pd.DataFrame:
    """Per day: coalition size (states at support or above) and strike
    capacity (strike aircraft of the states at a strike level)."""
    ts = result.timeseries
    if ts.empty:
        return pd.DataFrame({"day": [], "coalition_size": [], "strike_capacity": []})
    table = load_states(result.scenario.states)
    aircraft = {code: float(row.get("strike_aircraft") or 0) for code, row in table.rows.items()}
    level = ts["commitment"].astype(str).map({lvl: i for i, lvl in enumerate(LEVELS)}).fillna(0)
    frame = pd.DataFrame({
        "day": ts["day"],
        "coalition": (level >= SUPPORT_INDEX).astype(int),
        "capacity": ts["state"].map(aircraft).fillna(0) * ts["commitment"].astype(str).isin(STRIKE_LEVELS),
    })
    out = frame.groupby("day").agg(coalition_size=("coalition", "sum"), strike_capacity=("capacity", "sum"))
    return out.reset_index()


def event_days(scenario) -> list[tuple[int, str]]:
    return [(scenario.event_day(e), e.description or e.kind.replace("_", " ")) for e in scenario.events]


def _short(text: str, width: int = 34) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "\u2026"


def timeline_figure(result) -> Figure:
    """Coalition size and strike capacity over time. The scenario's events
    (for a historical scenario, the milestones of what happened) are marked
    and labelled with their dates."""
    series = daily_series(result)
    scenario = result.scenario
    fig = Figure(figsize=(7, 3.6), dpi=90)
    ax = fig.add_subplot()
    ax.set_xlim(0, max(scenario.days - 1, 1))
    ax.step(series["day"], series["coalition_size"], where="post", color="#2171b5", lw=2,
            label="coalition size (states)")
    ax.set_xlabel(f"day (0 = {scenario.start_date:%d %b %Y})")
    ax.set_ylabel("states at support or above", color="#2171b5")
    ax2 = ax.twinx()
    ax2.step(series["day"], series["strike_capacity"], where="post", color="#cb181d", ls="--",
             label="strike capacity (aircraft)")
    ax2.set_ylabel("strike aircraft committed", color="#cb181d")
    # Different headroom on the two axes, so that two flat lines do not
    # fall on each other.
    ax.set_ylim(0, (max(series["coalition_size"].max(), 1) if len(series) else 1) * 1.4)
    ax2.set_ylim(0, (max(series["strike_capacity"].max(), 1) if len(series) else 1) * 1.75)
    for k, (day, text) in enumerate(event_days(scenario)):
        ax.axvline(day, color="#666666", ls=":", lw=0.9)
        ax.text(day, 0.985 - 0.09 * (k % 4), f" {scenario.date_of(day):%d %b}: {_short(text)}",
                transform=ax.get_xaxis_transform(), fontsize=6, va="top", ha="left", color="#444444")
    lines = ax.get_lines()[:1] + ax2.get_lines()[:1] + [
        Line2D([], [], color="#666666", ls=":", label="scenario event (historical milestone)")]
    ax.legend(handles=lines, labels=[ln.get_label() for ln in lines], fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def nac_votes(result) -> pd.DataFrame:
    """The North Atlantic Council's votes (Article 5), one row per vote."""
    votes = [v for v in result.summary.get("votes") or [] if v.get("body") == "North Atlantic Council"]
    return pd.DataFrame(votes)


def nac_vote_table(model) -> pd.DataFrame:
    """Each ally's vote in the North Atlantic Council on Article 5, one row
    per ally and a column per vote ("for" / "against"; the objectors are
    those against), and who cast it (a player for the states played)."""
    s = model.setup
    columns = {}
    for rec in model.world.log:
        if rec[0] != 0 or rec[2] != W.NAC_VOTE:
            continue
        day, victim, data = rec[1], rec[3], rec[4]
        voters = [j for j in range(len(s.codes)) if s.nato[j] and j != victim]
        rule = ART5_RULE_NAMES[data["decision"]]
        verdict = "invoked" if data["passed"] else "not invoked"
        title = f"day {day}, for {s.codes[victim]} ({rule}): {verdict}"
        columns[title] = {s.codes[j]: ("against" if s.codes[j] in data["objectors"] else "for") for j in voters}
    if not columns:
        return pd.DataFrame()
    allies = [c for c in s.codes if any(c in col for col in columns.values())]
    frame = pd.DataFrame({"ally": allies, "name": [s.names[s.codes.index(c)] for c in allies]})
    for title, col in columns.items():
        frame[title] = [col.get(c, "-") for c in allies]
    players = set(getattr(model, "players", ()))
    frame["decided by"] = ["player" if c in players else "model" for c in allies]
    return frame


def observed_text(case) -> str:
    """What happened in a history case, in one line."""
    o = case.observed
    art4 = ", ".join(o.article4_requested_by) or "nobody"
    eu = ("yes" if o.eu_42_7_invoked else "no") if case.eu_42_7_applies else "not applicable"
    return (f"What happened ({case.case}): Article 4 requested by {art4}; "
            f"Article 5 invoked: {'yes' if o.article5_invoked else 'no'}; EU 42.7 invoked: {eu}.")


def log_html(result, limit: int = 400) -> str:
    """The event log, newest first, as an HTML list."""
    events = result.events
    if events.empty:
        return "<p>No events yet.</p>"
    events = events.iloc[::-1].head(limit)
    items = "".join(
        f"<li><b>day {int(r.day)}</b> ({html.escape(str(pd.Timestamp(r.date).date()))}): {html.escape(str(r.text))}</li>"
        for r in events.itertuples()
    )
    return f'<ul class="event-log" style="max-height:420px;overflow-y:auto;font-size:13px">{items}</ul>'


def lens_figure(table: pd.DataFrame, strike_days: pd.DataFrame | None = None, case=None) -> Figure:
    """Left: P(Article 4), P(Article 5), P(42.7) per lens as grouped bars
    (with what happened marked for a history case). Right: the distribution
    of days to the first allied strike per lens (runs with a strike)."""
    fig = Figure(figsize=(10, 3.8), dpi=90)
    ax = fig.add_subplot(1, 2, 1)
    cols = [("p_article4", "Article 4 (any)"), ("p_article5", "Article 5"), ("p_eu_42_7", "EU 42.7")]
    width = 0.8 / len(cols)
    x = range(len(table))
    for k, (col, label) in enumerate(cols):
        ax.bar([i + k * width for i in x], table[col], width=width, label=label)
    if case is not None:
        o = case.observed
        seen = [bool(o.article4_requested_by), o.article5_invoked, o.eu_42_7_invoked if case.eu_42_7_applies else None]
        for k, v in enumerate(seen):
            if v is not None:
                ax.scatter([i + k * width for i in x], [float(v)] * len(table), marker="_", s=150, linewidths=2.5,
                           color="black", zorder=3, clip_on=False, label="what happened" if k == 0 else None)
    ax.set_xticks([i + width for i in x], table["lens"], fontsize=8, rotation=15)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("probability")
    ax.set_title("Probability per lens", fontsize=9)
    ax.legend(fontsize=7, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.2), frameon=False)
    ax2 = fig.add_subplot(1, 2, 2)
    if strike_days is not None and len(strike_days):
        data = [strike_days.loc[strike_days["lens"] == lens, "day"].to_numpy() for lens in table["lens"]]
        ax2.boxplot([d if len(d) else [float("nan")] for d in data], whis=(5, 95), showfliers=False, **HORIZONTAL)
        ax2.set_yticks(range(1, len(table) + 1), [f"{lens} ({p:.0%})" for lens, p in
                                                   zip(table["lens"], table["p_allied_strike"])], fontsize=8)
        ax2.invert_yaxis()
    ax2.set_xlabel("days to the first allied strike")
    ax2.set_title("Days to the first allied strike (share of runs with one)", fontsize=9)
    fig.tight_layout()
    return fig
