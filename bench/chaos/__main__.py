import os
import sys

from bench.chaos.run import main
from bench.settings import REPO_ROOT

if __name__ == "__main__":
    os.chdir(REPO_ROOT)
    sys.exit(main())
