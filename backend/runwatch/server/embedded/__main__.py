from __future__ import annotations

import sys

from runwatch.server.embedded.cli import main

sys.exit(main())
