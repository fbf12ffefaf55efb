"""Feature sub-commands of the etom-kg CLI, one module per area."""
