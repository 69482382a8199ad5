"""python -m bot: the same as the vertaisbot command."""

import sys

from bot.cli import main

sys.exit(main())
