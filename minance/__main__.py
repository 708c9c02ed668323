from minance.cli import main

raise SystemExit(main())
