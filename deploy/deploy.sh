#!/usr/bin/env bash
# The one command for upgrades (docs/operating.md "Blue-green deploys"):
#   deploy/deploy.sh up IMAGE | stage IMAGE | deploy IMAGE | rollback | status | down
# It runs deploy/bluegreen.py with the project's Python (deploy/smoke.py needs httpx).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${VIDSCOPE_DEPLOY_PYTHON:-$here/../.venv/bin/python}"
[ -x "$python" ] || python=python3
exec "$python" "$here/bluegreen.py" "$@"
