"""Allow ``python -m csdesk``."""

from csdesk.cli import main

if __name__ == "__main__":
    main()
