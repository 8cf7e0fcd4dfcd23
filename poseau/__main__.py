from poseau.cli import main

raise SystemExit(main())
