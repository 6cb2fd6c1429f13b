"""`python -m mailtrap`, the same as the `mailtrap` command."""

from __future__ import annotations

import sys

from mailtrap.cli import main

sys.exit(main())
