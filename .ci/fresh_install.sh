#!/usr/bin/env bash
# A new learner's first hour, automated: a fresh virtual environment, only what the README's Quick start
# says (its first command, verbatim: install and build the book), then one chapter executed end to end,
# offline, with the data from LMKIT_DATA. Run by .ci/run; by hand: bash .ci/fresh_install.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export LMKIT_DATA=${LMKIT_DATA:-$(realpath -m ../shared/data)}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# The README's first Quick start command, read from the README itself (tests/test_book.py checks its shape).
BUILD_CMD=$(python - <<'PY'
import re, pathlib
text = pathlib.Path("README.md").read_text()
section = re.search(r"^## Quick start\s*$(.*?)(?=^## )", text, re.M | re.S).group(1)
blocks = re.findall(r"^```[a-z]*\n(.*?)^```", section, re.M | re.S)
print([l for l in blocks[0].splitlines() if l.strip() and not l.lstrip().startswith("#")][0])
PY
)
echo "fresh install: README's first command: $BUILD_CMD"

python -m venv "$WORK/venv"
source "$WORK/venv/bin/activate"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
# The CPU build of torch first, as the README says for machines without a GPU (here: the local wheel).
pip install -q torch==2.13.0
# A copy of the repository without its build outputs, so the build below starts from nothing.
mkdir -p "$WORK/book" && git ls-files -z | xargs -0 cp --parents -t "$WORK/book"
cd "$WORK/book"
bash -c "$BUILD_CMD"
test -f _build/html/index.html
python -c "import lmkit, sys; assert lmkit.__file__.startswith('$WORK/book'), lmkit.__file__; print('lmkit from', lmkit.__file__)"

# One short chapter end to end in that environment, offline: no network for Hugging Face either.
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
CHAPTER=chapters/part4/gpt_from_scratch.ipynb
( cd "$(dirname "$CHAPTER")" && jupyter nbconvert --to notebook --execute --output-dir "$WORK/out" \
    --ExecutePreprocessor.timeout=600 "$(basename "$CHAPTER")" )
python - "$WORK/out/$(basename "$CHAPTER")" <<'PY'
import json, sys
nb = json.load(open(sys.argv[1]))
errors = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", []) if o["output_type"] == "error"]
assert not errors, errors
print(f"fresh install: {sys.argv[1].rsplit('/', 1)[-1]} executed, {sum(c['cell_type'] == 'code' for c in nb['cells'])} code cells, no errors")
PY
echo "fresh install: OK"
