from sync_daemon.cli import main

raise SystemExit(main())
