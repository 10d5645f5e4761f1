"""`python -m telemetry_service` runs the CLI."""

import sys

from telemetry_service.cli import main

sys.exit(main())
