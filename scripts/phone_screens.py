"""Kept for old links: the screenshots of docs/screens/ are all made by ``scripts/screens.py``.

    .venv/bin/python scripts/phone_screens.py [--out docs/screens] [--rep ZJ-HZ-0101]

takes the phone plan page and the laptop kickoff only (``screens.py --only plan-phone
kickoff-laptop``).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from screens import main  # the script's own folder, put on the path above

if __name__ == "__main__":
    sys.argv += ["--only", "plan-phone", "kickoff-laptop"]
    sys.exit(main())
