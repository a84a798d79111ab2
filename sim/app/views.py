"""Figures and tables for the app: matplotlib only (renders offline).

The alliance network and the coalition's series are drawn by Mesa's own
visualization (a SpaceRenderer and a plot component, matplotlib backend),
configured here; the other functions take a model or a result and return a
Figure, a DataFrame or HTML text, and keep no state between calls.
"""

from __future__ import annotations

import functools

import matplotlib

matplotlib.use("Agg")
import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from mesa.visualization import SpaceRenderer, make_plot_component  # noqa: E402
from mesa.visualization.components import AgentPortrayalStyle  # noqa: E402
from mesa.visualization.space_drawers import NetworkSpaceDrawer  # noqa: E402

from .. import world as W  # noqa: E402
from ..narrative import ART5_RULE_NAMES  # noqa: E402
from ..scenario import LEVELS, STANCES  # noqa: E402

LAYOUT_SEED = 2015
LEVEL_COLOURS = dict(zip(LEVELS, ("#d9d9d9", "#c6dbef", "#9ecae1", "#6baed6", "#2171b5", "#08306b", "#000000")))
STANCE_COLOURS = dict(zip(STANCES, ("#cb181d", "#fd8d3c", "#fed976", "#31a354")))
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


class AllianceRenderer(SpaceRenderer):
    """Mesa's SpaceRenderer for the alliance network (a Network space whose
    nodes are ISO3 codes), drawn where the space's cells are.

    Mesa 3.5.1's renderer assumes integer node ids on a network: it lays the
    graph out anew (a spring layout) and places each agent at the layout
    position of ``int(node)``. Here the drawer takes the positions the model's
    Network space holds (``CoalitionModel(layout=...)``: a fixed layout, so the
    picture does not move), and each agent is drawn at the x, y its portrayal
    gives (its cell's position), as AgentPortrayalStyle documents."""

    def _get_space_drawer(self):
        space = self.space

        def cell_positions(graph):
            return {node: space[node].position for node in graph.nodes}

        return NetworkSpaceDrawer(space, layout_alg=cell_positions, layout_kwargs={})

    def _map_coordinates(self, arguments):
        return {**arguments, "loc": np.asarray(arguments["loc"], dtype=float).reshape(-1, 2)}


def agent_portrayal(agent) -> AgentPortrayalStyle:
    """A state at its place in the network, coloured by commitment; a
    non-ally (a state with a stance, from the scenario's ``stances``) is a
    square coloured by its stance. States a player takes
    are drawn larger."""
    x, y = agent.cell.position
    if agent.stance:
        colour, marker = STANCE_COLOURS.get(agent.stance, "#ffffff"), "s"
    else:
        colour, marker = LEVEL_COLOURS.get(agent.commitment, "#ffffff"), "o"
    size = 320 if agent.iso3 in agent.model.players else 220
    return AgentPortrayalStyle(x=float(x), y=float(y), color=colour, marker=marker, size=size, zorder=2,
                               edgecolors="#333333", linewidths=0.6)


def _network_legend(graph: nx.Graph, positions: dict, non_allies: bool, ax) -> None:
    """The renderer's post-process (applied once; Mesa's component redraws
    only the nodes and edges after each step): the states' codes and the
    legend."""
    nx.draw_networkx_labels(graph, positions, ax=ax, font_size=9, font_color="#000000")
    handles = [Line2D([], [], marker="o", ls="", color=c, markeredgecolor="#333333", label=lvl.replace("_", " "))
               for lvl, c in LEVEL_COLOURS.items()]
    if non_allies:
        handles += [Line2D([], [], marker="s", ls="", color=c, markeredgecolor="#333333",
                           label=f"non-ally: {st}") for st, c in STANCE_COLOURS.items()]
    handles += [Line2D([], [], color="#555555", ls="--", label="land border")]
    ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=12, frameon=False)
    ax.get_figure().subplots_adjust(left=0.01, right=0.66, top=0.99, bottom=0.01)


def network_renderer(model) -> SpaceRenderer:
    """Mesa's SpaceRenderer (matplotlib backend) for the model's alliance
    network, ready for Mesa's SpaceRendererComponent: the edges (land borders
    dashed, shared NATO or EU membership faint), the states by
    :func:`agent_portrayal`, their codes and a legend. The model must have
    been built with a layout (the app passes :func:`fixed_layout`)."""
    graph = model.grid.G
    try:  # a cell without a position gives its coordinate, an ISO3 code, as floats
        positions = {node: model.grid[node].position for node in graph.nodes}
    except ValueError:
        raise ValueError("the model's network has no positions: build it with layout=views.fixed_layout") from None
    renderer = AllianceRenderer(model, backend="matplotlib")
    figure = renderer.canvas.get_figure()
    figure.set_size_inches(6.0, 4.3)  # 540 x 387 px: the picture fits beside the log at 1280x720
    figure.set_dpi(90)
    border = [bool(d.get("border")) for _, _, d in graph.edges(data=True)]
    renderer.setup_structure(
        # networkx's keywords (matplotlib backend). The nodes are the agents,
        # drawn by setup_agents: the structure draws only the edges.
        node_kwargs={"node_size": 0},
        edge_kwargs={"edge_color": ["#555555" if b else (0.8, 0.8, 0.8, 0.5) for b in border],
                     "width": [1.0 if b else 0.4 for b in border],
                     "style": ["--" if b else "-" for b in border], "alpha": None},
    )
    renderer.setup_agents(agent_portrayal)
    renderer.post_process = functools.partial(_network_legend, graph, positions, bool(non_allies(model)))
    return renderer.render()


