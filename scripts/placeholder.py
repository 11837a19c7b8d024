"""Dev-only scripts live here (data rebuild, docs generation)."""
