"""``python -m detector`` runs the command line."""

from detector.cli.main import main

if __name__ == "__main__":
    main()
