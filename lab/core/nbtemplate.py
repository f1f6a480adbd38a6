"""The notebook template: the parts every workbench notebook has, in order, and the
rules the hygiene tests check. `python -m lab new NN topic` writes a skeleton
from here, so a new notebook starts in the house style."""
from __future__ import annotations

import re

import nbformat

KERNEL = {"name": "mlnc-lab", "display_name": "MLNC workbench (lab)", "language": "python"}

SECTIONS = ("title", "parameters", "explore", "claim check", "further reading")


def find_parts(nb) -> dict[str, int]:
    """Index of the first cell of each template part (missing parts are absent)."""
    found: dict[str, int] = {}
    for i, c in enumerate(nb.cells):
        src = c.source if isinstance(c.source, str) else "".join(c.source)
        if c.cell_type == "markdown":
            if i == 0 and src.lstrip().startswith("# "):
                found["title"] = i
            if re.search(r"^#+\s*.*explore", src, re.I | re.M):
                found.setdefault("explore", i)
            if re.search(r"^#+\s*.*claim", src, re.I | re.M):
                found.setdefault("claim check", i)
            if re.search(r"^#+\s*further reading", src, re.I | re.M):
                found.setdefault("further reading", i)
        elif c.cell_type == "code":
            if "parameters" in c.metadata.get("tags", []):
                found.setdefault("parameters", i)
            if "explorer(" in src:
                found.setdefault("explorer call", i)
            if "rec.check(" in src:
                found.setdefault("claims call", i)
    return found


def skeleton(number: int, topic: str, title: str) -> nbformat.NotebookNode:
    """A new notebook in the template for report entry `number` (1..17) and `topic`."""
    from .checks import check_int, check_type
    number = check_int("number", number, lo=1, hi=99)
    check_type("topic", topic, str)
    check_type("title", title, str)
    if not topic.isidentifier():
        raise ValueError(f"topic must be a Python identifier; got {topic!r}")
    name = f"{number:02d}_{topic}"
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    cells = [
        md(f"# {title}\n\n*Authors, venue.*\n\n**The problem.** …\n\n**The idea.** …\n\n"
           f"**Headline claim.** … (paper: …)."),
        code('SCALE = "small"  # "small" runs in ≤ 45 s on a 2-core CPU', metadata={"tags": ["parameters"]}),
        md("**Scales.** `small` (the default, under a minute) runs … `paper` (`python -m lab run NN --scale paper`, "
           "recorded in `results/paper/`) runs …\n\n*How this differs from the paper.* …"),
        code(f"from lab import {topic}\nfrom lab.core import claims, seed_everything, resolve_scale\n"
             f"from lab.core.widgets import show\n\n"
             f"NB = \"{name}\"\ncfg = resolve_scale({topic}.SCALES, SCALE)\nrec = claims.start(NB, SCALE)\n"
             f"rng = seed_everything(0)"),
        md("## Method\n\n…"),
        md("## Explore\n\n…"),
        code(f"ex = show({topic}.explorer())"),
        code("before = ex.snapshot()[0].to_dict()[\"data\"]\n# ex.set(...)  # drive one control\n"
             "# assert ex.snapshot()[0].to_dict()[\"data\"] != before, \"the figure did not follow\"\nex.reset()",
             metadata={"tags": ["explorer-check"]}),
        md("## Claim check"),
        code("# rec.check(\"...\", paper=..., paper_value=..., unit=..., measured=topic.some_claim(...),\n"
             "#           tolerance=claims.rel(0.2, \"why\"), fails_if=\"...\")\nrec.table()"),
        md("## Exercises\n\nAt least four graded exercises in nbgrader's format (see `lab/core/exercises.py`): "
           "checks are autograded, written answers graded by hand."),
        code(f"import numpy as np\nfrom lab import {topic}",
             metadata={"tags": ["exercise-setup"],
                       "nbgrader": {"locked": True, "solution": False, "grade": False, "grade_id": "setup",
                                    "schema_version": 3}}),
        md("## Further reading\n\n- …"),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = dict(KERNEL)
    nb.metadata["language_info"] = {"name": "python"}
    return nb
