#!/usr/bin/env bash
# What tests/test_site.py's headless-browser test needs, installed if missing: Chromium and a CJK font
# (Debian packages), the playwright Python package (drives Chromium), and the npm packages that the
# rendered pages load from CDNs (MathJax, the Jupyter widget manager, RequireJS), which the test serves
# locally because these machines cannot reach the CDNs. Sourced by .ci/run: it exports the variables.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk"; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-wqy-zenhei >/dev/null
fi
python -c "import playwright" 2>/dev/null || pip install -q "playwright>=1.40"
if [ ! -f "$HERE/node_modules/mathjax/es5/tex-mml-chtml.js" ]; then
    (cd "$HERE" && npm install --silent --no-audit --no-fund --no-save --prefix "$HERE" \
        mathjax@3 @jupyter-widgets/html-manager@1.0.6 requirejs@2.3.4)
fi
export LMKIT_BROWSER_TEST=1 LMKIT_NODE_MODULES="$HERE/node_modules"
