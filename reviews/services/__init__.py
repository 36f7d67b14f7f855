"""Writes of the reviews app: `reviews` (department reviews and their workflow) and
`feedback` (cross-department ratings and the satisfaction computed from them)."""
