from openrouter_sim.cli import main

raise SystemExit(main())
