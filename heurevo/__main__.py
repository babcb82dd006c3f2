"""Allow ``python -m heurevo``."""

from heurevo.cli import main

if __name__ == "__main__":
    main()
