"""Activities: the rows, merging sources, loads and the load history."""
