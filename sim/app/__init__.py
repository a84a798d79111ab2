"""The browser app (Solara): one scenario played day by day, the theory
lenses side by side, and role play. Start it with ``coalition-sim app``."""
