"""``python -m bagsmith`` runs the command line."""

from bagsmith.cli import main

if __name__ == "__main__":
    main(prog_name="bagsmith")
