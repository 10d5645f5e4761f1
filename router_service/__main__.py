"""`python -m router_service` is the `router-service` command."""

from router_service.cli import main

raise SystemExit(main())
