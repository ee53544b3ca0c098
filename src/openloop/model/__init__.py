"""Pure data shared by every layer: the row/column catalog and object kinds."""
