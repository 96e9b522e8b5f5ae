"""pytest setup shared by tests/ and the notebooks that nbval runs.

nbval starts each notebook's kernel in the notebook's own folder (chapters/partN/), so a relative
LMKIT_DATA such as `../shared/data` would point somewhere else there. Make it absolute, relative
to where pytest was started, before any kernel inherits the environment.
"""
import os
from pathlib import Path

if os.environ.get("LMKIT_DATA"):
    os.environ["LMKIT_DATA"] = str(Path(os.environ["LMKIT_DATA"]).expanduser().resolve())