def non_allies(model) -> list[str]:
    """The codes of the states the scenario gives a stance (its
    ``stances``), in the table's order: the non-allies the views show."""
    stances = getattr(model.config, "stances", None) or {}
    return [code for code in model.agent_by_code if code in stances]


def state_name(model, code: str) -> str:
    """A state's name from the states table (its code if the table has none)."""
    s = model.setup
    return s.names[s.codes.index(code)] if code in s.codes else code


def _names(model, codes: list[str]) -> str:
    if len(codes) > 3:
        return f"the {len(codes)} non-allies"
    return ", ".join(state_name(model, c) for c in codes)


def network_caption(model) -> str:
    day = model.day
    return (f"Day {day} ({model.config.date_of(day):%d %b %Y}): colour = commitment"
            + (f"; {_names(model, non_allies(model))} (square) by stance" if non_allies(model) else "")
            + ("; the states you play drawn larger" if model.players else "") + ".")


def JobStatus(job, running_text: str, failed_text: str = "The comparison failed") -> bool:
    """A background job's state on the page (the single-user page's lens
    comparison, the class session's comparison), drawn where it is called:
    while it runs, the text and a progress bar; if it failed, one line with
    its error. Returns True when the job is done (the caller shows its
    result), False while it runs, failed or was not started."""
    import solara

    if job.state in (solara.ResultState.STARTING, solara.ResultState.WAITING, solara.ResultState.RUNNING):
        solara.Text(running_text)
        solara.ProgressLinear(True)
        return False
    if job.state == solara.ResultState.ERROR:
        first = (str(job.error).strip().splitlines() or [type(job.error).__name__])[0]
        solara.Error(f"{failed_text}: {first[:300]}")
        return False
    return job.state == solara.ResultState.FINISHED


def event_days(scenario) -> list[tuple[int, str]]:
    return [(scenario.event_day(e), e.description or e.kind.replace("_", " ")) for e in scenario.events]


def _short(text: str, width: int = 34) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "\u2026"


COALITION_COLOUR, CAPACITY_COLOUR = "#2171b5", "#cb181d"
SERIES = {"coalition_size": COALITION_COLOUR, "strike_capacity": CAPACITY_COLOUR}  # the model's reporters


def _timeline_post_process(scenario, ax) -> None:
    """Post-process for Mesa's plot of the model's DataCollector series
    (day = step): strike capacity on its own axis on the right, the
    scenario's events (for a historical scenario, the milestones of what
    happened) marked and labelled with their dates."""
    fig = ax.get_figure()
    fig.set_size_inches(7, 3.6)
    fig.set_dpi(90)
    lines = {line.get_label(): line for line in ax.get_lines()}
    size, capacity = lines["coalition_size"], lines["strike_capacity"]
    days, aircraft = capacity.get_data()
    capacity.remove()
    size.set_drawstyle("steps-post")
    size.set_linewidth(2)
    size.set_label("coalition size (states)")
    ax.set_xlim(0, max(scenario.days - 1, 1))
    ax.set_ylabel("states at support or above", color=COALITION_COLOUR)
    ax2 = ax.twinx()
    ax2.plot(days, aircraft, drawstyle="steps-post", color=CAPACITY_COLOUR, ls="--",
             label="strike capacity (aircraft committed)")
    ax2.set_ylabel("strike aircraft committed", color=CAPACITY_COLOUR)
    # Different headroom on the two axes, so that two flat lines do not
    # fall on each other.
    ax.set_ylim(0, max(max(size.get_ydata(), default=0), 1) * 1.4)
    ax2.set_ylim(0, max(max(aircraft, default=0), 1) * 1.75)
    for k, (day, text) in enumerate(event_days(scenario)):
        ax.axvline(day, color="#666666", ls=":", lw=0.9)
        ax.text(day, 0.985 - 0.09 * (k % 4), f" {scenario.date_of(day):%d %b}: {_short(text)}",
                transform=ax.get_xaxis_transform(), fontsize=6, va="top", ha="left", color="#444444")
    handles = [size, ax2.get_lines()[0],
               Line2D([], [], color="#666666", ls=":", label="scenario event (historical milestone)")]
    ax.legend(handles=handles, labels=[h.get_label() for h in handles], fontsize=7, loc="lower right")
    # Mesa's component labels the x axis "Step": one step is one day.
    ax.set_title(f"Coalition size and strike capacity by day (one step = one day; "
                 f"step 0 = {scenario.start_date:%d %b %Y})", fontsize=9)


