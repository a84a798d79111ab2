"""Run every notebook of this folder from its own folder and save it with its
outputs (what a reader sees on opening it).

    .venv/bin/python experiments/notebooks/run_all.py
"""
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent

for path in sorted(HERE.glob("*.ipynb")):
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}).execute()
    nbformat.write(nb, path)
    print("ran and saved", path.name)
