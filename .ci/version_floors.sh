#!/usr/bin/env bash
# pyproject.toml's lower bounds are real: lmkit's unit tests pass with the oldest numpy, matplotlib, tqdm,
# ipywidgets and regex that pyproject.toml admits, in a fresh virtual environment. (torch stays at the
# CPU build installed on these machines: its floor, torch>=2.1, is the version whose API lmkit uses.)
# Run by .ci/run; by hand: bash .ci/version_floors.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export LMKIT_DATA=${LMKIT_DATA:-$(realpath -m ../shared/data)}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
FLOORS=$(python - <<'PY'
import re, tomllib
deps = tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]
pins = []
for d in deps:
    name, low = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9][^,;]*)", d.replace(" ", "")).groups()
    if name != "torch":
        pins.append(f"{name}=={low}")
print(" ".join(pins))
PY
)
echo "version floors: $FLOORS"
python -m venv "$WORK/venv"
source "$WORK/venv/bin/activate"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
pip install -q torch==2.13.0
# shellcheck disable=SC2086
pip install -q $FLOORS pytest hypothesis
pip install -q --no-deps -e .
pip list 2>/dev/null | grep -iE "^(numpy|matplotlib|tqdm|ipywidgets|regex|torch) "
# the unit tests only: the notebooks, the book build, the browser test and the workflow linters need the
# full requirements.txt and requirements-test.txt
unset LMKIT_BROWSER_TEST
pytest -q -p no:cacheprovider -o addopts="" tests --ignore=tests/test_book.py --ignore=tests/test_site.py \
    --ignore=tests/test_workflows.py
echo "version floors: OK"