def timeline_component(scenario):
    """Mesa's plot component (matplotlib backend) for the model's
    ``coalition_size`` and ``strike_capacity`` reporters, post-processed by
    :func:`_timeline_post_process`: a function of the model, as SolaraViz
    takes its components."""
    component, _page = make_plot_component(SERIES, post_process=functools.partial(_timeline_post_process, scenario),
                                           backend="matplotlib")
    return component


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


# --------------------------------------------------------------------------
# Keeping a played run: the export offered before a run is dropped


def run_record(model, decisions: list[dict], settings: dict) -> dict:
    """A played run as plain data: the scenario, the settings and seed, the
    day reached, every event of the log (who decided it) and every answer a
    player gave beside the model's own choice."""
    result = model.result()
    events = result.events.copy()
    events["date"] = [str(pd.Timestamp(d).date()) for d in events["date"]]
    return {
        "scenario": model.config.name, "title": model.config.title,
        "start_date": str(model.config.start_date), "day": int(model.day), "days": int(model.config.days),
        "seed": int(result.summary.get("seed", 0)), "settings": settings,
        "players": [state_name(model, c) for c in model.players],
        "events": events.to_dict(orient="records"),
        "decisions": [dict(d) for d in decisions],
    }


def run_json(model, decisions: list[dict], settings: dict) -> str:
    import json

    return json.dumps(run_record(model, decisions, settings), indent=1, default=str)


def run_csv(model, decisions: list[dict]) -> str:
    """The events and the players' answers in one table (one row each),
    day by day."""
    events = model.result().events.copy()
    events["date"] = [str(pd.Timestamp(d).date()) for d in events["date"]]
    events["your choice"] = ""
    events["the model's choice"] = ""
    rows = [{"day": d["day"], "date": str(model.config.date_of(d["day"])), "state": d["state"],
             "kind": "player_answer", "decided_by": "player", "text": d["question"],
             "your choice": d["your choice"], "the model's choice": d["the model's choice"]} for d in decisions]
    table = pd.concat([events, pd.DataFrame(rows, columns=events.columns)], ignore_index=True)
    return table.sort_values("day", kind="stable").to_csv(index=False)


# --------------------------------------------------------------------------
# The Info tab (in the manner of NetLogo's Info tab)

INFO = """
### What is it?

A simulation of how states decide together after an attack: whether the victim
asks NATO for consultations (Article 4) or for collective defence (Article 5),
whether it calls on the EU's mutual-assistance clause (Article 42.7), how the
North Atlantic Council decides, and who joins the strikes and how fast. Its
reference case is the attacks on Paris of 13 November 2015. Each state is an
agent with figures from a sourced table; the scenario gives the attack, the
date and the non-allies' starting stances.

### How it works

One step is one day. Each day, in order: the scenario's events happen and
raise the threat felt by each state (more for the victim and its neighbours);
the victim chooses a route (Article 4, Article 5, EU 42.7, the UN, alone or
nothing); the Council votes on Article 5 under the chosen rule (consensus by
default); each government chooses a commitment level, from none through
political support to strikes and ground forces; a parliament that must
approve votes after a delay and can refuse; states already committed make the
next one more likely (a peer effect); a non-ally reviews its stance
(oppose, deconflict, coordinate or join). The theory lens changes the weights
the rules give to threat, institutions, public opinion and cost.

### Things to notice

- How many days pass between the attack and the first allied strike, and who
  strikes first.
- Which states wait for a parliamentary vote, and what the vote does.
- Whether Article 5 is asked at all, and which allies object in the Council.
- How a non-ally's stance moves as the coalition grows.

### Things to try

- Change the theory lens and run again with the same seed: what changes first?
- Set the Article 5 decision to majority: does the Council invoke it?
- Lower France's public support, or raise the attack's severity.
- Play a state yourself (Play as) and compare your choices with the model's
  (Show the model's hints).
- Compare the lenses side by side over a few hundred runs.

### Where the numbers come from

The states' figures (population, military spending, strike aircraft,
parliaments, public support, alliance and EU membership dates) are in
`configs/states/states.csv`, each row with its sources (`configs/states/SOURCES.md`).
The rules' weights and their ranges are in `sim/scenario.py`, the lenses in
`configs/presets/`, and the model is described in `docs/ODD.md`. History
cases (`configs/history/`) hold what happened, with sources; the app shows it
only when you reveal it. A run is one possible course, not a forecast: run
several seeds, or compare the lenses, before drawing a conclusion.
"""
