"""The REST API's contract does not move by accident: /openapi.json is compared with the copy
stored in tests/data. A deliberate change regenerates the copy (the command is in the
assertion's message) and shows up in review as a diff of the contract."""

from __future__ import annotations

import json
from pathlib import Path

from app.api.main import create_app
from tests.support.library import DATA, make_settings

STORED = DATA / "openapi.json"
REGENERATE = (
    'python -c "import json,tempfile,pathlib; from app.api.main import create_app; '
    "from tests.support.library import make_settings; app = create_app(make_settings("
    "pathlib.Path(tempfile.mkdtemp()) / 'lib'), start_worker=False); "
    "pathlib.Path('tests/data/openapi.json').write_text(json.dumps(app.openapi(), indent=1, "
    "sort_keys=True) + '\\n')\""
)


def test_the_openapi_document_matches_the_stored_copy(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path / "lib"), start_worker=False)
    current = json.loads(json.dumps(app.openapi(), sort_keys=True))
    assert current == json.loads(STORED.read_text()), f"the API changed; if meant: {REGENERATE}"
