# Shared by scripts/demo and scripts/test: make .venv with Python >= 3.11 and install the project.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-python3}"
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is needed")'
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
spec="."
if [ -n "${EXTRAS:-}" ]; then
    spec=".[${EXTRAS}]"
fi
log="$(mktemp)"
echo "installing $spec into .venv ..."
if ! .venv/bin/python -m pip install --disable-pip-version-check -e "$spec" >"$log" 2>&1; then
    grep -v "^WARNING: Location" "$log" >&2 || true
    echo "error: pip install -e $spec failed" >&2
    exit 1
fi
rm -f "$log"
.venv/bin/python -c 'import orders_connector, dagster_defs'  # fail here if the install did not take
