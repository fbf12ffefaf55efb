"""Sub-commands of this feature area (registered by etom_kg.cli)."""


def register(sub) -> None:
    """Add this area's sub-commands to the etom-kg parser. Import heavy modules in handlers only."""
