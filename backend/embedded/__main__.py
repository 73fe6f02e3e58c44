from __future__ import annotations

import sys

from backend.embedded.cli import main

sys.exit(main())
