from billing_sandbox.cli import main

raise SystemExit(main())
