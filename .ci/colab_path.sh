#!/usr/bin/env bash
# A Colab reader's path, as far as it can be followed without Colab: a fresh virtual environment gets
# exactly what the setup cell installs ("lmkit[course] @ git+<repository>"), with the repository URL
# replaced by a local copy of this checkout; then one chapter, copied alone into an empty folder (as Colab
# opens a single notebook, with no repository around it), is executed end to end, offline.
# Run by .ci/run; by hand: bash .ci/colab_path.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export LMKIT_DATA=${LMKIT_DATA:-$(realpath -m ../shared/data)}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# The setup cell's requirement, read from the generator of the setup cell (tools/setup_cell.py).
SPEC=$(python - <<'PY'
import re, sys
sys.path.insert(0, "tools")
import setup_cell
print(re.search(r'"(lmkit\[course\] @ git\+[^"]+)"', setup_cell.setup_cell_source()).group(1))
PY
)
mkdir -p "$WORK/repo" && git ls-files -z | xargs -0 cp --parents -t "$WORK/repo"
LOCAL_SPEC="${SPEC%% @ *} @ file://$WORK/repo"
echo "colab path: the setup cell installs: $SPEC"
echo "colab path: here, from a local copy: $LOCAL_SPEC"

python -m venv "$WORK/venv"
source "$WORK/venv/bin/activate"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
pip install -q torch==2.13.0                      # Colab ships torch; here, the CPU build
pip install -q "$LOCAL_SPEC" ipykernel nbconvert  # Colab ships a kernel; here, nbconvert runs it

# One chapter alone in an empty folder, offline (Hugging Face too), outside the repository.
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
CHAPTER=chapters/part5/sentiment.ipynb
mkdir -p "$WORK/content" && cp "$CHAPTER" "$WORK/content/"
cd "$WORK/content"
python -c "import lmkit, sys; assert 'site-packages' in lmkit.__file__, lmkit.__file__; print('colab path: lmkit from', lmkit.__file__)"
jupyter nbconvert --to notebook --execute --output-dir "$WORK/out" --ExecutePreprocessor.timeout=600 \
    "$(basename "$CHAPTER")" >/dev/null 2>&1 || { echo "colab path: $(basename "$CHAPTER") failed"; \
    jupyter nbconvert --to notebook --execute --stdout --ExecutePreprocessor.timeout=600 "$(basename "$CHAPTER")" \
    2>&1 >/dev/null | tail -30; exit 1; }
python - "$WORK/out/$(basename "$CHAPTER")" <<'PY'
import json, sys
nb = json.load(open(sys.argv[1]))
errors = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", []) if o["output_type"] == "error"]
assert not errors, errors
print(f"colab path: {sys.argv[1].rsplit('/', 1)[-1]} executed alone, {sum(c['cell_type'] == 'code' for c in nb['cells'])} code cells, no errors")
PY
echo "colab path: OK"
