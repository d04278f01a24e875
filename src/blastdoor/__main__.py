import sys

from blastdoor.cli.main import main

sys.exit(main())
