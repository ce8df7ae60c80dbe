from deploy_actions.cli import main

raise SystemExit(main())
